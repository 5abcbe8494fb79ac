import { parseArgs } from 'node:util';
import type { TokenCredential } from '@azure/identity';
import type { ConnectionConfig, GatewayConfig } from '../../shared/config/connections.js';
import type { Connector } from '../../shared/connectors/connector.js';
import type { CliIo } from '../io.js';
import { printReport, tableText } from '../output.js';

const HELP = `Usage: agentgate doctor [--config FILE] [--connection ID] [--json]

Checks every connection of the config (--config, else AGENTGATE_CONFIG, else the embedded
demo) the way the gateway will use it, and prints one row per check with a fix for each
failure:
  config      the file parses: fields, data classes and masking operators are known
  credential  auth entra: an Azure identity gives a token; password-from-env: the variable
              named by passwordEnv is set; embedded-demo: nothing needed
  reachable   a read-only transaction opens and "select 1" answers
  explain     the planner answers an EXPLAIN (row estimates, as the gateway asks them)
  columns     every table and column named in exposure and classification exists
A check that cannot run because an earlier one failed is shown as "skip". For an
embedded-demo connection a demo database is started for the occasion.

Example:
  AGENTGATE_CONFIG=agentgate.yaml agentgate doctor

Exit codes: 0 every check passed, 1 a check failed, 2 usage.`;

export type CheckStatus = 'ok' | 'FAIL' | 'skip';

export interface DoctorRow {
  connection: string;
  check: 'config' | 'credential' | 'reachable' | 'explain' | 'columns';
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

export interface DoctorDeps {
  /** The operator's Azure identity for `auth: entra` (default DefaultAzureCredential). */
  credential?: () => Promise<TokenCredential>;
  /** Starts the embedded demo when a connection uses it (default: a small one, no spare). */
  startDemo?: () => Promise<{ host: string; port: number; stop(): Promise<void> }>;
  /** How long one check may take. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The tables and columns a connection's config names, lower-cased as PostgreSQL folds them. */
export function namedColumns(connection: ConnectionConfig): { tables: string[]; columns: string[] } {
  const tables = new Set<string>();
  const columns = new Set<string>();
  for (const [table, spec] of Object.entries(connection.exposure)) {
    tables.add(table.toLowerCase());
    for (const c of spec.columns ?? []) columns.add(`${table}.${c}`.toLowerCase());
  }
  for (const column of Object.keys(connection.classification)) {
    const key = column.toLowerCase();
    columns.add(key);
    tables.add(key.split('.').slice(0, 2).join('.'));
  }
  return { tables: [...tables].sort(), columns: [...columns].sort() };
}

async function credentialRow(
  connection: ConnectionConfig,
  io: CliIo,
  deps: DoctorDeps,
  timeoutMs: number,
): Promise<{ row: DoctorRow; credential?: TokenCredential }> {
  const base = { connection: connection.id, check: 'credential' as const };
  const target = connection.target;
  if (target === 'embedded-demo') {
    return { row: { ...base, status: 'ok', detail: 'embedded demo: no credential needed', fix: null } };
  }
  if (target.auth === 'password-from-env') {
    const name = target.passwordEnv ?? '';
    if (io.env[name] === undefined || io.env[name] === '') {
      return {
        row: {
          ...base,
          status: 'FAIL',
          detail: `environment variable ${name} (passwordEnv) is not set`,
          fix: `set ${name} to the password of ${target.user} in the gateway's environment (app setting or Key Vault reference)`,
        },
      };
    }
    return { row: { ...base, status: 'ok', detail: `${name} is set`, fix: null } };
  }
  try {
    const { POSTGRES_ENTRA_SCOPE } = await import('../../shared/connectors/postgres.js');
    const credential = deps.credential
      ? await deps.credential()
      : new (await import('@azure/identity')).DefaultAzureCredential();
    const token = await withTimeout(
      credential.getToken(POSTGRES_ENTRA_SCOPE),
      timeoutMs,
      'the Azure identity',
    );
    if (token === null) throw new Error('the credential returned no token');
    return {
      row: { ...base, status: 'ok', detail: 'an Entra token for PostgreSQL was issued', fix: null },
      credential,
    };
  } catch (e) {
    return {
      row: {
        ...base,
        status: 'FAIL',
        detail: `no Entra token: ${message(e)}`,
        fix:
          'sign in with "az login" (or run where a managed identity exists), and register that identity on the ' +
          `server as ${target.user} (pgaadauth_create_principal)`,
      },
    };
  }
}

async function connectorRows(
  connection: ConnectionConfig,
  db: Connector,
  timeoutMs: number,
): Promise<DoctorRow[]> {
  const row = (
    check: DoctorRow['check'],
    status: CheckStatus,
    detail: string,
    fix: string | null,
  ): DoctorRow => ({
    connection: connection.id,
    check,
    status,
    detail,
    fix,
  });
  const limits = { maxRows: 10, statementTimeoutMs: Math.min(connection.statementTimeoutMs, timeoutMs) };
  try {
    await withTimeout(db.execute('select 1 as ok', [], limits), timeoutMs, 'the target');
  } catch (e) {
    const where =
      connection.target === 'embedded-demo'
        ? 'the embedded demo'
        : `${connection.target.host}:${connection.target.port}/${connection.target.database}`;
    return [
      row(
        'reachable',
        'FAIL',
        `${where}: ${message(e)}`,
        'check host, port, database, user and ssl in the config, that the server runs, and that its firewall admits the gateway',
      ),
      row('explain', 'skip', 'target not reachable', null),
      row('columns', 'skip', 'target not reachable', null),
    ];
  }
  const rows = [row('reachable', 'ok', 'select 1 answered in a read-only transaction', null)];
  try {
    const estimate = await withTimeout(db.estimateRows('select 1 as ok', [], limits), timeoutMs, 'EXPLAIN');
    rows.push(
      estimate === null
        ? row(
            'explain',
            'FAIL',
            'the planner gave no estimate',
            'grant the gateway user the right to EXPLAIN (it needs SELECT on the tables)',
          )
        : row('explain', 'ok', `EXPLAIN answered (estimate ${estimate})`, null),
    );
  } catch (e) {
    rows.push(
      row(
        'explain',
        'FAIL',
        message(e),
        'the gateway estimates every read with EXPLAIN: make sure the user may run it',
      ),
    );
  }
  const { tables, columns } = namedColumns(connection);
  if (tables.length === 0) {
    rows.push(row('columns', 'ok', 'no exposure or classification to check', null));
    return rows;
  }
  try {
    const found = await withTimeout(
      db.execute(
        `select lower(table_schema || '.' || table_name) as t, lower(column_name) as c
           from information_schema.columns
          where lower(table_schema || '.' || table_name) = any($1::text[])`,
        [tables],
        { ...limits, maxRows: 100_000 },
      ),
      timeoutMs,
      'the catalog',
    );
    const haveTables = new Set(found.rows.map((r) => String(r.t)));
    const haveColumns = new Set(found.rows.map((r) => `${String(r.t)}.${String(r.c)}`));
    const missingTables = tables.filter((t) => !haveTables.has(t));
    const missingColumns = columns.filter(
      (c) => haveTables.has(c.split('.').slice(0, 2).join('.')) && !haveColumns.has(c),
    );
    const missing = [...missingTables.map((t) => `table ${t}`), ...missingColumns.map((c) => `column ${c}`)];
    rows.push(
      missing.length === 0
        ? row('columns', 'ok', `${tables.length} tables and ${columns.length} columns exist`, null)
        : row(
            'columns',
            'FAIL',
            `missing (or not visible to ${connection.target === 'embedded-demo' ? 'the demo user' : connection.target.user}): ${missing.join(', ')}`,
            'correct or remove these entries under exposure / classification (names as PostgreSQL stores them), or grant SELECT on them',
          ),
    );
  } catch (e) {
    rows.push(
      row('columns', 'FAIL', message(e), 'the gateway user must be able to read information_schema.columns'),
    );
  }
  return rows;
}

/** Runs every check of every connection; never throws for a failing target. */
export async function diagnose(
  config: GatewayConfig,
  io: CliIo,
  deps: DoctorDeps = {},
): Promise<DoctorRow[]> {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { connectorRegistry } = await import('../../shared/connectors/registry.js');
  const rows: DoctorRow[] = [];
  const needsDemo = config.connections.some((c) => c.target === 'embedded-demo');
  let demo: { host: string; port: number; stop(): Promise<void> } | undefined;
  try {
    if (needsDemo) {
      demo = deps.startDemo
        ? await deps.startDemo()
        : await (await import('../dev/demo-database.js')).startDemoDatabase({ customers: 100, spare: false });
    }
    for (const connection of config.connections) {
      const cred = await credentialRow(connection, io, deps, timeoutMs);
      rows.push(cred.row);
      if (cred.row.status !== 'ok') {
        for (const check of ['reachable', 'explain', 'columns'] as const) {
          rows.push({ connection: connection.id, check, status: 'skip', detail: 'no credential', fix: null });
        }
        continue;
      }
      if (connection.engine !== 'postgres') {
        for (const check of ['reachable', 'explain', 'columns'] as const) {
          rows.push({
            connection: connection.id,
            check,
            status: 'skip',
            detail: 'executing against Azure SQL is not supported yet',
            fix: null,
          });
        }
        continue;
      }
      const registry = connectorRegistry({
        env: io.env,
        ...(cred.credential ? { credential: cred.credential } : {}),
        ...(demo ? { demo: { host: demo.host, port: demo.port } } : {}),
      });
      try {
        rows.push(...(await connectorRows(connection, registry.connectorFor(connection), timeoutMs)));
      } finally {
        await registry.closeAll();
      }
    }
  } finally {
    await demo?.stop();
  }
  return rows;
}

export async function runDoctorCommand(argv: string[], io: CliIo, deps: DoctorDeps = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      connection: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const path = values.config ?? io.env.AGENTGATE_CONFIG;
  let config: GatewayConfig;
  try {
    const { loadConfigFile } = await import('../../shared/config/connections.js');
    config = path ? await loadConfigFile(path) : (await import('../dev/host.js')).demoConfig();
  } catch (e) {
    const row: DoctorRow = {
      connection: '(all)',
      check: 'config',
      status: 'FAIL',
      detail: message(e),
      fix: 'correct the fields named above; unknown data classes and operators are listed with the valid ones',
    };
    print(io, [row], values.json === true);
    return 1;
  }
  if (values.connection !== undefined) {
    const only = config.connections.filter((c) => c.id === values.connection);
    if (only.length === 0) {
      io.stderr.write(`agentgate doctor: no connection ${values.connection}\n`);
      return 2;
    }
    config = { ...config, connections: only };
  }
  const rows: DoctorRow[] = [
    {
      connection: '(all)',
      check: 'config',
      status: 'ok',
      detail: `${path ?? 'embedded demo config'}: ${config.connections.length} connection(s)`,
      fix: null,
    },
    ...(await diagnose(config, io, deps)),
  ];
  print(io, rows, values.json === true);
  return rows.some((r) => r.status === 'FAIL') ? 1 : 0;
}

function print(io: CliIo, rows: DoctorRow[], json: boolean): void {
  const failed = rows.filter((r) => r.status === 'FAIL').length;
  printReport(io, json, rows, () =>
    tableText({
      columns: ['connection', 'check', 'status', 'detail', 'fix'],
      rows: rows.map((r) => ({ ...r, fix: r.fix ?? '-' })),
      maxWidth: 100,
      footer: failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`,
    }),
  );
}
