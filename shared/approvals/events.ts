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

/** Who a party is: issuer and id, and for a whole principal its kind and whom it acts for. */
export interface Party {
  issuer?: string;
  id: string;
  kind?: string;
  onBehalfOf?: { id: string };
}

/**
 * Same issuer and same id (ids are unique per issuer only); and, where both sides are whole
 * principals (a kind each), the same kind and the same person acted for. An agent's id is its
 * app for every user it works for, so without this an agent acting for bob fetched what it was
 * approved for alice, and a token of another kind with the same id did too (red-team round 24).
 */
export function sameParty(a: Party, b: Party): boolean {
  if (a.issuer === undefined || a.issuer === '' || a.issuer !== b.issuer || a.id !== b.id) return false;
  if (a.kind === undefined || b.kind === undefined) return true;
  return a.kind === b.kind && a.onBehalfOf?.id === b.onBehalfOf?.id;
}
