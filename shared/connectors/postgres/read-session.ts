import type { QueryResult as PgQueryResult, Pool, PoolClient } from 'pg';
import type { QueryResult } from '../../types.js';
import type { ExecuteOptions, ReadSession } from '../connector.js';
import { breaksConnection, shiftPosition, timedOut, toConnectorError, unavailable } from './errors.js';
import { checkTimeout, oneStatement, type Statement, transactionSetup } from './read-only-transaction.js';
import type { PgResultColumn } from './result-shape.js';

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
  /** The planner's (or, with rowsRead, the counted) rows of an EXPLAIN result. */
  planRows(result: PgQueryResult, rowsRead: boolean): number | null;
  /** Rows of a capped result as the connector answers them (at most `limit`, truncated flag). */
  shape(result: PgQueryResult, limit: number): QueryResult<PgResultColumn>;
  /** The sequential read (savepoint, cursor, fallback) for statements that are not plain queries. */
  fetchSequential(
    sql: string,
    params: readonly unknown[],
    maxRows: number,
  ): (run: (statement: Statement) => Promise<PgQueryResult>) => Promise<QueryResult<PgResultColumn>>;
  checkMaxRows(maxRows: number): number;
}

export function openPgReadSession(deps: PgReadSessionDeps): ReadSession<PgResultColumn> {
  const timeout = checkTimeout(deps.statementTimeoutMs);
  let client: PoolClient | undefined;
  let began: Promise<unknown> | undefined;
  let ended: Promise<void> | undefined;
  let destroy = false;
  let estimated = false;

  const checkout = async (): Promise<PoolClient> => {
    if (ended) throw new Error('agentgate: the read session has ended');
    if (client) return client;
    try {
      client = await deps.pool.connect();
    } catch (e) {
      throw unavailable(e);
    }
    const c = client;
    // Sent now, awaited by whoever needs it; a failure is seen through `began`.
    began = c.query(transactionSetup(timeout));
    began.catch(() => undefined);
    return c;
  };

  const run: Run = (statement) => {
    const c = client as PoolClient;
    const pending = c.query(statement);
    // Pipelined: an answer may fail before anyone awaits it; the awaiting caller sees it.
    pending.catch(() => undefined);
    return pending;
  };

  /** A step bounded by the client-side deadline; a failure that breaks the session destroys it. */
  const step = async <T>(work: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        destroy = true;
        reject(timedOut());
      }, timeout + DEADLINE_GRACE_MS);
    });
    const running = work();
    running.catch(() => undefined);
    try {
      return await Promise.race([running, deadline]);
    } catch (e) {
      if (breaksConnection(e) && !(e instanceof RollbackFailed)) destroy = true;
      if (e instanceof RollbackFailed) {
        destroy = true;
        throw toConnectorError(e.original);
      }
      throw toConnectorError(e);
    } finally {
      clearTimeout(timer);
    }
  };

  const release = () => {
    const c = client;
    client = undefined;
    c?.release(destroy ? new Error('agentgate: connection discarded') : undefined);
  };

  /** ROLLBACK, whatever happened; the session's client goes back to the pool (or is destroyed). */
  const finish = (rollback: Promise<PgQueryResult> | undefined): Promise<void> => {
    ended ??= (async () => {
      try {
        if (client && !destroy) {
          await step(async () => {
            try {
              await (rollback ?? run('ROLLBACK'));
            } catch (e) {
              throw new RollbackFailed(e);
            }
          });
        }
      } finally {
        release();
      }
    })();
    return ended;
  };

  return {
    async estimateRows(sql: string, params: readonly unknown[], opts: ExecuteOptions) {
      if (estimated) throw new Error('agentgate: one estimate per read session');
      estimated = true;
      await checkout();
      const rowsRead = opts.rowsRead === true;
      try {
        return await step(async () => {
          // EXPLAIN ANALYZE runs the statement: only inside a transaction known to have begun.
          if (rowsRead) await began;
          const explain = rowsRead ? 'EXPLAIN (ANALYZE, FORMAT JSON) ' : 'EXPLAIN (FORMAT JSON) ';
          const planned = run(oneStatement(`${explain}${sql}`, params));
          await began;
          const result = await planned.catch((e: unknown) => {
            throw shiftPosition(e, explain.length);
          });
          return deps.planRows(result, rowsRead);
        });
      } catch (e) {
        await finish(undefined).catch(() => undefined);
        throw e;
      }
    },

    async execute(sql: string, params: readonly unknown[], opts: ExecuteOptions) {
      const limit = deps.checkMaxRows(opts.maxRows);
      await checkout();
      let outcome: { ok: true; value: QueryResult<PgResultColumn> } | { ok: false; error: unknown };
      let rollback: Promise<PgQueryResult> | undefined;
      try {
        const value = await step(async () => {
          if (opts.plainQuery !== true) {
            // Not a plain query: it may run as it is, so only once BEGIN was answered.
            await began;
            return await deps.fetchSequential(sql, params, opts.maxRows)(run);
          }
          // DECLARE, FETCH and ROLLBACK leave together: one round trip for the read.
          const declare = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR `;
          const declared = run(oneStatement(`${declare}${sql}`, params));
          const fetched = run(oneStatement(`FETCH FORWARD ${limit + 1} FROM ${CURSOR}`, [], 'array'));
          rollback = run('ROLLBACK');
          await began;
          await declared.catch((e: unknown) => {
            throw shiftPosition(e, declare.length);
          });
          return deps.shape(await fetched, limit);
        });
        outcome = { ok: true, value };
      } catch (error) {
        outcome = { ok: false, error };
      }
      try {
        await finish(rollback);
      } catch (e) {
        if (outcome.ok) throw e;
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    },

    end: () => finish(undefined),
  };
}

class RollbackFailed extends Error {
  constructor(readonly original: unknown) {
    super('rollback failed');
  }
}
