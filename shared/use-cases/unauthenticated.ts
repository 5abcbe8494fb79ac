import { boundedRouteValue } from '../limits.js';
import { newTrace, type RequestStart } from '../pipeline/trace.js';
import { refuse } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import type { Outcome } from './outcome.js';

/**
 * A request refused before any use case could run (a failed token, an unreadable body): its
 * event is recorded like any other, with what is known, and the outcome says why.
 */
export function refuseRequest(
  deps: Pick<UseCaseDeps, 'audit' | 'log'>,
  start: RequestStart,
  error: unknown,
  known: { principal?: import('../types.js').Principal } = {},
): Promise<Outcome<never>> {
  const trace = newTrace({ ...start, connection: boundedRouteValue(start.connection) });
  if (known.principal) trace.principal = known.principal;
  return refuse(deps, trace, error);
}
