import type { ApprovalDecisionEvent, RequestTransitionEvent } from '../audit/event.js';
import type { ApprovalVote, RequestStatus, RequestStore, StoredRequest } from '../ports/request-store.js';
import { type DecisionMessage, decisionMessageSchema } from './decision-message.js';
import { envelope, type StepContext } from './events.js';
import { isExpired, reserveSeqs, transition, updateRequest } from './lifecycle.js';

/** Why a decision changed nothing; stable strings for audit, logs and the REST answer. */
export type RefusalReason =
  | 'invalid_message'
  | 'not_found'
  | 'approver_not_human'
  | 'self_approval'
  | 'on_behalf_of_requester'
  | 'not_in_approver_group'
  | 'not_permitted'
  | 'not_pending'
  | 'expired'
  | 'already_voted';

export type ApprovalEvent = ApprovalDecisionEvent | RequestTransitionEvent;

export type DecisionOutcome =
  | { kind: 'applied'; status: RequestStatus; request: StoredRequest; events: ApprovalEvent[] }
  | { kind: 'refused'; reason: RefusalReason; events: ApprovalEvent[] }
  | { kind: 'duplicate'; events: [] };

/** Whether policy (Cedar action `approve`) lets this approver approve this request. */
export type MayApprove = (
  approver: DecisionMessage['approver'],
  request: StoredRequest,
) => boolean | Promise<boolean>;

export interface ApplyDecisionDeps {
  requests: RequestStore;
  mayApprove: MayApprove;
  now: () => Date;
}

/**
 * Whether this person may decide this request at all, whatever they decide: a human acting
 * for nobody, not the requester nor the human the requester acts for, in the approver group
 * the policy named, and allowed Cedar action `approve`. `mayApprove` errors refuse (fail
 * closed). Every channel asks this before queueing a decision, and the consumer again.
 */
export async function approverRefusal(
  approver: DecisionMessage['approver'],
  request: StoredRequest,
  mayApprove: MayApprove,
): Promise<RefusalReason | null> {
  if (approver.kind !== 'human' || approver.onBehalfOf !== undefined) return 'approver_not_human';
  if (approver.id === request.requester.id) return 'self_approval';
  if (approver.id === request.requester.onBehalfOf?.id) return 'on_behalf_of_requester';
  if (request.approverGroup === null || !approver.groups.includes(request.approverGroup)) {
    return 'not_in_approver_group';
  }
  let allowed = false;
  try {
    allowed = (await mayApprove(approver, request)) === true;
  } catch {
    allowed = false;
  }
  return allowed ? null : 'not_permitted';
}

/** The checks a decision must pass on the request as stored, in order. */
async function refusalFor(
  message: DecisionMessage,
  request: StoredRequest,
  mayApprove: MayApprove,
): Promise<RefusalReason | null> {
  const refused = await approverRefusal(message.approver, request, mayApprove);
  if (refused !== null) return refused;
  if (message.decision === 'approve' && request.votes.some((v) => v.approver.id === message.approver.id)) {
    return 'already_voted';
  }
  return null;
}

interface Decided {
  outcome: DecisionOutcome;
}

/**
 * Applies one decision message from any channel. Idempotent on `decisionId`; a deny from
 * any allowed approver denies; `quorum` distinct allowed approvers approve; a vote's
 * `maxRows` can only lower the cap. Every outcome but a duplicate comes with the events
 * to record, their seqs reserved in the same conditional write.
 */
export async function applyDecision(deps: ApplyDecisionDeps, input: unknown): Promise<DecisionOutcome> {
  const parsed = decisionMessageSchema.safeParse(input);
  if (!parsed.success) return { kind: 'refused', reason: 'invalid_message', events: [] };
  const message = parsed.data;
  const context: StepContext = { transport: 'queue', principal: message.approver };

  const update = await updateRequest<Decided>(deps.requests, message.requestId, async (current) => {
    if (current.votes.some((v) => v.decisionId === message.decisionId)) {
      return { stop: { outcome: { kind: 'duplicate', events: [] } } };
    }
    const now = deps.now();
    const decisionEvent = (
      request: StoredRequest,
      seq: number,
      refusal?: RefusalReason,
    ): ApprovalDecisionEvent => ({
      ...envelope(request, seq, now, context, 'approval.decide'),
      kind: 'approval.decision',
      decisionId: message.decisionId,
      vote: message.decision,
      ...(message.reason === undefined ? {} : { reason: message.reason }),
      ...(message.maxRows === undefined ? {} : { maxRows: message.maxRows }),
      applied: refusal === undefined,
      ...(refusal === undefined ? {} : { refusal }),
      statusAfter: request.status,
    });

    if (current.status === 'pending' && isExpired(current, now)) {
      const expired = transition(current, 'expired', now);
      const { next, seqs } = reserveSeqs(expired, 2);
      const moved: RequestTransitionEvent = {
        ...envelope(next, seqs[0]!, now, { transport: 'queue', principal: null }, 'approval.expire'),
        kind: 'request.transition',
        from: 'pending',
        to: 'expired',
        reason: 'expired before the decision',
      };
      const events = [moved, decisionEvent(next, seqs[1]!, 'expired')];
      return { write: next, result: { outcome: { kind: 'refused', reason: 'expired', events } } };
    }
    const refusal =
      current.status === 'pending' ? await refusalFor(message, current, deps.mayApprove) : 'not_pending';
    if (refusal !== null) {
      const { next, seqs } = reserveSeqs(current, 1);
      const events = [decisionEvent(next, seqs[0]!, refusal)];
      return { write: next, result: { outcome: { kind: 'refused', reason: refusal, events } } };
    }

    const vote: ApprovalVote = {
      approver: {
        id: message.approver.id,
        ...(message.approver.name ? { name: message.approver.name } : {}),
      },
      decision: message.decision,
      at: now.toISOString(),
      decisionId: message.decisionId,
      ...(message.reason === undefined ? {} : { reason: message.reason }),
      ...(message.maxRows === undefined ? {} : { maxRows: message.maxRows }),
    };
    const votes = [...current.votes, vote];
    const maxRows = Math.min(current.maxRows, message.maxRows ?? current.maxRows);
    const approvers = new Set(votes.filter((v) => v.decision === 'approve').map((v) => v.approver.id));
    const status: RequestStatus =
      message.decision === 'deny' ? 'denied' : approvers.size >= current.quorum ? 'approved' : 'pending';
    const changed =
      status === 'pending'
        ? { ...current, votes, maxRows, updatedAt: now.toISOString() }
        : transition(current, status, now, { votes, maxRows });
    const { next, seqs } = reserveSeqs(changed, 1);
    const events = [decisionEvent(next, seqs[0]!)];
    return { write: next, result: { outcome: { kind: 'applied', status, request: next, events } } };
  });

  if (update.kind === 'missing') return { kind: 'refused', reason: 'not_found', events: [] };
  if (update.kind === 'written' && update.result.outcome.kind === 'applied') {
    return { ...update.result.outcome, request: update.stored.value };
  }
  return update.result.outcome;
}
