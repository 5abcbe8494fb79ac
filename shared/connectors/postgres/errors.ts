import { DatabaseError } from 'pg';
import { GatewayError } from '../../errors.js';

/**
 * Maps what `pg` throws to the gateway's error codes. Server messages are passed on for
 * statement problems (they describe the caller's SQL and name no secret); anything about
 * reaching or logging in to the target gets one generic message, with the detail in `cause`.
 */

const UNAVAILABLE = 'The data target is unavailable.';

/** SQLSTATE classes that mean the session or the server is gone, not that the SQL was wrong. */
const UNAVAILABLE_CLASSES = new Set(['08', '28', '3D', '53', '57', '58', 'XX']);

function sqlState(e: unknown): string | undefined {
  return e instanceof DatabaseError ? e.code : undefined;
}

/** True when the client must be destroyed rather than returned to the pool. */
export function breaksConnection(e: unknown): boolean {
  if (!(e instanceof DatabaseError)) return true;
  if (e.severity === 'FATAL' || e.severity === 'PANIC') return true;
  const state = e.code ?? '';
  return state.startsWith('08') || state.startsWith('57P');
}

/** Statements DECLARE CURSOR cannot wrap (DML, utility statements, data-modifying WITH). */
export function rejectedAsCursor(e: unknown): boolean {
  const state = sqlState(e);
  return state === '42601' || state === '0A000' || state === '42P11';
}

/**
 * The server counts an error's position in the text it was sent; the gateway sent the
 * caller's statement after a prefix of its own (`DECLARE ... FOR `), so take that off.
 */
export function shiftPosition(e: unknown, prefixLength: number): unknown {
  if (!(e instanceof DatabaseError) || e.position === undefined) return e;
  const position = Number(e.position) - prefixLength;
  e.position = position >= 1 ? String(position) : undefined;
  return e;
}

export function unavailable(cause: unknown): GatewayError {
  return new GatewayError('target_unavailable', UNAVAILABLE, { cause });
}

export function timedOut(cause?: unknown): GatewayError {
  return new GatewayError('query_timeout', 'The statement exceeded its time limit and was cancelled.', {
    cause,
  });
}

export function toConnectorError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const state = sqlState(e);
  if (state === undefined || !(e instanceof DatabaseError)) return unavailable(e);
  if (state === '57014') return timedOut(e);
  if (state === '25006' || state === '42501') {
    return new GatewayError('forbidden', `The target refused the statement: ${e.message}`, {
      cause: e,
      details: { sqlstate: state },
    });
  }
  // An internal error (XX000) at ERROR severity is the server failing one statement it was
  // sent, with the session intact: a caller can cause it at will (`(row(x, 'y')).*` read from
  // a subquery: "failed to find conversion function"), so it is not a target outage to alert
  // on. The server's internal message is not passed on.
  if (state === 'XX000' && e.severity === 'ERROR') {
    return new GatewayError('query_failed', 'The target could not run this statement (an internal error).', {
      cause: e,
      details: { sqlstate: state },
    });
  }
  if (breaksConnection(e) || UNAVAILABLE_CLASSES.has(state.slice(0, 2))) return unavailable(e);
  const position = e.position === undefined ? undefined : Number(e.position);
  return new GatewayError('query_failed', e.message, {
    cause: e,
    details: { sqlstate: state, ...(position !== undefined && position >= 1 ? { position } : {}) },
  });
}
