import type { Effect, Outcome, PrincipalKind } from '../types.js';

/**
 * The audit event stream. Every step of every request is one event; a request's events
 * share `requestId` and are numbered by `seq`, so `id = requestId:seq` never collides
 * between steps. Events are serialised with RFC 8785 canonical JSON (`canonical.ts`), so a
 * hash chain can be laid over them without touching whoever records them. They never hold
 * clear values of masked data, tokens or secrets.
 */

/** Which transport carried the request (or which trigger ran the step). */
export type Transport = 'rest' | 'mcp' | 'queue' | 'timer';

export interface PrincipalSnapshot {
  id: string;
  kind: PrincipalKind;
  issuer?: string;
  appId?: string;
  name?: string;
  groups: string[];
  roles: string[];
  onBehalfOf?: { id: string; name?: string };
}

interface Envelope {
  /** `requestId:seq`. */
  id: string;
  requestId: string;
  /** 0 for a request's first event, then 1, 2, ... */
  seq: number;
  /** ISO-8601 UTC. */
  time: string;
  principal: PrincipalSnapshot | null;
  transport: Transport;
  /** Connection id from the request (even when unknown), null when none applies. */
  connection: string | null;
  /** The use case or workflow step (`query`, `connections.list`, `approval.decide`, ...). */
  action: string;
  /** Set by a hash-chained store: where this event sits in its lane. */
  chain?: { lane: number; index: number; prev: string; hash: string };
}

export interface DecisionSummary {
  outcome: Outcome | 'error';
  policyIds: string[];
  reasons: string[];
}

export interface MaskingSummary {
  columns: Record<string, string>;
  cellsMasked: number;
  byClass: Record<string, number>;
}

/** What a blob listing or read touched (connections of kind `blob`). */
export interface BlobAccess {
  container: string;
  /** The blob's name in its container (a read), or the prefix listed. */
  path: string;
  versionId: string | null;
  etag: string | null;
  contentType: string | null;
  /** `csv`, `json`, `ndjson`, `text`, `binary`; `listing` for a listing. */
  format: string;
  size: number | null;
  /** Bytes fetched from the storage account (entries, for a listing). */
  bytesRead: number;
  range?: { offset: number; count?: number };
}

/**
 * Where the kept copy of a released result is (connections with `replay`), and the digest
 * that copy must have: `resultDigest` over the kept rows exactly as released, so it equals
 * the event's `releasedDigest` when every row was kept. Recorded in the event before the
 * copy is written; the event is hash-chained, the copy is not, so the event is the proof.
 */
export interface KeptLink {
  replayResultId: string;
  digest: string;
  /** Rows kept: the first `rows` of the rows released. */
  rows: number;
  /** Every released row was kept. */
  complete: boolean;
}

/** A request as decided and answered by a use case: one per direct request. */
export interface RequestEvent extends Envelope {
  kind: 'request';
  /** The statement whole, as received. */
  statement: string | null;
  statementSha256?: string;
  /** Bound parameters, as received. */
  params?: unknown[];
  fingerprint: string | null;
  facts: {
    effect: Effect;
    statementCount: number;
    tables: string[];
    selectStar: boolean;
    hasWhere: boolean;
    limit: number | null;
    estimatedRows: number | null;
  } | null;
  decision: DecisionSummary;
  status: number;
  errorCode: string | null;
  rowsReturned: number;
  /** Cells and bytes (of the JSON rows) released. */
  cellsReturned?: number;
  bytesReturned?: number;
  /** Hex SHA-256 of the canonical JSON of what was released, when rows were. */
  releasedDigest?: string;
  /** The kept copy of what was released, for replay (connections with `replay`). */
  replay?: KeptLink;
  /** The target's error text, masked; never sent to an agent. */
  targetMessage?: string;
  truncated: boolean;
  masking: MaskingSummary | null;
  purpose: string | null;
  /** When a request was sent to approval: the stored request's id. */
  approvalRequestId?: string;
  /** The MCP tool called, when the request came as a tool call. */
  tool?: string;
  /** For blob connections: the blob (or prefix), its version and ETag, and the bytes read. */
  blob?: BlobAccess;
  /** Why the token was refused (kept here, never told to the caller). */
  authFailure?: string;
  /** Why the size could not be estimated. */
  estimateError?: string;
  /** Data classes the caller saw in clear (their `unmask` permits). */
  unmaskedClasses?: string[];
  /** Milliseconds per stage. */
  timings?: Record<string, number>;
  /** What shadow policies (`@mode("shadow")`) would have decided; never enforced. */
  shadow?: { outcome: string; policyIds: string[]; changed: boolean };
  durationMs: number;
}

/** A pending request stored for approval. */
export interface ApprovalRequestedEvent extends Envelope {
  kind: 'approval.requested';
  statementSha256: string;
  fingerprint: string;
  approverGroup: string | null;
  quorum: number;
  expiresAt: string;
  estimatedRows: number | null;
  policyIds: string[];
  reasons: string[];
}

/** Approvers were (or could not be) told. */
export interface ApprovalNotifiedEvent extends Envelope {
  kind: 'approval.notified';
  channel: string;
  ok: boolean;
  attempts: number;
  reason?: string;
}

/** One approver's decision, and what it did to the request. */
export interface ApprovalDecisionEvent extends Envelope {
  kind: 'approval.decision';
  decisionId: string;
  vote: 'approve' | 'deny';
  reason?: string;
  maxRows?: number;
  /** Whether the decision changed the request, and if not, why. */
  applied: boolean;
  refusal?: string;
  statusAfter: string;
}

/** A stored request changed state without a decision (expiry, cancellation, re-decision). */
export interface RequestTransitionEvent extends Envelope {
  kind: 'request.transition';
  from: string;
  to: string;
  reason: string;
}

/** An approved statement ran with the gateway's identity. */
export interface StatementExecutedEvent extends Envelope {
  kind: 'statement.executed';
  statementSha256: string;
  rows: number;
  truncated: boolean;
  errorCode: string | null;
  masking: MaskingSummary | null;
  /** An approved blob read: the blob, its version and ETag, and the bytes fetched. */
  blob?: BlobAccess;
  /** Bytes of the JSON rows stored for release, and the digest of the stored result. */
  bytesReturned?: number;
  releasedDigest?: string;
  durationMs: number;
}

/** A stored result left the gateway. */
export interface ResultReleasedEvent extends Envelope {
  kind: 'result.released';
  rows: number;
  cells: number;
  bytes: number;
  digest: string;
  /** A page of the result: the first row released (absent: the whole result). */
  offset?: number;
}

/** A timer's own work (checkpoints, verification), audited like any other step. */
export interface MaintenanceEvent extends Envelope {
  kind: 'maintenance';
  task: string;
  ok: boolean;
  detail: Record<string, unknown>;
}

/** Where a verification run found the chain first broken. */
export interface VerificationFailure {
  /** `lane`, `checkpoint`, the verifier's own `state`, or `store` (the run could not finish). */
  scope: 'lane' | 'checkpoint' | 'state' | 'store';
  kind: string;
  lane?: number;
  seq?: number | null;
  index?: number;
  detail: string;
}

/**
 * The periodic verifier's result over one window (timer `verifyAuditWindow`), written through
 * the chain like any event, so the verifier's own record is tamper-evident and the next run
 * can check its saved state against it.
 */
export interface VerificationEvent extends Envelope {
  kind: 'verification';
  ok: boolean;
  /** 1, 2, ... per store; the saved state names the run that wrote it. */
  run: number;
  checkpoints: {
    /** The checkpoint the window started at (null: the whole lanes were verified). */
    from: { seq: number; hash: string } | null;
    /** The newest checkpoint verified (null when none or when the run failed). */
    to: { seq: number; hash: string } | null;
    /** Checkpoints checked in the window. */
    count: number;
  };
  /** What the verifier keeps for its next run: the window's start then. */
  anchor: { seq: number; hash: string } | null;
  lanes: number;
  events: number;
  failures: number;
  firstFailure: VerificationFailure | null;
  durationMs: number;
}

export type AuditEvent =
  | RequestEvent
  | ApprovalRequestedEvent
  | ApprovalNotifiedEvent
  | ApprovalDecisionEvent
  | RequestTransitionEvent
  | StatementExecutedEvent
  | ResultReleasedEvent
  | MaintenanceEvent
  | VerificationEvent;

export type AuditEventKind = AuditEvent['kind'];

export function eventId(requestId: string, seq: number): string {
  return `${requestId}:${seq}`;
}
