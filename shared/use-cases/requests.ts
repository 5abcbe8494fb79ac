import { z } from 'zod';
import {
  approverRefusal,
  cancelRequest,
  fetchResult,
  fetchResultPage,
  isExpired,
  sameParty,
  shownParams,
  shownStatement,
} from '../approvals/index.js';
import { GatewayError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { Masker } from '../masking/index.js';
import { principalSnapshot, recordEvents } from '../pipeline/record.js';
import { newTrace, type RequestTrace } from '../pipeline/trace.js';
import type { StoredRequest } from '../ports/request-store.js';
import type { Principal } from '../types.js';
import { mayApprove, type WorkflowDeps } from './approval-workflow.js';
import { queueCallback } from './callbacks.js';
import { conclude } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import type { Start } from './index.js';
import { wholeNumber } from './inputs.js';
import type { Outcome } from './outcome.js';
import { clearClassesOn, keepForReplay, replayOf } from './replay-keep.js';

/** What an approver or requester sees of a stored request (never its result). */
export interface RequestView {
  id: string;
  status: string;
  connection: string;
  statement: string;
  /** The bound parameters (`$1`, `$2`, ...), content-scanned: see shownParams. */
  params: string[];
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  requester: { kind: string; id: string; name?: string };
  approverGroup: string | null;
  quorum: number;
  maxRows: number;
  estimatedRows: number | null;
  policyIds: string[];
  reasons: string[];
  purpose: string | null;
  votes: Array<{ approver: { id: string; name?: string }; decision: string; at: string; reason?: string }>;
  error?: { code: string; message: string };
  resultUrl?: string;
}

export const decisionBodySchema = z
  .object({
    decision: z.enum(['approve', 'deny']),
    reason: z.string().max(2000).optional(),
    maxRows: z.number().int().min(1).max(LIMITS.maxRows).optional(),
  })
  .strict();

export type DecisionBody = z.output<typeof decisionBodySchema>;

function workflow(deps: UseCaseDeps): WorkflowDeps {
  if (!deps.approvals) {
    throw new GatewayError('approval_workflow_unavailable', 'The approval workflow is not configured.');
  }
  return { ...deps, approvals: deps.approvals };
}

/**
 * What a requester who is not also an approver sees: the planner's estimate is left out. For
 * a statement that filters on masked columns it is read from their statistics (histograms,
 * most common values, an index's real bounds), so showing it would answer what the approval
 * guards; the approvers see it to judge the request.
 */
function requesterView(masker: Masker, r: StoredRequest): RequestView {
  return { ...view(masker, r), estimatedRows: null };
}

function view(masker: Masker, r: StoredRequest): RequestView {
  return {
    id: r.id,
    status: r.status,
    connection: r.connection,
    statement: shownStatement(r.statement, masker),
    params: shownParams(r.params, masker),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    expiresAt: r.expiresAt,
    requester: {
      kind: r.requester.kind,
      id: r.requester.id,
      ...(r.requester.name ? { name: r.requester.name } : {}),
    },
    approverGroup: r.approverGroup,
    quorum: r.quorum,
    maxRows: r.maxRows,
    estimatedRows: r.estimatedRows,
    policyIds: r.policyIds,
    reasons: r.reasons,
    purpose: r.purpose,
    votes: r.votes.map((v) => ({
      approver: v.approver,
      decision: v.decision,
      at: v.at,
      ...(v.reason ? { reason: v.reason } : {}),
    })),
    ...(r.error ? { error: r.error } : {}),
    ...(r.status === 'completed' ? { resultUrl: `/api/v1/requests/${encodeURIComponent(r.id)}/result` } : {}),
  };
}

/** A person in the approver group the policy named (who is not the requester) may see the request. */
function isApprover(principal: Principal, r: StoredRequest): boolean {
  return principal.kind === 'human' && r.approverGroup !== null && principal.groups.includes(r.approverGroup);
}

function traced(start: Start, principal: Principal, action: string, connection: string | null): RequestTrace {
  const trace = newTrace({ ...start, action, connection });
  trace.principal = principal;
  return trace;
}

/**
 * Pending requests an inbox reads at most, oldest first. Each caller may have only
 * `limits.pendingApprovalsPerPrincipal` waiting, so one caller cannot fill it alone;
 * `truncated` says when there were more.
 */
const INBOX_LIMIT = 200;

const notFound = () => new GatewayError('not_found', 'No such request.');

/** Status of a request, for its requester and its approvers; anyone else learns nothing. */
export function requestStatus(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: { id: string },
): Promise<Outcome<{ requestId: string; request: RequestView }>> {
  const trace = traced(start, principal, 'requests.status', null);
  return conclude(deps, trace, async () => {
    const stored = await workflow(deps).approvals.requests.get(input.id);
    const r = stored?.value;
    if (!r || !(sameParty(r.requester, principalSnapshot(principal)) || isApprover(principal, r)))
      throw notFound();
    trace.connection = r.connection;
    return {
      value: {
        requestId: trace.requestId,
        request: isApprover(principal, r) ? view(deps.masker, r) : requesterView(deps.masker, r),
      },
      end: { rowsReturned: 1, truncated: false },
    };
  });
}

/** A page of a result: `limit` rows at most, from the start or where `continuation` says. */
export const resultPageQuerySchema = z
  .object({
    limit: wholeNumber(1, 10_000).optional(),
    continuation: z.string().min(1).max(512).optional(),
  })
  .strict();

export type ResultPageQuery = z.output<typeof resultPageQuerySchema>;

/**
 * The masked result of a completed request, for its requester only, until its TTL: whole,
 * or one page of it when the caller names a `limit` or a `continuation`.
 */
export function requestResult(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: { id: string } & ResultPageQuery,
) {
  if (input.limit !== undefined || input.continuation !== undefined) {
    return requestResultPage(deps, start, principal, input);
  }
  const trace = traced(start, principal, 'requests.result', null);
  return conclude(deps, trace, async () => {
    const fetched = await fetchResult(resultReadPorts(deps, start), input.id, principalSnapshot(principal));
    if (fetched.kind !== 'released') throw notReady(fetched);
    // No audit, no data: the release is recorded before the rows leave.
    await recordEvents(deps.audit, [fetched.event]);
    const { result } = fetched;
    const rows = asObjects(result.columns, result.rows);
    trace.released = {
      rows: rows.length,
      cells: rows.length * result.columns.length,
      bytes: Buffer.byteLength(JSON.stringify(rows)),
      digest: result.digest,
    };
    trace.masking = result.masking;
    // Kept as the store holds it (value arrays): the form its digest was taken over.
    const replay = replayOf(deps, fetched.event.connection);
    if (replay) trace.unmaskedClasses = clearClassesOn(deps, principal, fetched.event.connection);
    keepForReplay(deps, trace, {
      replay,
      columns: result.columns,
      rows: result.rows,
      masking: result.masking,
    });
    return {
      value: {
        requestId: trace.requestId,
        approvalRequestId: result.requestId,
        columns: result.columns,
        rows,
        rowCount: rows.length,
        truncated: result.truncated,
        masking: result.masking,
        digest: result.digest,
        expiresAt: result.expiresAt,
      },
      end: { rowsReturned: rows.length, truncated: result.truncated },
    };
  });
}

/** Where a stored result is read from, for the whole and the paged fetch alike. */
function resultReadPorts(deps: UseCaseDeps, start: Start) {
  const w = workflow(deps);
  return {
    requests: w.approvals.requests,
    results: w.approvals.results,
    now: deps.now,
    transport: start.transport,
  };
}

/** A fetch that found no result to release. */
function notReady(fetched: { kind: 'not_found' } | { kind: 'not_ready'; status: string }): GatewayError {
  if (fetched.kind === 'not_found') return notFound();
  return new GatewayError('conflict', `The request is ${fetched.status}; there is no result to fetch.`);
}

/** Stored value arrays as the objects an answer carries, by column name. */
function asObjects(columns: ReadonlyArray<{ name: string }>, values: readonly unknown[][]) {
  return values.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, row[i]])));
}

/** One page of a result, read from the store without the rest of it; each page is audited. */
function requestResultPage(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: { id: string } & ResultPageQuery,
) {
  const trace = traced(start, principal, 'requests.result', null);
  return conclude(deps, trace, async () => {
    const fetched = await fetchResultPage(
      resultReadPorts(deps, start),
      input.id,
      principalSnapshot(principal),
      {
        ...(input.limit ? { limit: input.limit } : {}),
        ...(input.continuation ? { continuation: input.continuation } : {}),
      },
    );
    if (fetched.kind !== 'released') throw notReady(fetched);
    // No audit, no data: the release is recorded before the rows leave.
    await recordEvents(deps.audit, [fetched.event]);
    const { page } = fetched;
    const rows = asObjects(page.columns, page.rows);
    trace.released = {
      rows: rows.length,
      cells: fetched.event.cells,
      bytes: fetched.event.bytes,
      digest: page.digest,
    };
    trace.masking = page.masking;
    return {
      value: {
        requestId: trace.requestId,
        approvalRequestId: page.requestId,
        columns: page.columns,
        rows,
        rowCount: rows.length,
        offset: page.offset,
        totalRows: page.rowCount,
        ...(fetched.continuation ? { continuation: fetched.continuation } : {}),
        truncated: page.truncated,
        masking: page.masking,
        digest: page.digest,
        expiresAt: page.expiresAt,
      },
      end: { rowsReturned: rows.length, truncated: page.truncated },
    };
  });
}

/** The requester cancels a request still waiting for approval. */
export function cancelPending(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: { id: string },
): Promise<Outcome<{ requestId: string; id: string; status: string }>> {
  const trace = traced(start, principal, 'requests.cancel', null);
  return conclude(deps, trace, async () => {
    const w = workflow(deps);
    const done = await cancelRequest(
      { requests: w.approvals.requests, now: deps.now, transport: start.transport },
      input.id,
      principalSnapshot(principal),
    );
    if (done.kind === 'not_found') throw notFound();
    if (done.kind === 'not_pending') throw new GatewayError('conflict', `The request is ${done.status}.`);
    await recordEvents(deps.audit, [done.event]);
    await queueCallback(w, done.request);
    return {
      value: { requestId: trace.requestId, id: input.id, status: 'cancelled' },
      end: { rowsReturned: 0, truncated: false },
    };
  });
}

/** An approver's inbox: pending requests in a group they belong to, not their own. */
export function listApprovals(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
): Promise<Outcome<{ requestId: string; requests: RequestView[]; truncated: boolean }>> {
  const trace = traced(start, principal, 'approvals.list', null);
  return conclude(deps, trace, async () => {
    if (principal.kind !== 'human') throw new GatewayError('forbidden', 'Only people approve requests.');
    // One more than is shown tells whether there are more than the inbox shows.
    const listed = await workflow(deps).approvals.requests.list({
      status: 'pending',
      limit: INBOX_LIMIT + 1,
    });
    const truncated = listed.length > INBOX_LIMIT;
    const pending = listed.slice(0, INBOX_LIMIT);
    const mine = pending.filter(
      (r) =>
        isApprover(principal, r) &&
        !sameParty(r.requester, principalSnapshot(principal)) &&
        !isExpired(r, deps.now()),
    );
    return {
      value: { requestId: trace.requestId, requests: mine.map((r) => view(deps.masker, r)), truncated },
      end: { rowsReturned: mine.length, truncated },
    };
  });
}

/**
 * An approver's decision through REST. Refused at once (403) for a caller who may not
 * decide this request; otherwise put on `approval-decisions`, whose consumer checks again
 * and applies it. The channel never applies a decision itself.
 */
export function submitDecision(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: { id: string } & DecisionBody,
): Promise<Outcome<{ requestId: string; id: string; decisionId: string; status: 'queued' }>> {
  const trace = traced(start, principal, 'approval.decide', null);
  trace.statement = JSON.stringify({ decision: input.decision, maxRows: input.maxRows ?? null });
  return conclude(deps, trace, async () => {
    const w = workflow(deps);
    const stored = await w.approvals.requests.get(input.id);
    const r = stored?.value;
    const me = principalSnapshot(principal);
    if (!r || !(isApprover(principal, r) || sameParty(r.requester, me))) throw notFound();
    trace.connection = r.connection;
    // The same checks the decision consumer makes, asked before anything is queued.
    const refused = await approverRefusal(me, r, (approver, request) => mayApprove(deps, approver, request));
    if (refused !== null) throw new GatewayError('forbidden', 'You may not decide this request.');
    if (r.status !== 'pending' || isExpired(r, deps.now())) {
      throw new GatewayError(
        'conflict',
        `The request is ${isExpired(r, deps.now()) ? 'expired' : r.status}.`,
      );
    }
    const decisionId = deps.newId();
    try {
      await w.approvals.queue.send('approval-decisions', {
        messageId: decisionId,
        body: {
          decisionId,
          requestId: r.id,
          approver: me,
          decision: input.decision,
          ...(input.reason ? { reason: input.reason } : {}),
          ...(input.maxRows ? { maxRows: input.maxRows } : {}),
        },
      });
    } catch (cause) {
      throw new GatewayError('queue_unavailable', 'The decision could not be queued; try again.', { cause });
    }
    return {
      value: { requestId: trace.requestId, id: r.id, decisionId, status: 'queued' as const },
      end: { rowsReturned: 0, truncated: false },
    };
  });
}
