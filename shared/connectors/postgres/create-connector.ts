import { type QueryResult as PgQueryResult, Pool } from 'pg';
import type { CatalogTable } from '../../sql/catalog.js';
import type { QueryResult, ResultColumn } from '../../types.js';
import type { Connector, ExecuteOptions, SourceColumn } from '../connector.js';
import { rejectedAsCursor, shiftPosition } from './errors.js';
import { overCostCap, reportCost } from './plan-cost.js';
import { planRoot, planSources } from './plan-sources.js';
import {
  checkTimeout,
  explainPrefix,
  inReadOnlyTransaction,
  oneStatement,
  type Statement,
  type Work,
} from './read-only-transaction.js';
import { openPgReadSession } from './read-session.js';
import { columnsFromFields, type PgResultColumn, rowsFromArrays } from './result-shape.js';
import { DEFAULT_MAX_READ_BYTES, meterPool } from './wire-meter.js';
import { WIRE_TYPES } from './wire-types.js';

export interface PostgresConnectorOptions {
  host: string;
  port: number;
  database: string;
  user: string;
  /** A function is called for every new connection (Entra tokens expire; the credential caches). */
  password: string | (() => Promise<string>);
  ssl: boolean | { rejectUnauthorized: boolean };
  poolMax?: number;
  connectTimeoutMs?: number;
  /**
   * pg's pipeline mode: statements whose answers nothing waits for travel together (see
   * read-session.ts). Off for the embedded demo: its socket bridge (pglite-socket) stalled on
   * pipelined 1,000-row reads (tests/e2e/soundness.test.ts, paging).
   */
  pipeline?: boolean;
  /** Bytes of the target's answer one request may read (see wire-meter.ts). */
  maxReadBytes?: number;
}

/** The PostgreSQL adapter: results carry RowDescription origins that only it resolves. */
export interface PostgresConnector extends Connector {
  execute(
    sql: string,
    params: readonly unknown[],
    options: ExecuteOptions,
  ): Promise<QueryResult<PgResultColumn>>;
  /** Resolve RowDescription (tableId, columnId) pairs to source columns; cached per connector. */
  resolveColumns(
    pairs: ReadonlyArray<{ tableId: number; columnId: number }>,
  ): Promise<Array<SourceColumn | null>>;
  resolveSources(columns: readonly ResultColumn[]): Promise<Array<SourceColumn | null>>;
}

function originOf(column: ResultColumn): { tableId: number; columnId: number } {
  const c = column as Partial<PgResultColumn>;
  return { tableId: c.tableId ?? 0, columnId: c.columnId ?? 0 };
}

const CURSOR = 'agentgate_rows';
const CATALOG_TIMEOUT_MS = 5000;
const MAX_ROWS_LIMIT = 1_000_000;

function checkMaxRows(maxRows: number): number {
  // Interpolated into FETCH, which takes no bind parameters.
  if (!Number.isInteger(maxRows) || maxRows < 1 || maxRows > MAX_ROWS_LIMIT) {
    throw new TypeError(`maxRows must be an integer between 1 and ${MAX_ROWS_LIMIT}`);
  }
  return maxRows;
}

/**
 * Runs the statement unchanged as the body of a server-side cursor and fetches one row more
 * than allowed, so the server never sends more than maxRows + 1 rows and the parameters stay
 * bound. DECLARE only accepts SELECT/VALUES/TABLE; for anything else (DML, SHOW, EXPLAIN,
 * a data-modifying WITH) the statement runs as it is under the same read-only transaction,
 * which refuses writes, and the cap is applied on the client.
 */
function fetchCapped(
  sql: string,
  params: readonly unknown[],
  maxRows: number,
  plainQuery: boolean,
): Work<QueryResult<PgResultColumn>> {
  const limit = checkMaxRows(maxRows);
  return async (run) => {
    let result: Awaited<ReturnType<typeof run>>;
    const viaCursor = async () => {
      const declare = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR `;
      await run(oneStatement(`${declare}${sql}`, params)).catch((e: unknown) => {
        throw shiftPosition(e, declare.length);
      });
      return run(oneStatement(`FETCH FORWARD ${limit + 1} FROM ${CURSOR}`, [], 'array'));
    };
    if (plainQuery) {
      // A plain query always fits a cursor: no savepoint round trip for a fallback.
      result = await viaCursor();
    } else {
      await run(oneStatement('SAVEPOINT agentgate_cursor', []));
      try {
        result = await viaCursor();
      } catch (e) {
        if (!rejectedAsCursor(e)) throw e;
        await run(oneStatement('ROLLBACK TO SAVEPOINT agentgate_cursor', []));
        result = await run(oneStatement(sql, params, 'array'));
      }
    }
    return shapeCapped(result, limit);
  };
}

/** At most `limit` of the (limit + 1) rows fetched, and whether there were more. */
function shapeCapped(result: PgQueryResult, limit: number): QueryResult<PgResultColumn> {
  const columns = columnsFromFields(result.fields ?? []);
  const arrays = (result.rows as unknown[][]).slice(0, limit + 1);
  const truncated = arrays.length > limit;
  const rows = rowsFromArrays(columns, truncated ? arrays.slice(0, limit) : arrays);
  return { columns, rows, rowCount: rows.length, truncated };
}

function parsedPlan(result: PgQueryResult): unknown {
  const value = (result.rows[0] as Record<string, unknown> | undefined)?.['QUERY PLAN'];
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/**
 * The estimate of an EXPLAIN result; the plan's sources and cost go to the caller that
 * asked for them.
 */
function planRowsOfResult(result: PgQueryResult, opts: ExecuteOptions): number | null {
  const parsed = parsedPlan(result);
  if (opts.onPlanSources) {
    const sources = planSources(planRoot(parsed));
    if (sources !== undefined) opts.onPlanSources(sources);
  }
  reportCost(parsed, opts);
  return planRowsOf(parsed, opts.rowsRead === true);
}

/**
 * A counted estimate's first look, a plain EXPLAIN (planned, not run): when the plan costs
 * more than `maxPlanCost`, its cost goes to the caller and the planner's largest step is the
 * estimate, so the statement is never run to be counted; undefined lets the count go on.
 */
function heldBackByCost(result: PgQueryResult, opts: ExecuteOptions): { rows: number | null } | undefined {
  const parsed = parsedPlan(result);
  if (!overCostCap(parsed, opts)) return undefined;
  reportCost(parsed, opts);
  return { rows: planRowsOf(parsed, true) };
}

/** Whether a counted estimate is priced first (see heldBackByCost). */
function pricedFirst(opts: ExecuteOptions): boolean {
  return opts.rowsRead === true && opts.maxPlanCost !== undefined;
}

interface PlanNode {
  'Node Type'?: unknown;
  'Plan Rows'?: unknown;
  'Actual Rows'?: unknown;
  'Actual Loops'?: unknown;
  Plans?: unknown;
}

function planRowsOf(parsed: unknown, rowsRead: boolean): number | null {
  const plan = Array.isArray(parsed) ? (parsed[0] as { Plan?: PlanNode })?.Plan : undefined;
  if (!plan) return null;
  if (!rowsRead) return finiteRows(plan);
  // The largest step, counted: what a string_agg or ARRAY(...) folds into one row was read
  // somewhere, and the planner's guess of it can be talked down (`where id % 1 = 0`). And the
  // rows every scan of a table read, together: eleven scalar subqueries of 999 rows each
  // (InitPlans, each its own step) read 10,989 rows, not 999 (red-team round 23).
  let most: number | null = null;
  let scanned = 0;
  const stack: unknown[] = [plan];
  while (stack.length > 0) {
    const node = stack.pop() as PlanNode;
    const rows = actualRows(node);
    if (rows !== null && (most === null || rows > most)) most = rows;
    if (rows !== null && typeof node['Node Type'] === 'string' && TABLE_SCANS.has(node['Node Type']))
      scanned += rows;
    if (Array.isArray(node.Plans)) stack.push(...node.Plans);
  }
  return most === null ? null : Math.max(most, scanned);
}

/** Plan steps that read a table's rows (EXPLAIN's `Node Type`). */
const TABLE_SCANS = new Set([
  'Seq Scan',
  'Index Scan',
  'Index Only Scan',
  'Bitmap Heap Scan',
  'Tid Scan',
  'Tid Range Scan',
  'Sample Scan',
  'Foreign Scan',
  'Custom Scan',
]);

function actualRows(node: PlanNode): number | null {
  const rows = node['Actual Rows'];
  const loops = node['Actual Loops'];
  if (typeof rows !== 'number' || !Number.isFinite(rows)) return finiteRows(node);
  return rows * (typeof loops === 'number' && Number.isFinite(loops) ? Math.max(1, loops) : 1);
}

function finiteRows(node: PlanNode): number | null {
  const rows = node['Plan Rows'];
  return typeof rows === 'number' && Number.isFinite(rows) ? rows : null;
}

const DESCRIBE_TABLES = `
select n.nspname as schema, c.relname as table, a.attname as column, t.typname as type
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_class c on c.oid = a.attrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_type t on t.oid = a.atttypid
 where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))
   and c.relkind in ('r', 'v', 'm', 'p', 'f')
   and a.attnum > 0 and not a.attisdropped
 order by n.nspname, c.relname, a.attnum`;

const CATALOG_LOOKUP = `
select c.oid::int8 as table_id, a.attnum::int4 as column_id,
       n.nspname as schema, c.relname as table, a.attname as column
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_class c on c.oid = a.attrelid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where (a.attrelid, a.attnum) in (select * from unnest($1::oid[], $2::int2[]))
   and not a.attisdropped`;

/** What one connector keeps between calls. */
interface ConnectorState {
  readonly pool: Pool;
  // (tableId, columnId) -> source; catalog OIDs are stable for a table's lifetime.
  readonly columnCache: Map<string, SourceColumn | null>;
  closing: Promise<void> | undefined;
}

function createPool(options: PostgresConnectorOptions): Pool {
  const pool = new Pool({
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.user,
    password: options.password,
    ssl: options.ssl,
    max: options.poolMax ?? 5,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 60_000,
    keepAlive: true,
    application_name: 'agentgate',
    pipeline: options.pipeline ?? true,
    types: WIRE_TYPES,
  });
  // An idle client whose server went away is dropped by the pool; the next checkout reconnects.
  // Without a listener the 'error' event would crash the process.
  pool.on('error', () => undefined);
  // pg-pool listens for a client's errors only while it is idle: a socket that fails while
  // a request holds the client (a reset, the read bound below) would emit an 'error' nobody
  // hears, which ends the process. Its statements fail with the error either way, and a
  // client that failed so is destroyed when released (breaksConnection).
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  meterPool(pool, options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES);
  return pool;
}

const key = (tableId: number, columnId: number) => `${tableId}:${columnId}`;

async function estimateRows(
  pool: Pool,
  sql: string,
  params: readonly unknown[],
  opts: ExecuteOptions,
): Promise<number | null> {
  checkTimeout(opts.statementTimeoutMs);
  return await inReadOnlyTransaction(pool, opts.statementTimeoutMs, async (run) => {
    // Rows read are counted by running the statement under EXPLAIN ANALYZE (read-only,
    // same timeout); nothing it returns leaves the gateway. With a cost cap, a plan over it
    // is priced first and never run.
    if (pricedFirst(opts)) {
      const plain = explainPrefix({});
      const priced = await run(oneStatement(`${plain}${sql}`, params)).catch((e: unknown) => {
        throw shiftPosition(e, plain.length);
      });
      const held = heldBackByCost(priced, opts);
      if (held !== undefined) return held.rows;
    }
    const explain = explainPrefix(opts);
    const result = await run(oneStatement(`${explain}${sql}`, params)).catch((e: unknown) => {
      throw shiftPosition(e, explain.length);
    });
    return planRowsOfResult(result, opts);
  });
}

async function describeTables(pool: Pool, tables: readonly string[]): Promise<CatalogTable[]> {
  const pairs = tables.map((t) => {
    const dot = t.indexOf('.');
    return [t.slice(0, dot), t.slice(dot + 1)] as const;
  });
  const found = await inReadOnlyTransaction(pool, CATALOG_TIMEOUT_MS, (run) =>
    run(oneStatement(DESCRIBE_TABLES, [pairs.map((p) => p[0]), pairs.map((p) => p[1])])),
  );
  const byTable = new Map<string, CatalogTable>();
  for (const r of found.rows as Array<{ schema: string; table: string; column: string; type: string }>) {
    const name = `${r.schema}.${r.table}`;
    let entry = byTable.get(name);
    if (!entry) {
      entry = { name, columns: [] };
      byTable.set(name, entry);
    }
    entry.columns.push({ name: r.column, type: r.type, exposed: true });
  }
  return [...byTable.values()];
}

/**
 * `run` is a session already in a read-only transaction (a streamed read resolves on its own
 * client, which it holds); without it the lookup checks out a client of its own.
 */
async function resolveColumns(
  state: ConnectorState,
  pairs: ReadonlyArray<{ tableId: number; columnId: number }>,
  run?: (statement: Statement) => Promise<PgQueryResult>,
): Promise<Array<SourceColumn | null>> {
  const { columnCache } = state;
  const missing = pairs.filter(
    (p) => p.tableId > 0 && p.columnId > 0 && !columnCache.has(key(p.tableId, p.columnId)),
  );
  if (missing.length > 0) {
    const lookup = oneStatement(CATALOG_LOOKUP, [
      missing.map((p) => p.tableId),
      missing.map((p) => p.columnId),
    ]);
    const found = run
      ? await run(lookup)
      : await inReadOnlyTransaction(state.pool, CATALOG_TIMEOUT_MS, (inTx) => inTx(lookup));
    for (const p of missing) columnCache.set(key(p.tableId, p.columnId), null);
    for (const r of found.rows as Array<{ table_id: string; column_id: number } & SourceColumn>) {
      columnCache.set(key(Number(r.table_id), r.column_id), {
        schema: r.schema,
        table: r.table,
        column: r.column,
      });
    }
  }
  return pairs.map((p) => columnCache.get(key(p.tableId, p.columnId)) ?? null);
}

export function createPostgresConnector(options: PostgresConnectorOptions): PostgresConnector {
  const state: ConnectorState = { pool: createPool(options), columnCache: new Map(), closing: undefined };
  const pool = state.pool;
  return {
    engine: 'postgres',

    async execute(
      sql: string,
      params: readonly unknown[],
      opts: ExecuteOptions,
    ): Promise<QueryResult<PgResultColumn>> {
      return await inReadOnlyTransaction(
        pool,
        opts.statementTimeoutMs,
        fetchCapped(sql, params, opts.maxRows, opts.plainQuery === true),
      );
    },

    estimateRows: (sql, params, opts) => estimateRows(pool, sql, params, opts),

    openRead: (statementTimeoutMs) =>
      openPgReadSession({
        pool,
        statementTimeoutMs,
        planRows: planRowsOfResult,
        heldBackByCost,
        shape: shapeCapped,
        fetchSequential: (sql, params, maxRows) => fetchCapped(sql, params, maxRows, false),
        checkMaxRows,
        resolveSources: (columns, run) => resolveColumns(state, columns.map(originOf), run),
      }),
    describeTables: (tables) => describeTables(pool, tables),
    resolveColumns: (pairs) => resolveColumns(state, pairs),

    resolveSources(columns) {
      return this.resolveColumns(columns.map(originOf));
    },

    close() {
      // pg rejects a second end(); closing twice is harmless for callers.
      state.closing ??= pool.end();
      return state.closing;
    },
  };
}
