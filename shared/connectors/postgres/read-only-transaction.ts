import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { breaksConnection, timedOut, toConnectorError, unavailable } from './errors.js';
import { trippedMeter } from './wire-meter.js';

/**
 * Every statement the gateway sends runs here: one pooled client, a READ ONLY transaction
 * with a server-side statement timeout, and a ROLLBACK at the end whatever happened, so
 * nothing the statement did can ever be committed.
 */

/** The client-side deadline waits this much longer than the server-side timeout. */
const DEADLINE_GRACE_MS = 1000;
const MAX_TIMEOUT_MS = 3_600_000;

export function checkTimeout(ms: number): number {
  // Interpolated into SET LOCAL (which takes no bind parameters), so it must be a plain integer.
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new TypeError(`statementTimeoutMs must be an integer between 1 and ${MAX_TIMEOUT_MS}`);
  }
  return ms;
}

/**
 * Always the extended protocol, even without parameters: it accepts exactly one statement,
 * so `select 1; commit; delete ...` cannot end the read-only transaction early. (`queryMode`
 * is a pg option that @types/pg does not declare.)
 */
export type Statement = QueryConfig & { queryMode: 'extended'; rowMode?: 'array' };

/**
 * The EXPLAIN a statement's estimate runs under: ANALYZE when rows read are counted (it runs
 * the statement, read-only, under the same timeout); VERBOSE when the caller wants the
 * plan's sources, which only VERBOSE prints (each node's Output).
 */
export function explainPrefix(opts: { rowsRead?: boolean; onPlanSources?: unknown }): string {
  const options = [
    ...(opts.rowsRead === true ? ['ANALYZE'] : []),
    ...(opts.onPlanSources !== undefined ? ['VERBOSE'] : []),
    'FORMAT JSON',
  ];
  return `EXPLAIN (${options.join(', ')}) `;
}

export function oneStatement(text: string, values: readonly unknown[], rowMode?: 'array'): Statement {
  const statement: Statement = { text, values: [...values], queryMode: 'extended' };
  if (rowMode !== undefined) statement.rowMode = rowMode;
  return statement;
}

export type Work<T> = (run: (statement: Statement) => Promise<QueryResult>) => Promise<T>;

export async function inReadOnlyTransaction<T>(
  pool: Pool,
  statementTimeoutMs: number,
  work: Work<T>,
): Promise<T> {
  const timeout = checkTimeout(statementTimeoutMs);
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw unavailable(e);
  }

  let destroy = false;
  const running = runTransaction(client, timeout, work).catch((e: unknown) => {
    if (e instanceof RollbackFailed) {
      destroy = true;
      throw e.original;
    }
    if (breaksConnection(e)) destroy = true;
    throw e;
  });

  // Backstop for when the server cannot enforce statement_timeout (PGlite ignores it) or the
  // network hangs: give up waiting, and destroy the client so the session dies with it.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      destroy = true;
      reject(timedOut());
    }, timeout + DEADLINE_GRACE_MS);
  });
  // The abandoned statement may still fail later; that outcome is no longer anyone's concern.
  running.catch(() => undefined);

  try {
    return await Promise.race([running, deadline]);
  } catch (e) {
    // The read bound destroyed the socket, maybe in the chunk that also completed the
    // statement, so that ROLLBACK failed instead: that is the bound's error, not the target's
    // (red-team round 17 on read sessions; this path too, which round 44 made likelier).
    const tripped = trippedMeter(client);
    if (tripped) throw tripped;
    throw toConnectorError(e);
  } finally {
    clearTimeout(timer);
    client.release(destroy ? new Error('agentgate: connection discarded') : undefined);
  }
}

/**
 * Our own fixed set-up text (integers checked by checkTimeout); only this text, never the
 * caller's statement, goes through the multi-statement simple protocol. Should this process
 * vanish mid-transaction, the idle timeout still ends the session.
 */
export function transactionSetup(timeoutMs: number): string {
  return (
    `BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}; ` +
    `SET LOCAL idle_in_transaction_session_timeout = ${Math.max(timeoutMs, 5000)}`
  );
}

class RollbackFailed extends Error {
  constructor(readonly original: unknown) {
    super('rollback failed');
  }
}

async function runTransaction<T>(client: PoolClient, timeoutMs: number, work: Work<T>): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    await client.query(transactionSetup(timeoutMs));
    outcome = { ok: true, value: await work((statement) => client.query(statement)) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  try {
    await client.query('ROLLBACK');
  } catch (rollbackError) {
    // Without a confirmed rollback the session is in an unknown state: fail and discard it.
    throw new RollbackFailed(outcome.ok ? rollbackError : outcome.error);
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
