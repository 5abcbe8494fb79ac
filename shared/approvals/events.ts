import type { PrincipalSnapshot, Transport } from '../audit/event.js';
import { eventId } from '../audit/event.js';
import type { StoredRequest } from '../ports/request-store.js';

/** Who and what drove a workflow step, for the envelope of the events it records. */
export interface StepContext {
  transport: Transport;
  /** The principal the step acted for (approver, requester), null for timers. */
  principal: PrincipalSnapshot | null;
}

/** The envelope fields every approval event shares. */
export function envelope(
  request: StoredRequest,
  seq: number,
  at: Date,
  context: StepContext,
  action: string,
) {
  return {
    id: eventId(request.id, seq),
    requestId: request.id,
    seq,
    time: at.toISOString(),
    principal: context.principal,
    transport: context.transport,
    connection: request.connection,
    action,
  };
}

/** Same issuer and same id: the only test of "the same party" (ids are unique per issuer only). */
export function sameParty(a: { issuer?: string; id: string }, b: { issuer?: string; id: string }): boolean {
  return a.issuer !== undefined && a.issuer !== '' && a.issuer === b.issuer && a.id === b.id;
}
