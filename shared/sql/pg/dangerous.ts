/**
 * Functions an agent must not call, or may only call with a human's say: they read or
 * write server files, reach other servers, run SQL text the analyser never sees, change
 * settings, sleep, or touch other sessions. Names are compared on their last part,
 * lower-cased, so `pg_catalog.PG_READ_FILE`, `"PG_READ_FILE"` and `ext.dblink` all match.
 */
const EXACT = new Set([
  'pg_read_file',
  'pg_read_binary_file',
  'pg_stat_file',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_logdir_ls',
  'pg_current_logfile',
  'set_config',
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_log_backend_memory_contexts',
  'pg_notify',
  'pg_switch_wal',
  'pg_promote',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_import_system_collations',
  'pg_logical_emit_message',
  'ts_stat',
  'ts_rewrite',
  'setval',
  'dblink',
]);

const PREFIXES = [
  'lo_',
  'dblink_',
  'pg_ls_',
  'pg_stat_reset',
  'pg_advisory_',
  'pg_try_advisory_',
  'pg_replication_',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'query_to_xml',
  'table_to_xml',
  'cursor_to_xml',
  'database_to_xml',
  'schema_to_xml',
  'binary_upgrade_',
];

export function isDangerousFunction(name: string): boolean {
  const parts = name.toLowerCase().split('.');
  const base = parts[parts.length - 1];
  return EXACT.has(base) || PREFIXES.some((prefix) => base.startsWith(prefix));
}
