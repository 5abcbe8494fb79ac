import { reserveSeqs, updateRequest } from '../approvals/index.js';
import type { ApprovalNotifiedEvent } from '../audit/event.js';
import { eventId } from '../audit/event.js';
import type { CallbackPorts } from '../callbacks/ports.js';
import { CALLBACK_SIGNATURE_HEADER, CALLBACK_TIMESTAMP_HEADER } from '../callbacks/signature.js';
import { checkCallbackUrl } from '../callbacks/url-policy.js';
import { GatewayError } from '../errors.js';
import { recordEvents } from '../pipeline/record.js';
import type { CallbackAttempt } from '../ports/callback.js';
import { type IncomingMessage, UnretryableMessageError } from '../ports/queue.js';
import type { RequestStatus, StoredRequest } from '../ports/request-store.js';
import type { WorkflowDeps } from './approval-workflow.js';
import type { UseCaseDeps } from './deps.js';
import { statusPath } from './request-approval.js';

/** The statuses a request ends in; each sends the requester's notice once. */
export const FINISHED_STATUSES: readonly RequestStatus[] = [
  'completed',
  'failed',
  'denied',
  'expired',
  'cancelled',
];

/**
 * A callbackUrl is checked before the query runs: refused (400 `callback_refused`, with the
 * reason) unless callbacks are configured and the URL passes the allowlist.
 */
export function refuseBadCallbackUrl(deps: UseCaseDeps, raw: string | undefined): void {
  if (raw === undefined) return;
  const callbacks = deps.approvals?.callbacks;
  const checked = callbacks
    ? checkCallbackUrl(raw, callbacks.policy)
    : { ok: false as const, reason: 'not_configured' };
  if (!checked.ok) {
    throw new GatewayError('callback_refused', `The callbackUrl is refused (${checked.reason}).`, {
      details: { reason: checked.reason },
    });
  }
}

/**
 * Puts the notice of a finished request on `callbacks`, if its requester asked for one. The
 * message id is fixed per request (a request finishes once), so a step that runs twice
 * queues one notice. A queue failure is logged and does not undo the step: the agent can
 * still poll the status URL.
 */
export async function queueCallback(deps: WorkflowDeps, request: StoredRequest | string): Promise<void> {
  if (!deps.approvals.callbacks) return;
  const stored = typeof request === 'string' ? (await deps.approvals.requests.get(request))?.value : request;
  if (!stored?.callbackUrl || !FINISHED_STATUSES.includes(stored.status)) return;
  try {
    await deps.approvals.queue.send('callbacks', {
      messageId: `callback:${stored.id}`.slice(0, 128),
      body: { requestId: stored.id },
    });
  } catch (e) {
    deps.log({
      level: 'warn',
      requestId: stored.id,
      code: 'queue_unavailable',
      status: 503,
      message: 'the callback notice could not be queued',
      cause: e instanceof Error ? e.name : typeof e,
    });
  }
}

/** The notice: ids, status and where to look. No data, no statement, no reason text. */
export function callbackNotice(callbacks: CallbackPorts, request: StoredRequest): Record<string, unknown> {
  const status = statusPath(request.id);
  return {
    type: 'agentgate.request.finished',
    noticeId: `callback:${request.id}`,
    requestId: request.id,
    status: request.status,
    statusUrl: callbacks.publicUrl(status),
    resultUrl: request.status === 'completed' ? callbacks.publicUrl(`${status}/result`) : null,
    ...(request.error ? { errorCode: request.error.code } : {}),
    time: request.updatedAt,
  };
}

async function auditAttempt(
  deps: WorkflowDeps,
  request: StoredRequest,
  attempt: CallbackAttempt,
  deliveryCount: number,
  final: boolean,
): Promise<void> {
  const reserved = await updateRequest(deps.approvals.requests, request.id, (current) => {
    const { next, seqs } = reserveSeqs(current, 1);
    return { write: next, result: seqs[0] ?? 0 };
  });
  if (reserved.kind !== 'written') return;
  const seq = reserved.result;
  const reason =
    attempt.kind === 'delivered'
      ? undefined
      : `${attempt.kind}:${attempt.reason}${final ? ';dead-lettered' : ''}`;
  const event: ApprovalNotifiedEvent = {
    id: eventId(request.id, seq),
    requestId: request.id,
    seq,
    time: deps.now().toISOString(),
    principal: null,
    transport: 'queue',
    connection: request.connection,
    action: 'approval.callback',
    kind: 'approval.notified',
    channel: 'callback',
    ok: attempt.kind === 'delivered',
    attempts: deliveryCount,
    ...(reason === undefined ? {} : { reason }),
  };
  await recordEvents(deps.audit, [event]);
}

/**
 * Consumer of `callbacks`: POSTs the signed notice of a finished request once per delivery.
 * The URL is checked again under the allowlist in force (a host taken off it gets nothing).
 * Every attempt is audited; 5xx, 408, 429, network errors and timeouts are redelivered after
 * a backoff; a redirect, another 4xx, a refused address or the last delivery is
 * final: audited and dead-lettered.
 */
export async function deliverCallback(
  deps: WorkflowDeps,
  message: IncomingMessage,
  maxDeliveries: number,
): Promise<void> {
  const callbacks = deps.approvals.callbacks;
  const id = (message.body as { requestId?: unknown } | null)?.requestId;
  if (typeof id !== 'string') throw new UnretryableMessageError('callbacks message without a request id');
  const stored = (await deps.approvals.requests.get(id))?.value;
  if (!callbacks || !stored?.callbackUrl || !FINISHED_STATUSES.includes(stored.status)) return;

  const checked = checkCallbackUrl(stored.callbackUrl, callbacks.policy);
  let attempt: CallbackAttempt;
  if (checked.ok) {
    const body = JSON.stringify(callbackNotice(callbacks, stored));
    const timestamp = Math.floor(deps.now().getTime() / 1000);
    attempt = await callbacks.sender.post(checked.url, body, {
      [CALLBACK_SIGNATURE_HEADER]: callbacks.sign(timestamp, body),
      [CALLBACK_TIMESTAMP_HEADER]: String(timestamp),
    });
  } else {
    attempt = { kind: 'fail', reason: `url_refused:${checked.reason}` };
  }
  const final =
    attempt.kind === 'fail' || (attempt.kind === 'retry' && message.deliveryCount >= maxDeliveries);
  await auditAttempt(deps, stored, attempt, message.deliveryCount, final);
  if (attempt.kind === 'delivered') return;
  if (final) throw new UnretryableMessageError(`callback not delivered: ${attempt.reason}`);
  await callbacks.pause(message.deliveryCount);
  throw new GatewayError('queue_unavailable', `callback attempt failed: ${attempt.reason}`);
}
