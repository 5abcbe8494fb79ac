import { createApprovalRequest, sha256Hex } from '../approvals/create-request.js';
import type { BlobConnectionConfig } from '../config/blob-connection.js';
import type { BlobPath } from '../connectors/blob/path.js';
import type { BlobRange } from '../connectors/blob/port.js';
import { GatewayError } from '../errors.js';
import { principalSnapshot, recordEvents } from '../pipeline/record.js';
import type { RequestTrace } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import type { Concluded } from './conclude.js';
import type { ApprovalPorts, UseCaseDeps } from './deps.js';
import { refuseOverPendingCap } from './pending-cap.js';
import { statusPath } from './request-approval.js';

export interface BlobApprovalInput {
  connection: BlobConnectionConfig;
  path: BlobPath;
  range: BlobRange;
  /** The version decided on: an approved read must read this one and no other. */
  etag: string | null;
  versionId: string | null;
  /** Records skipped before the first one returned, as the agent asked (read from 0 when 0). */
  rowOffset: number;
  maxRows: number;
  purpose: string | null;
}

/**
 * The statement a stored blob read names: what approvers see and what the stored digest
 * binds. It is not SQL: an approved blob read runs from the params it is checked against
 * (shared/use-cases/blob-approved.ts).
 */
export function blobReadStatement(
  input: Pick<BlobApprovalInput, 'path' | 'range' | 'etag'> & { rowOffset?: number },
): string {
  const end = input.range.count === undefined ? '' : String(input.range.offset + input.range.count - 1);
  // The records skipped are part of what is approved: without them an approved read began at the
  // first record, more than was asked and than the reason counted (red-team round 44).
  const skip = input.rowOffset ? ` SKIP ${input.rowOffset} ROWS` : '';
  return `READ BLOB ${input.path.container}/${input.path.name} BYTES ${input.range.offset}-${end}${skip} ETAG ${input.etag ?? '*'}`;
}

/**
 * A blob read over the threshold goes to people: the read (path, range, ETag and version) is
 * stored as a pending request, `approval.requested` is recorded and approvers are asked,
 * exactly like a SQL request. Nothing was read.
 */
export async function requestBlobApproval(
  deps: UseCaseDeps & { approvals: ApprovalPorts },
  trace: RequestTrace,
  principal: Principal,
  input: BlobApprovalInput,
): Promise<Concluded<never>> {
  const decision = trace.decision;
  if (decision?.outcome !== 'approval')
    throw new GatewayError('internal', 'An approval was asked for without a decision.');
  const statement = blobReadStatement(input);
  const target = `${input.path.container}/${input.path.name}`;
  await refuseOverPendingCap(deps, principal, trace.time);
  const { request, event } = await createApprovalRequest(
    deps.approvals.requests,
    {
      id: trace.requestId,
      seq: 1,
      requester: principalSnapshot(principal),
      transport: trace.transport,
      connection: input.connection.id,
      statement,
      params: [
        {
          kind: 'blob.read',
          path: target,
          ...input.range,
          ...(input.rowOffset > 0 ? { rowOffset: input.rowOffset } : {}),
          etag: input.etag,
          versionId: input.versionId,
        },
      ],
      fingerprint: sha256Hex(`blob.read ${target}`),
      purpose: input.purpose,
      policyIds: decision.policyIds,
      reasons: decision.reasons,
      approvals: decision.obligations.approvals ?? [],
      maxRows: input.maxRows,
      estimatedRows: null,
      tables: [target],
      policySetDigest: deps.policy.digest(),
    },
    trace.time,
  );
  trace.approvalRequestId = request.id;
  trace.statement = statement;
  await recordEvents(deps.audit, [event]);
  try {
    await deps.approvals.queue.send('approval-requests', {
      messageId: request.id,
      body: { requestId: request.id },
    });
  } catch (cause) {
    throw new GatewayError('queue_unavailable', 'Approvers could not be asked; nothing was read.', { cause });
  }
  return {
    pending: { approvalRequestId: request.id, status: request.status, expiresAt: request.expiresAt },
    failure: {
      code: 'approval_required',
      message: 'This read needs human approval. Nothing was read yet; follow it at the status URL.',
      details: {
        policyIds: decision.policyIds,
        reasons: decision.reasons,
        statusUrl: statusPath(request.id),
      },
    },
  };
}
