import type { PrincipalSnapshot, RequestTransitionEvent, Transport } from '../audit/event.js';
import type { RequestStatus, RequestStore, StoredRequest } from '../ports/request-store.js';
import { envelope, sameParty } from './events.js';
import { reserveSeqs, transition, updateRequest } from './lifecycle.js';

export interface CancelDeps {
  requests: RequestStore;
  now: () => Date;
  transport?: Transport;
}

export type CancelOutcome =
  | { kind: 'cancelled'; request: StoredRequest; event: RequestTransitionEvent }
  /** Unknown, or not the caller's: the same answer, so ids cannot be probed. */
  | { kind: 'not_found' }
  | { kind: 'not_pending'; status: RequestStatus };

/** The requester (same issuer and id) cancels a request still waiting for approval. */
export async function cancelRequest(
  deps: CancelDeps,
  requestId: string,
  caller: PrincipalSnapshot,
): Promise<CancelOutcome> {
  type Step = { kind: 'not_found' } | { kind: 'not_pending'; status: RequestStatus } | RequestTransitionEvent;
  const update = await updateRequest<Step>(deps.requests, requestId, (current) => {
    if (!sameParty(current.requester, caller)) return { stop: { kind: 'not_found' } };
    if (current.status !== 'pending') return { stop: { kind: 'not_pending', status: current.status } };
    const now = deps.now();
    const { next, seqs } = reserveSeqs(transition(current, 'cancelled', now), 1);
    const event: RequestTransitionEvent = {
      ...envelope(
        next,
        seqs[0]!,
        now,
        { transport: deps.transport ?? 'rest', principal: caller },
        'approval.cancel',
      ),
      kind: 'request.transition',
      from: 'pending',
      to: 'cancelled',
      reason: 'cancelled by the requester',
    };
    return { write: next, result: event };
  });
  if (update.kind === 'missing') return { kind: 'not_found' };
  if (update.kind === 'stopped') {
    return update.result.kind === 'request.transition' ? { kind: 'not_found' } : update.result;
  }
  const event = update.result;
  if (event.kind !== 'request.transition') return { kind: 'not_found' };
  return { kind: 'cancelled', request: update.stored.value, event };
}
