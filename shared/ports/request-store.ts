import type { PrincipalSnapshot } from '../audit/event.js';

/**
 * A request that policy sent to a human, from the moment it is stored until its result is
 * gone. Every transition is a conditional write on the stored version, so two approvers,
 * a redelivered message and the expiry timer can race without running anything twice.
 */
export type RequestStatus =
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'cancelled'
  | 'executing'
  | 'completed'
  | 'failed';

/** The transitions a request may take; anything else is refused by the workflow. */
export const REQUEST_TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending: ['approved', 'denied', 'expired', 'cancelled'],
  approved: ['executing', 'expired'],
  executing: ['completed', 'failed'],
  denied: [],
  expired: [],
  cancelled: [],
  completed: [],
  failed: [],
};

export interface ApprovalVote {
  approver: { id: string; name?: string };
  decision: 'approve' | 'deny';
  /** ISO-8601. */
  at: string;
  reason?: string;
  /** An approver may lower the row cap, never raise it. */
  maxRows?: number;
  /** Id of the decision message, so a redelivered decision counts once. */
  decisionId: string;
}

export interface StoredRequest {
  id: string;
  status: RequestStatus;
  /** ISO-8601 times. */
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  connection: string;
  /** Exactly what runs when approved: the statement whole, its parameters, and their digests. */
  statement: string;
  params: unknown[];
  statementSha256: string;
  /** Hex SHA-256 of the canonical JSON of `params`, re-checked with the statement before it runs. */
  paramsSha256: string;
  fingerprint: string;
  requester: PrincipalSnapshot;
  purpose: string | null;
  /** The approver group the policy named (a group id), and how many distinct approvers. */
  approverGroup: string | null;
  quorum: number;
  /** The row cap the request was decided with (lowered by approvers, never raised). */
  maxRows: number;
  estimatedRows: number | null;
  tables: string[];
  policyIds: string[];
  reasons: string[];
  /** SHA-256 of the policy set the request was decided under. */
  policySetDigest: string;
  votes: ApprovalVote[];
  /**
   * The `seq` the next audit event about this request takes. Every step that records events
   * reserves its seqs in the same conditional write that changes the request, so events
   * written by racing workers never share an id.
   */
  auditSeq: number;
  /** Where a signed notice goes when the request finishes (checked against the allowlist). */
  callbackUrl?: string;
  /** Set when completed: the result store id. */
  resultId?: string;
  /** Set when failed: a stable code and a caller-safe message. */
  error?: { code: string; message: string };
}

export interface Versioned<T> {
  value: T;
  /** Opaque version; a write that names an older one is refused. */
  etag: string;
}

export type ConditionalWrite<T> =
  | { ok: true; value: Versioned<T> }
  | { ok: false; reason: 'conflict' | 'missing' };

export interface RequestListFilter {
  status: RequestStatus;
  limit: number;
  requester?: { issuer: string; id: string };
}

/**
 * Persistence port for approval requests. `replace` succeeds only when `ifMatch` is the
 * stored version; losing a race is an ordinary outcome, not an exception. Unavailability
 * rejects with `store_unavailable`.
 */
export interface RequestStore {
  /** Stores a new request; `{ok: false, reason: 'conflict'}` when the id exists. */
  create(request: StoredRequest): Promise<ConditionalWrite<StoredRequest>>;
  get(id: string): Promise<Versioned<StoredRequest> | null>;
  replace(request: StoredRequest, ifMatch: string): Promise<ConditionalWrite<StoredRequest>>;
  /**
   * Requests in one status, oldest first (for inboxes and the expiry timer); with `requester`,
   * only those whose requester has that issuer and id (the pending cap per caller).
   */
  list(filter: RequestListFilter): Promise<StoredRequest[]>;
}
