import { toGatewayError } from '../errors.js';
import { boundedRouteValue } from '../limits.js';
import { record } from '../pipeline/record.js';
import { newTrace, type RequestStart } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import { refuse, report } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import { failureOf, type Outcome } from './outcome.js';

/**
 * A request refused before any use case could run (a failed token, an unreadable body): its
 * event is recorded like any other, with what is known, and the outcome says why.
 */
export function refuseRequest(
  deps: Pick<UseCaseDeps, 'audit' | 'log'>,
  start: RequestStart,
  error: unknown,
  known: { principal?: Principal } = {},
): Promise<Outcome<never>> {
  const trace = newTrace({ ...start, connection: boundedRouteValue(start.connection) });
  if (known.principal) trace.principal = known.principal;
  return refuse(deps, trace, error);
}

/**
 * A protocol exchange that ran no use case (MCP `initialize`, `tools/list`, `ping`, a
 * notification): recorded as served, with nothing read, so that every exchange past
 * authentication is in the trail (red-team round 44: these left none). When the record
 * cannot be written the outcome is `audit_unavailable`, and the exchange is not answered.
 */
export async function recordExchange(
  deps: Pick<UseCaseDeps, 'audit' | 'log'>,
  start: RequestStart,
  principal: Principal,
): Promise<Outcome<null>> {
  const trace = newTrace({ ...start, connection: null });
  trace.principal = principal;
  trace.decision = {
    outcome: 'allow',
    policyIds: [],
    reasons: ['A protocol exchange: nothing was read.'],
    obligations: {},
  };
  try {
    await record(deps.audit, trace, { status: 200, errorCode: null, rowsReturned: 0, truncated: false });
  } catch (e) {
    const failure = toGatewayError(e);
    report(deps, trace.requestId, failure);
    return { kind: 'failed', requestId: trace.requestId, failure: failureOf(failure) };
  }
  return { kind: 'allowed', requestId: trace.requestId, value: null };
}
