import { createHash } from 'node:crypto';
import { canonicalSha256 } from '../audit/canonical.js';
import type { ApprovalRequestedEvent, PrincipalSnapshot, Transport } from '../audit/event.js';
import { GatewayError } from '../errors.js';
import type { RequestStore, StoredRequest } from '../ports/request-store.js';
import type { ApprovalObligation } from '../types.js';
import { approvalTerms } from './annotations.js';
import { envelope } from './events.js';

/** What the query pipeline knows when policy sends a request to approval. */
export interface NewApprovalRequest {
  /** The request id (also the id of the pipeline's own audit events). */
  id: string;
  /** The seq the `approval.requested` event takes (after the pipeline's own events). */
  seq: number;
  requester: PrincipalSnapshot;
  transport: Transport;
  connection: string;
  statement: string;
  params: unknown[];
  fingerprint: string;
  purpose: string | null;
  /** The approval decision: the approval policies that made it, and their messages. */
  policyIds: string[];
  reasons: string[];
  /** Who may approve, per rule: the decision's `obligations.approvals`, one for each policy id. */
  approvals: readonly ApprovalObligation[];
  /** The row cap the pipeline would run it under (policy obligation or connection cap). */
  maxRows: number;
  estimatedRows: number | null;
  tables: string[];
  policySetDigest: string;
  /** Already checked against the callback allowlist. */
  callbackUrl?: string;
}

export interface CreatedRequest {
  request: StoredRequest;
  /** Record this before answering 202: a request nobody can trace must not wait for approval. */
  event: ApprovalRequestedEvent;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Stores a pending request binding exactly what will run and under which terms (approvers,
 * `@quorum`, `@expires` of the rules that asked for approval). Throws `policy_error` for
 * missing or unusable terms and `conflict` when the id is taken.
 */
export async function createApprovalRequest(
  store: RequestStore,
  input: NewApprovalRequest,
  now: Date,
): Promise<CreatedRequest> {
  // The result is released to issuer+id only; without an issuer nobody could fetch it.
  if (input.requester.issuer === undefined || input.requester.issuer === '') {
    throw new TypeError('an approval request needs the requester issuer');
  }
  if (!Number.isSafeInteger(input.maxRows) || input.maxRows < 1) {
    throw new TypeError('an approval request needs a positive row cap');
  }
  if (!Number.isSafeInteger(input.seq) || input.seq < 0) throw new TypeError('seq must be a whole number');
  const terms = approvalTerms(input.policyIds, input.approvals);
  const at = now.toISOString();
  const request: StoredRequest = {
    id: input.id,
    status: 'pending',
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(now.getTime() + terms.expiresInMs).toISOString(),
    connection: input.connection,
    statement: input.statement,
    params: structuredClone(input.params),
    statementSha256: sha256Hex(input.statement),
    paramsSha256: canonicalSha256(input.params),
    fingerprint: input.fingerprint,
    requester: structuredClone(input.requester),
    purpose: input.purpose,
    approverGroup: terms.approverGroup,
    quorum: terms.quorum,
    maxRows: input.maxRows,
    estimatedRows: input.estimatedRows,
    tables: [...input.tables],
    policyIds: [...input.policyIds],
    reasons: [...input.reasons],
    policySetDigest: input.policySetDigest,
    votes: [],
    auditSeq: input.seq + 1,
    ...(input.callbackUrl === undefined ? {} : { callbackUrl: input.callbackUrl }),
  };
  const created = await store.create(request);
  if (!created.ok) throw new GatewayError('conflict', 'An approval request with this id already exists.');
  const event: ApprovalRequestedEvent = {
    ...envelope(
      request,
      input.seq,
      now,
      { transport: input.transport, principal: request.requester },
      'approval.request',
    ),
    kind: 'approval.requested',
    statementSha256: request.statementSha256,
    fingerprint: request.fingerprint,
    approverGroup: request.approverGroup,
    quorum: request.quorum,
    expiresAt: request.expiresAt,
    estimatedRows: request.estimatedRows,
    policyIds: request.policyIds,
    reasons: request.reasons,
  };
  return { request: created.value.value, event };
}
