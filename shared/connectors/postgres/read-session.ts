import type { QueryResult as PgQueryResult, Pool, PoolClient } from 'pg';
import type { QueryResult } from '../../types.js';
import {
  DEFAULT_BATCH_ROWS,
  type ExecuteOptions,
  type ReadSession,
  type RowBatch,
  type SourceColumn,
  type StreamOptions,
  type StreamSummary,
} from '../connector.js';
import { checkBatchRows, fetchInBatches } from './cursor-batches.js';
import { breaksConnection, shiftPosition, timedOut, toConnectorError, unavailable } from './errors.js';
import {
  checkTimeout,
  explainPrefix,
  oneStatement,
  type Statement,
  transactionSetup,
} from './read-only-transaction.js';
import type { PgResultColumn } from './result-shape.js';
import { restartMeter, trippedMeter } from './wire-meter.js';

/**
 * One pooled client and one READ ONLY transaction for a request's estimate and the read it
 * decides: the EXPLAIN and the DECLARE/FETCH share a session, and the request checks out one
 * client instead of two. The client runs in `pg`'s pipeline mode, so statements whose answers
 * nothing waits for travel together:
 *
 *   round trip 1: BEGIN READ ONLY + SET LOCAL timeouts | EXPLAIN      (estimate)
 *   round trip 2: DECLARE | FETCH | ROLLBACK                          (execute)
 *
 * Pipelining never lets the caller's statement run outside the read-only transaction:
 * - a plain EXPLAIN plans the statement and runs nothing of it, so it may travel with BEGIN;
 * - EXPLAIN ANALYZE (rows read) runs the statement, so it waits for BEGIN's answer first;
 *   with a cost cap (`maxPlanCost`) a plain EXPLAIN travels with BEGIN and prices the plan
 *   first, so a plan over the cap is never run, in no more round trips than before;
 * - DECLARE refuses to run outside a transaction block, so a failed BEGIN fails it too;
 * - a statement that is not a plain query runs only after its BEGIN was answered.
 * Every statement still goes alone through the extended protocol (one statement each), and
 * the ROLLBACK is always sent; a session whose ROLLBACK is not confirmed is destroyed.
 */

const CURSOR = 'agentgate_rows';
/** The client-side deadline of one step waits this much longer than the server-side timeout. */
const DEADLINE_GRACE_MS = 1000;

type Run = (statement: Statement | string) => Promise<PgQueryResult>;

export interface PgReadSessionDeps {
  pool: Pool;
  statementTimeoutMs: number;
  /** The planner's (or, with rowsRead, the counted) rows of an EXPLAIN result; its sources to opts. */
  planRows(result: PgQueryResult, opts: ExecuteOptions): number | null;
  /**
   * A counted estimate priced first (a plain EXPLAIN): the planner's rows when the plan costs
   * more than `maxPlanCost` (its cost told to opts), or undefined to go on and count.
   */
  heldBackByCost(result: PgQueryResult, opts: ExecuteOptions): { rows: number | null } | undefined;
  /** Rows of a capped result as the connector answers them (at most `limit`, truncated flag). */
  shape(result: PgQueryResult, limit: number): QueryResult<PgResultColumn>;
  /** The sequential read (savepoint, cursor, fallback) for statements that are not plain queries. */
  fetchSequential(
    sql: string,
    params: readonly unknown[],
    maxRows: number,
  ): (run: (statement: Statement) => Promise<PgQueryResult>) => Promise<QueryResult<PgResultColumn>>;
  checkMaxRows(maxRows: number): number;
  /** Source columns of a result, looked up on this session's client (it holds the only one it may). */
  resolveSources(columns: readonly PgResultColumn[], run: Run): Promise<Array<SourceColumn | null>>;
}

export function openPgReadSession(deps: PgReadSessionDeps): ReadSession<PgResultColumn> {
  const session = new PgReadSession(deps);
  return {
    estimateRows: (sql, params, opts) => session.estimateRows(sql, params, opts),
    execute: (sql, params, opts) => session.execute(sql, params, opts),
    stream: (sql, params, opts, onBatch) => session.stream(sql, params, opts, onBatch),
    end: () => session.finish(undefined),
  };
}

/** The session's state between its steps: one client, its BEGIN, and whether it must go. */
class PgReadSession {
  readonly #deps: PgReadSessionDeps;
  readonly #timeout: number;
  #client: PoolClient | undefined;
  #began: Promise<unknown> | undefined;
  #ended: Promise<void> | undefined;
  #destroy = false;
  #estimated = false;
  #corked = false;

  constructor(deps: PgReadSessionDeps) {
    this.#deps = deps;
    this.#timeout = checkTimeout(deps.statementTimeoutMs);
  }

  async #checkout(): Promise<PoolClient> {
    if (this.#ended) throw new Error('agentgate: the read session has ended');
    if (this.#client) return this.#client;
    try {
      this.#client = await this.#deps.pool.connect();
    } catch (e) {
      throw unavailable(e);
    }
    const c = this.#client;
    // Sent now, awaited by whoever needs it; a failure is seen through `began`.
    this.#holdWrites(c);
    this.#began = c.query(transactionSetup(this.#timeout));
    this.#began.catch(() => undefined);
    return c;
  }

  readonly #run: Run = (statement) => {
    const c = this.#client as PoolClient;
    this.#holdWrites(c);
    const pending = c.query(statement);
    // Pipelined: an answer may fail before anyone awaits it; the awaiting caller sees it.
    pending.catch(() => undefined);
    return pending;
  };

  /**
   * Statements sent before the next tick leave in one write. Each `pg` query is its own write
   * (a system call each, and a costly one on a virtual machine): BEGIN with EXPLAIN, and
   * DECLARE, FETCH and ROLLBACK, were five writes for a point read, and are two. The socket
   * is uncorked at the next tick, before any I/O is read, so nothing that is awaited can be
   * held back; a statement sent after that tick only starts another write.
   */
  #holdWrites(c: PoolClient): void {
    if (this.#corked) return;
    const stream = socketOf(c);
    if (stream === undefined) return;
    stream.cork();
    this.#corked = true;
    process.nextTick(() => {
      this.#corked = false;
      stream.uncork();
    });
  }

  /** A step bounded by the client-side deadline; a failure that breaks the session destroys it. */
  async #step<T>(work: () => Promise<T>): Promise<T> {
    // Each step (the estimate, the read, one batch of a stream) may read up to the bound.
    restartMeter(this.#client);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#destroy = true;
        reject(timedOut());
      }, this.#timeout + DEADLINE_GRACE_MS);
    });
    const running = work();
    running.catch(() => undefined);
    try {
      return await Promise.race([running, deadline]);
    } catch (e) {
      const tooLarge = trippedMeter(this.#client);
      if (tooLarge) {
        this.#destroy = true;
        throw tooLarge;
      }
      if (breaksConnection(e) && !(e instanceof RollbackFailed)) this.#destroy = true;
      if (e instanceof RollbackFailed) {
        this.#destroy = true;
        throw toConnectorError(e.original);
      }
      throw toConnectorError(e);
    } finally {
      clearTimeout(timer);
    }
  }

  #release(): void {
    const c = this.#client;
    this.#client = undefined;
    c?.release(this.#destroy ? new Error('agentgate: connection discarded') : undefined);
  }

  /** ROLLBACK, whatever happened; the session's client goes back to the pool (or is destroyed). */
  finish(rollback: Promise<PgQueryResult> | undefined): Promise<void> {
    this.#ended ??= (async () => {
      try {
        if (this.#client && !this.#destroy) {
          await this.#step(async () => {
            try {
              await (rollback ?? this.#run('ROLLBACK'));
            } catch (e) {
              throw new RollbackFailed(e);
            }
          });
        }
      } finally {
        this.#release();
      }
    })();
    return this.#ended;
  }

  async estimateRows(sql: string, params: readonly unknown[], opts: ExecuteOptions): Promise<number | null> {
    if (this.#estimated) throw new Error('agentgate: one estimate per read session');
    this.#estimated = true;
    await this.#checkout();
    const rowsRead = opts.rowsRead === true;
    try {
      return await this.#step(async () => {
        if (rowsRead && opts.maxPlanCost !== undefined) {
          // Priced first: a plain EXPLAIN runs nothing, so it travels with BEGIN (the round
          // trip the count waits for anyway), and a plan over the cap is never run.
          const plain = explainPrefix({});
          const priced = this.#run(oneStatement(`${plain}${sql}`, params));
          await this.#began;
          const held = this.#deps.heldBackByCost(
            await priced.catch((e: unknown) => {
              throw shiftPosition(e, plain.length);
            }),
            opts,
          );
          if (held !== undefined) return held.rows;
        }
        // EXPLAIN ANALYZE runs the statement: only inside a transaction known to have begun.
        if (rowsRead) await this.#began;
        const explain = explainPrefix(opts);
        const planned = this.#run(oneStatement(`${explain}${sql}`, params));
        await this.#began;
        const result = await planned.catch((e: unknown) => {
          throw shiftPosition(e, explain.length);
        });
        return this.#deps.planRows(result, opts);
      });
    } catch (e) {
      await this.finish(undefined).catch(() => undefined);
      throw e;
    }
  }

  async execute(
    sql: string,
    params: readonly unknown[],
    opts: ExecuteOptions,
  ): Promise<QueryResult<PgResultColumn>> {
    const limit = this.#deps.checkMaxRows(opts.maxRows);
    return this.#settle((sent) => this.#step(() => this.#read(sql, params, opts, limit, sent)));
  }

  /**
   * The read in cursor batches (see cursor-batches.ts), then ROLLBACK. A statement that is
   * not a plain query cannot be a cursor: it is read whole, as `execute` does, in one batch.
   */
  async stream(
    sql: string,
    params: readonly unknown[],
    opts: StreamOptions,
    onBatch: (batch: RowBatch<PgResultColumn>) => Promise<void>,
  ): Promise<StreamSummary<PgResultColumn>> {
    const limit = this.#deps.checkMaxRows(opts.maxRows);
    const batchRows = checkBatchRows(opts.batchRows ?? DEFAULT_BATCH_ROWS);
    if (opts.plainQuery !== true) {
      const whole = await this.execute(sql, params, opts);
      const rows = whole.rows.map((row) => whole.columns.map((c) => row[c.name]));
      await onBatch({ columns: whole.columns, rows });
      return { columns: whole.columns, rows: rows.length, truncated: whole.truncated };
    }
    await this.#checkout();
    const io = {
      run: this.#run,
      step: <T>(work: () => Promise<T>) => this.#step(work),
      began: this.#began,
      resolveSources: (columns: readonly PgResultColumn[]) => this.#deps.resolveSources(columns, this.#run),
    };
    return this.#settle(() => fetchInBatches(io, { sql, params, limit, batchRows, onBatch }));
  }

  /** Runs the read, then always ends the session; the read's failure wins over the ROLLBACK's. */
  async #settle<T>(work: (sent: { rollback?: Promise<PgQueryResult> }) => Promise<T>): Promise<T> {
    await this.#checkout();
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    const sent: { rollback?: Promise<PgQueryResult> } = {};
    try {
      outcome = { ok: true, value: await work(sent) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    try {
      await this.finish(sent.rollback);
    } catch (e) {
      if (outcome.ok) throw e;
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  async #read(
    sql: string,
    params: readonly unknown[],
    opts: ExecuteOptions,
    limit: number,
    sent: { rollback?: Promise<PgQueryResult> },
  ): Promise<QueryResult<PgResultColumn>> {
    if (opts.plainQuery !== true) {
      // Not a plain query: it may run as it is, so only once BEGIN was answered.
      await this.#began;
      return await this.#deps.fetchSequential(sql, params, opts.maxRows)(this.#run);
    }
    // DECLARE, FETCH and ROLLBACK leave together: one round trip for the read.
    const declare = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR `;
    const declared = this.#run(oneStatement(`${declare}${sql}`, params));
    const fetched = this.#run(oneStatement(`FETCH FORWARD ${limit + 1} FROM ${CURSOR}`, [], 'array'));
    sent.rollback = this.#run('ROLLBACK');
    await this.#began;
    await declared.catch((e: unknown) => {
      throw shiftPosition(e, declare.length);
    });
    return this.#deps.shape(await fetched, limit);
  }
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The client's socket, where `pg` exposes one that can be corked (not every stream can). */
function socketOf(c: PoolClient): Corkable | undefined {
  const stream = (c as unknown as { connection?: { stream?: Partial<Corkable> } }).connection?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Corkable)
    : undefined;
}

class RollbackFailed extends Error {
  constructor(readonly original: unknown) {
    super('rollback failed');
  }
}
