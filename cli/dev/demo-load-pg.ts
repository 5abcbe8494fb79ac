import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { ClientBase } from 'pg';
import type { DemoData } from './demo-data.js';
import { DEMO_INDEXES_SQL, DEMO_SCHEMA_SQL } from './demo-schema.js';

/**
 * Loads the embedded demo's schema and data into a real PostgreSQL server through `pg`
 * (`agentgate demo load`, the real-server tests), plus a read-only login role for the
 * gateway. Everything but ANALYZE runs in one transaction: a failure leaves nothing behind.
 */

/** Parents before children, so the foreign keys hold during the load. */
export const DEMO_TABLES = ['customers', 'orders', 'payments', 'support_tickets'] as const;
export type DemoTable = (typeof DEMO_TABLES)[number];

export const DEMO_READER_ROLE = 'agentgate_reader';

/** Rows per INSERT: about 1 MB of JSON for customers, well inside one message. */
const BATCH_ROWS = 5000;
const SCRAM_ITERATIONS = 4096;

export class DemoTablesExistError extends Error {
  constructor(readonly tables: string[]) {
    super(
      `the demo tables already exist in this database (${tables.map((t) => `public.${t}`).join(', ')}); ` +
        'pass --replace to drop and reload them',
    );
    this.name = 'DemoTablesExistError';
  }
}

export interface DemoReader {
  role: string;
  password: string;
}

export interface DemoLoadOptions {
  /** Drop existing demo tables first instead of refusing. */
  replace?: boolean;
  /** Create (or update) this login role with SELECT on the demo tables only. */
  reader?: DemoReader;
}

export interface DemoLoadResult {
  rows: Record<DemoTable, number>;
  /** Milliseconds for schema + data + indexes + role (one transaction), and for ANALYZE. */
  loadMs: number;
  analyzeMs: number;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677), so the
 * plaintext never reaches the server, its logs or pg_stat_statements. Printable ASCII only:
 * for that, SASLprep is the identity and the verifier matches what the server computes.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  if (!/^[\x21-\x7e]{8,}$/.test(password)) {
    throw new TypeError('the reader password must be at least 8 printable ASCII characters, no spaces');
  }
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

async function existingDemoTables(client: ClientBase): Promise<string[]> {
  const result = await client.query<{ relname: string }>(
    `select c.relname from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relname = any($1::text[])
      order by c.relname`,
    [[...DEMO_TABLES]],
  );
  return result.rows.map((r) => r.relname);
}

async function insertRows(client: ClientBase, table: DemoTable, rows: ReadonlyArray<object>): Promise<void> {
  // The table's own row type maps the JSON fields: no column list or types repeated here.
  const sql = `insert into public.${table} select * from json_populate_recordset(null::public.${table}, $1::json)`;
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    await client.query(sql, [JSON.stringify(rows.slice(i, i + BATCH_ROWS))]);
  }
}

async function ensureReader(client: ClientBase, reader: DemoReader): Promise<void> {
  const role = client.escapeIdentifier(reader.role);
  const secret = client.escapeLiteral(scramSha256Verifier(reader.password));
  const existing = await client.query<{ rolsuper: boolean }>(
    'select rolsuper from pg_catalog.pg_roles where rolname = $1',
    [reader.role],
  );
  const found = existing.rows[0];
  if (found?.rolsuper) {
    throw new Error(`role ${reader.role} exists and is a superuser; it cannot serve as the read-only role`);
  }
  if (found === undefined) {
    await client.query(
      `create role ${role} login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${secret}`,
    );
  } else {
    await client.query(`alter role ${role} login password ${secret}`);
  }
  await client.query(`alter role ${role} set default_transaction_read_only = on`);
  await client.query(`grant usage on schema public to ${role}`);
  await client.query(`grant select on ${DEMO_TABLES.map((t) => `public.${t}`).join(', ')} to ${role}`);
}

export async function loadDemoIntoPostgres(
  client: ClientBase,
  data: DemoData,
  options: DemoLoadOptions = {},
): Promise<DemoLoadResult> {
  const t0 = performance.now();
  await client.query('begin');
  try {
    const existing = await existingDemoTables(client);
    if (existing.length > 0) {
      if (!options.replace) throw new DemoTablesExistError(existing);
      // No CASCADE: a view or table of the user's that depends on these makes the drop fail.
      await client.query(
        `drop table if exists ${[...DEMO_TABLES]
          .reverse()
          .map((t) => `public.${t}`)
          .join(', ')}`,
      );
    }
    await client.query(DEMO_SCHEMA_SQL);
    for (const table of DEMO_TABLES) await insertRows(client, table, data[table]);
    await client.query(DEMO_INDEXES_SQL);
    if (options.reader) await ensureReader(client, options.reader);
    await client.query('commit');
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  }
  const loadMs = performance.now() - t0;
  // The gateway's policies read planner estimates: statistics are part of the load.
  const t1 = performance.now();
  await client.query(`analyze ${DEMO_TABLES.map((t) => `public.${t}`).join(', ')}`);
  const analyzeMs = performance.now() - t1;
  const rows = Object.fromEntries(DEMO_TABLES.map((t) => [t, data[t].length])) as Record<DemoTable, number>;
  return { rows, loadMs, analyzeMs };
}
