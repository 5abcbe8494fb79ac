import {
  applyDecision,
  type DecisionOutcome,
  type ExecuteOutcome,
  executeApproved,
  expireStale,
  type MaskedBatchSink,
  type MaskedRows,
  reserveSeqs,
  type StreamedRun,
  shownParams,
  shownStatement,
  updateRequest,
} from '../approvals/index.js';
import type { ApprovalNotifiedEvent, PrincipalSnapshot } from '../audit/event.js';
import { eventId } from '../audit/event.js';
import { connectionResource, prepareQueryDecision } from '../decide-query.js';
import { GatewayError } from '../errors.js';
import { type Analysis, analyse } from '../pipeline/analyse.js';
import { executeAndMask, type RunInput } from '../pipeline/execute.js';
import { recordEvents } from '../pipeline/record.js';
import { streamAndMask } from '../pipeline/stream-mask.js';
import { targetErrorHandler } from '../pipeline/target-error.js';
import { newTrace } from '../pipeline/trace.js';
import type { ApprovalNotice } from '../ports/notifier.js';
import { type IncomingMessage, UnretryableMessageError } from '../ports/queue.js';
import type { StoredRequest } from '../ports/request-store.js';
import { allowlistRefusal } from '../query/exposure.js';
import type { Principal } from '../types.js';
import { isBlobRequest, storedBlobRun } from './blob-approved.js';
import { blobResource } from './blob-policy.js';
import { queueCallback } from './callbacks.js';
import type { ApprovalPorts, UseCaseDeps } from './deps.js';

export type WorkflowDeps = UseCaseDeps & { approvals: ApprovalPorts };

/** A recorded principal as the policy engine takes it (what the token said when it asked). */
export function principalOf(p: PrincipalSnapshot): Principal {
  return {
    kind: p.kind,
    id: p.id,
    tenantId: undefined,
    appId: p.appId,
    name: p.name,
    groups: p.groups,
    roles: p.roles,
    scopes: [],
    onBehalfOf: p.onBehalfOf ? { id: p.onBehalfOf.id, name: p.onBehalfOf.name } : undefined,
    issuer: p.issuer ?? '',
    tokenId: undefined,
  };
}

/** Whether policy lets this person decide requests on this connection (Cedar action `approve`). */
export function mayApprove(deps: UseCaseDeps, approver: PrincipalSnapshot, request: StoredRequest): boolean {
  const conn = deps.connections.get(request.connection);
  const blob = deps.blobs?.connections.get(request.connection);
  const resource = conn ? connectionResource(conn) : blob ? blobResource(blob) : null;
  if (!resource) return false;
  const decision = deps.policy.decide({
    principal: principalOf(approver),
    action: 'approve',
    resource,
    context: {},
  });
  return decision.outcome === 'allow';
}

/** What the execute stages take for a stored request, with its own trace for target errors. */
function runInputOf(
  deps: WorkflowDeps,
  request: StoredRequest,
  run: Pick<RunInput, 'connector' | 'connection' | 'clear'> & { analysis: Analysis },
): RunInput {
  const trace = newTrace({
    requestId: request.id,
    time: deps.now(),
    transport: 'queue',
    action: 'approval.execute',
    connection: run.connection.id,
  });
  return {
    connector: run.connector,
    connection: run.connection,
    facts: run.analysis.facts,
    catalog: run.analysis.catalog,
    clear: run.clear,
    masker: deps.masker,
    sql: request.statement,
    params: request.params,
    maxRows: request.maxRows,
    clock: trace.clock,
    // No estimate ran for it in this process: the masking plan's second opinion is asked first.
    explainFirst: true,
    onTargetError: targetErrorHandler({
      trace,
      sql: request.statement,
      clear: run.clear,
      agent: request.requester.kind === 'agent',
      masker: deps.masker,
    }),
  };
}

/**
 * The stored statement, analysed, decided and run exactly as the direct path would, with
 * the requester's identity for policy and masking and the gateway's for the target.
 */
function storedRun(deps: WorkflowDeps, request: StoredRequest) {
  const conn = deps.connections.get(request.connection);
  if (!conn)
    throw new GatewayError('connection_not_found', 'The request names a connection that no longer exists.');
  const connector = deps.connectorFor(conn);
  const principal = principalOf(request.requester);
  let analysed: Promise<Analysis> | undefined;
  const analysis = () => {
    analysed ??= analyse({
      connection: conn,
      connector,
      catalogs: deps.catalogs,
      sql: request.statement,
      principal,
    });
    return analysed;
  };
  const prepare = async () => {
    const a = await analysis();
    const prepared = prepareQueryDecision({
      policy: deps.policy,
      principal,
      connection: conn,
      facts: a.facts,
      requestedMaxRows: request.maxRows,
      purpose: request.purpose ?? undefined,
      now: deps.now(),
      unexposed: a.unexposed,
      ...(a.catalog ? { catalog: a.catalog } : {}),
    });
    return { a, prepared };
  };
  const runInput = async (): Promise<RunInput> => {
    const { a, prepared } = await prepare();
    return runInputOf(deps, request, { connector, connection: conn, analysis: a, clear: prepared.clear });
  };
  return {
    fingerprintOf: async () => (await analysis()).facts.fingerprint,
    redecide: async (): Promise<'approval' | 'allow' | 'deny'> => {
      const { a, prepared } = await prepare();
      if (allowlistRefusal(principal, a.facts, a.unexposed)) return 'deny';
      return prepared.decide(request.estimatedRows).outcome;
    },
    runAndMask: async (): Promise<MaskedRows> => {
      const masked = await executeAndMask(await runInput());
      const columns = masked.result.columns.map((c) => ({ name: c.name, type: c.type }));
      return {
        columns,
        rows: masked.rows.map((row) => columns.map((c) => row[c.name])),
        truncated: masked.result.truncated,
        masking: masked.report,
      };
    },
    streamAndMask: async (_: StoredRequest, sink: MaskedBatchSink): Promise<StreamedRun> => {
      const streamed = await streamAndMask({
        ...(await runInput()),
        sink,
        batchRows: deps.approvals.batchRows,
      });
      return { truncated: streamed.truncated, masking: streamed.report };
    },
  };
}

/** Runs an approved request once and records every step. */
export async function runApproved(deps: WorkflowDeps, requestId: string): Promise<ExecuteOutcome> {
  const current = await deps.approvals.requests.get(requestId);
  if (!current) return { kind: 'skipped', reason: 'not_found', events: [] };
  const blob = isBlobRequest(deps, current.value);
  const run = blob
    ? storedBlobRun(deps, current.value, principalOf(current.value.requester))
    : storedRun(deps, current.value);
  const outcome = await executeApproved(
    {
      requests: deps.approvals.requests,
      results: deps.approvals.results,
      now: deps.now,
      fingerprintOf: run.fingerprintOf,
      redecide: run.redecide,
      runAndMask: run.runAndMask,
      ...('streamAndMask' in run ? { streamAndMask: run.streamAndMask } : {}),
      ...('precondition' in run ? { precondition: run.precondition } : {}),
      ...('streamAndStore' in run ? { streamAndStore: run.streamAndStore } : {}),
      ...(deps.approvals.resultTtlMs ? { resultTtlMs: deps.approvals.resultTtlMs } : {}),
      newResultId: deps.newId,
    },
    requestId,
  );
  await recordEvents(deps.audit, outcome.events);
  if (outcome.kind !== 'skipped') await queueCallback(deps, outcome.request);
  else if (outcome.reason === 'expired') await queueCallback(deps, requestId);
  return outcome;
}

/**
 * Consumer of `approval-decisions`: applies one decision (the consumer checks again who may
 * decide), records what it did, and runs the request once it is approved. Redelivery
 * changes nothing: a decision id counts once, and only one worker wins the execution.
 */
export async function applyApprovalDecision(
  deps: WorkflowDeps,
  message: IncomingMessage,
): Promise<DecisionOutcome> {
  const outcome = await applyDecision(
    {
      requests: deps.approvals.requests,
      mayApprove: (approver, request) => mayApprove(deps, approver, request),
      now: deps.now,
    },
    message.body,
  );
  await recordEvents(deps.audit, outcome.events);
  if (outcome.kind === 'applied' && outcome.status === 'approved')
    await runApproved(deps, outcome.request.id);
  if (outcome.kind === 'applied' && outcome.status === 'denied') await queueCallback(deps, outcome.request);
  if (outcome.kind === 'refused' && outcome.reason === 'expired') {
    await queueCallback(deps, (message.body as { requestId: string }).requestId);
  }
  // A redelivered decision for a request approved but not yet run (a worker died) runs it.
  if (outcome.kind === 'duplicate') {
    const id = (message.body as { requestId?: unknown } | null)?.requestId;
    if (typeof id === 'string') {
      const stored = await deps.approvals.requests.get(id);
      if (stored?.value.status === 'approved') await runApproved(deps, id);
    }
  }
  return outcome;
}

function noticeOf(deps: WorkflowDeps, request: StoredRequest): ApprovalNotice {
  const r = request.requester;
  return {
    requestId: request.id,
    connection: request.connection,
    environment:
      (deps.connections.get(request.connection) ?? deps.blobs?.connections.get(request.connection))
        ?.environment ?? 'unknown',
    requester: {
      kind: r.kind,
      id: r.id,
      ...(r.name ? { name: r.name } : {}),
      ...(r.appId ? { appId: r.appId } : {}),
      ...(r.onBehalfOf ? { onBehalfOf: r.onBehalfOf } : {}),
    },
    statement: shownStatement(request.statement, deps.masker),
    params: shownParams(request.params, deps.masker),
    tables: request.tables,
    estimatedRows: request.estimatedRows,
    policyIds: request.policyIds,
    reasons: request.reasons,
    purpose: request.purpose,
    approverGroup: request.approverGroup,
    quorum: request.quorum,
    expiresAt: request.expiresAt,
    approveUrl: deps.approvals.approveUrl(request.id),
  };
}

/**
 * Consumer of `approval-requests`: tells the approvers of a pending request. A failure that
 * may pass is retried by redelivery; the last attempt is audited and the message goes to
 * the dead-letter queue, while the request stays pending until it expires.
 */
export async function notifyApprovers(
  deps: WorkflowDeps,
  message: IncomingMessage,
  maxDeliveries: number,
): Promise<void> {
  const id = (message.body as { requestId?: unknown } | null)?.requestId;
  if (typeof id !== 'string')
    throw new GatewayError('bad_request', 'approval-requests message without a request id');
  const stored = await deps.approvals.requests.get(id);
  if (stored?.value.status !== 'pending') return;
  const sent = await deps.approvals.notifier.notify(noticeOf(deps, stored.value));
  const last = !sent.ok && (!sent.retryable || message.deliveryCount >= maxDeliveries);
  if (!sent.ok && !last) throw new GatewayError('queue_unavailable', `notification failed: ${sent.reason}`);
  // The event's seq is reserved on the request like every other step's, so ids never collide.
  const reserved = await updateRequest(deps.approvals.requests, id, (current) => {
    const { next, seqs } = reserveSeqs(current, 1);
    return { write: next, result: seqs[0] ?? 0 };
  });
  if (reserved.kind !== 'written') return;
  const seq = reserved.result;
  const event: ApprovalNotifiedEvent = {
    id: eventId(id, seq),
    requestId: id,
    seq,
    time: deps.now().toISOString(),
    principal: null,
    transport: 'queue',
    connection: stored.value.connection,
    action: 'approval.notify',
    kind: 'approval.notified',
    channel: 'notifier',
    ok: sent.ok,
    attempts: message.deliveryCount,
    ...(sent.ok ? {} : { reason: sent.reason }),
  };
  await recordEvents(deps.audit, [event]);
  if (!sent.ok) throw new UnretryableMessageError(`approvers could not be notified: ${sent.reason}`);
}

/** Timer: expires stale requests and records each move. */
export async function expireApprovals(deps: WorkflowDeps): Promise<number> {
  const report = await expireStale({ requests: deps.approvals.requests, now: deps.now });
  await recordEvents(deps.audit, report.events);
  for (const id of [...report.expired, ...report.interrupted]) await queueCallback(deps, id);
  return report.expired.length + report.interrupted.length;
}
