import { createApprovalRequest } from '../approvals/index.js';
import { GatewayError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { principalSnapshot, recordEvents } from '../pipeline/record.js';
import type { RequestTrace } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import type { Concluded } from './conclude.js';
import type { ApprovalPorts, UseCaseDeps } from './deps.js';
import type { QueryInput } from './inputs.js';
import { refuseOverPendingCap } from './pending-cap.js';

/** Where an agent follows a request that waits for approval. */
export function statusPath(requestId: string): string {
  return `/api/v1/requests/${encodeURIComponent(requestId)}`;
}

/**
 * Policy sent the request to people: store exactly what would run (statement, parameters,
 * their digests, the row cap, the policy set's digest), record `approval.requested`, then
 * put the request on `approval-requests` for the notifier. Nothing ran. The agent gets the
 * request id and where to follow it.
 */
export async function requestApproval(
  deps: UseCaseDeps & { approvals: ApprovalPorts },
  trace: RequestTrace,
  principal: Principal,
  input: QueryInput,
): Promise<Concluded<never>> {
  const decision = trace.decision;
  const conn = input.connection === null ? undefined : deps.connections.get(input.connection);
  if (decision?.outcome !== 'approval' || !conn || !trace.facts) {
    throw new GatewayError('internal', 'An approval was asked for without a decided statement.');
  }
  // An approved read is capped by the approval policy's @maxRows (a bulk export may exceed
  // the connection's cap for direct reads; that is what the approval is for), by what the
  // caller asked for, and by the gateway's own limit.
  const cap = decision.obligations.maxRows ?? conn.maxRows;
  const maxRows = Math.min(cap, input.maxRows ?? cap, LIMITS.maxRows);
  await refuseOverPendingCap(deps, principal, trace.time);
  const { request, event } = await createApprovalRequest(
    deps.approvals.requests,
    {
      id: trace.requestId,
      seq: 1,
      requester: principalSnapshot(principal),
      transport: trace.transport,
      connection: conn.id,
      statement: input.sql,
      params: input.params ?? [],
      fingerprint: trace.facts.fingerprint,
      purpose: input.purpose ?? null,
      policyIds: decision.policyIds,
      reasons: decision.reasons,
      approvals: decision.obligations.approvals ?? [],
      maxRows,
      estimatedRows: trace.estimatedRows,
      tables: trace.facts.tables,
      policySetDigest: deps.policy.digest(),
      ...(input.callbackUrl === undefined ? {} : { callbackUrl: input.callbackUrl }),
    },
    trace.time,
  );
  trace.approvalRequestId = request.id;
  await recordEvents(deps.audit, [event]);
  try {
    await deps.approvals.queue.send('approval-requests', {
      messageId: request.id,
      // approverGroup and approveUrl are for the optional Teams Logic App (infra/), which
      // cannot read the request store; the Function App's notifier reads the request itself.
      body: {
        requestId: request.id,
        approverGroup: request.approverGroup,
        approveUrl: deps.approvals.approveUrl(request.id),
      },
    });
  } catch (cause) {
    // The request stays pending and expires unseen; the agent is told nobody was asked.
    throw new GatewayError('queue_unavailable', 'Approvers could not be asked; nothing was executed.', {
      cause,
    });
  }
  return {
    pending: { approvalRequestId: request.id, status: request.status, expiresAt: request.expiresAt },
    failure: {
      code: 'approval_required',
      message: 'This request needs human approval; nothing was released. Follow it at the status URL.',
      details: {
        policyIds: decision.policyIds,
        reasons: decision.reasons,
        statusUrl: statusPath(request.id),
      },
    },
  };
}
