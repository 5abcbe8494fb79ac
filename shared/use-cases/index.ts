import type { RequestStart } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import {
  auditCheckpoints,
  auditJwks,
  auditLaneEvents,
  auditLaneHeads,
  type LaneEventsQuery,
} from './audit-export.js';
import { auditSessions, type SessionQuery } from './audit-sessions.js';
import type { ListBlobsInput, ReadBlobInput } from './blob-inputs.js';
import { listBlobs, readBlob } from './blobs.js';
import type { UseCaseDeps } from './deps.js';
import { describeConnection } from './describe-connection.js';
import type { AuditQuery, QueryInput } from './inputs.js';
import { listConnections } from './list-connections.js';
import { query } from './query.js';
import {
  cancelPending,
  type DecisionBody,
  listApprovals,
  type ResultPageQuery,
  requestResult,
  requestStatus,
  submitDecision,
} from './requests.js';
import { auditTrace, searchAudit } from './search-audit.js';
import { recordExchange, refuseRequest } from './unauthenticated.js';

export type { GatewayLogEvent, UseCaseDeps } from './deps.js';
export type { Failure, Outcome, PendingApproval } from './outcome.js';

/** Who started a request, when, and over which transport: the adapter's part of every call. */
export type Start = Omit<RequestStart, 'action' | 'connection'>;

/**
 * The gateway's use cases, bound to their ports. Every transport (REST, MCP, queue triggers)
 * calls these and only these; each records its own audit event before it answers.
 */
export function createUseCases(deps: UseCaseDeps) {
  return {
    query: (start: Start, principal: Principal, input: QueryInput) => query(deps, start, principal, input),
    listConnections: (start: Start, principal: Principal) => listConnections(deps, start, principal),
    describeConnection: (start: Start, principal: Principal, input: { connection: string | null }) =>
      describeConnection(deps, start, principal, input),
    searchAudit: (start: Start, principal: Principal, input: AuditQuery) =>
      searchAudit(deps, start, principal, input),
    auditTrace: (start: Start, principal: Principal, input: { requestId: string }) =>
      auditTrace(deps, start, principal, input),
    auditLaneHeads: (start: Start, principal: Principal) => auditLaneHeads(deps, start, principal),
    auditLaneEvents: (start: Start, principal: Principal, input: LaneEventsQuery) =>
      auditLaneEvents(deps, start, principal, input),
    auditCheckpoints: (start: Start, principal: Principal, input: { from: number; limit: number }) =>
      auditCheckpoints(deps, start, principal, input),
    auditJwks: () => auditJwks(deps),
    auditSessions: (start: Start, principal: Principal, input: SessionQuery) =>
      auditSessions(deps, start, principal, input),
    requestStatus: (start: Start, principal: Principal, input: { id: string }) =>
      requestStatus(deps, start, principal, input),
    requestResult: (start: Start, principal: Principal, input: { id: string } & ResultPageQuery) =>
      requestResult(deps, start, principal, input),
    cancelRequest: (start: Start, principal: Principal, input: { id: string }) =>
      cancelPending(deps, start, principal, input),
    listApprovals: (start: Start, principal: Principal) => listApprovals(deps, start, principal),
    submitDecision: (start: Start, principal: Principal, input: { id: string } & DecisionBody) =>
      submitDecision(deps, start, principal, input),
    listBlobs: (start: Start, principal: Principal, input: ListBlobsInput) =>
      listBlobs(deps, start, principal, input),
    readBlob: (start: Start, principal: Principal, input: ReadBlobInput) =>
      readBlob(deps, start, principal, input),
    /** Records a request refused before a use case could run (bad token, unreadable input). */
    refuse: (start: RequestStart, error: unknown, principal?: Principal) =>
      refuseRequest(deps, start, error, principal ? { principal } : {}),
    /** Records a protocol exchange that ran no use case (MCP `initialize`, `tools/list`). */
    exchange: (start: RequestStart, principal: Principal) => recordExchange(deps, start, principal),
  };
}

export type UseCases = ReturnType<typeof createUseCases>;
