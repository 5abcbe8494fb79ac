import { type GatewayError, InvalidTokenError, toGatewayError } from '../errors.js';
import { type RequestEnd, record } from '../pipeline/record.js';
import type { RequestTrace } from '../pipeline/trace.js';
import type { UseCaseDeps } from './deps.js';
import { type Failure, failureOf, type Outcome, outcomeOfError, type PendingApproval } from './outcome.js';
import { prepareReleasedJson, worthPreparing } from './released-json.js';
import { startKeptWrite } from './replay-keep.js';

/** What `conclude` needs: the audit and the log, and the replay keeper when there is one. */
type ConcludeDeps = Pick<UseCaseDeps, 'audit' | 'log'> &
  Partial<Pick<UseCaseDeps, 'replay' | 'now' | 'newId'>>;

function describeCause(error: unknown): string | undefined {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : undefined;
  if (cause === undefined) return undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/**
 * Server failures at error; refusals (401 with its reason, 403 with the policies, 429, a
 * request sent to approval) at warn, since they are the gateway working, not failing.
 */
export function report(deps: Pick<UseCaseDeps, 'log'>, requestId: string, e: GatewayError): void {
  const pending = e.code === 'approval_workflow_unavailable';
  const refusal = e.status === 401 || e.status === 403 || e.status === 429 || pending;
  if (e.status < 500 && !refusal) return;
  const policyIds = e.details?.policyIds;
  deps.log({
    level: e.status >= 500 && !pending ? 'error' : 'warn',
    requestId,
    code: e.code,
    status: e.status,
    message: e.message,
    cause: describeCause(e),
    ...(Array.isArray(policyIds) ? { policyIds: policyIds.map(String) } : {}),
    ...(e instanceof InvalidTokenError ? { reason: e.reason } : {}),
  });
}

/**
 * Ends a request that released nothing: the failure is reported, the request's event is
 * recorded, and the outcome says why. When even the record fails, the outcome is
 * `audit_unavailable`.
 */
export async function refuse<T>(
  deps: Pick<UseCaseDeps, 'audit' | 'log'>,
  trace: RequestTrace,
  error: unknown,
): Promise<Outcome<T>> {
  const e = toGatewayError(error);
  if (e instanceof InvalidTokenError) trace.authFailure = e.reason;
  // Nothing is released, so nothing is kept (nor named in the event).
  delete trace.kept;
  report(deps, trace.requestId, e);
  try {
    await record(deps.audit, trace, {
      status: e.status,
      errorCode: e.code,
      rowsReturned: 0,
      truncated: false,
    });
  } catch (auditError) {
    const failure = toGatewayError(auditError);
    report(deps, trace.requestId, failure);
    return { kind: 'failed', requestId: trace.requestId, failure: failureOf(failure) };
  }
  return outcomeOfError(trace.requestId, e);
}

/**
 * Runs `work` once the append has gone out: the store's client takes a few promise steps to
 * put its request on the wire, and work done before them would only delay it.
 */
function afterSent(work: () => void): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      work();
      resolve();
    }),
  );
}

/** What a use case body ends with: a value to release, or a request stored for approval. */
export type Concluded<T> =
  | { value: T; end: Omit<RequestEnd, 'status' | 'errorCode'> }
  | { pending: PendingApproval; failure: Failure };

/**
 * The frame of every use case: run it, record its event before the value is handed to any
 * transport (no audit, no data), and turn every failure into an outcome.
 */
export async function conclude<T>(
  deps: ConcludeDeps,
  trace: RequestTrace,
  run: () => Promise<Concluded<T>>,
): Promise<Outcome<T>> {
  let done: Concluded<T>;
  try {
    done = await run();
  } catch (e) {
    return refuse(deps, trace, e);
  }
  if ('pending' in done) delete trace.kept;
  const end =
    'pending' in done
      ? { status: 202, errorCode: null, rowsReturned: 0, truncated: false }
      : { status: 200, errorCode: null, ...done.end };
  try {
    const recorded = record(deps.audit, trace, end);
    // Its failure is read below, after the turn of the loop: handled now, so it is not
    // reported as unhandled meanwhile.
    recorded.catch(() => undefined);
    // While the event's round trip is out: the value's JSON, which does not depend on it
    // (held until the event is durable, like the value; sent only if it is).
    if (!('pending' in done) && worthPreparing(done.value)) {
      await afterSent(() => prepareReleasedJson(done.value));
    }
    await recorded;
  } catch (e) {
    const failure = toGatewayError(e);
    report(deps, trace.requestId, failure);
    return { kind: 'failed', requestId: trace.requestId, failure: failureOf(failure) };
  }
  if ('pending' in done) {
    return { kind: 'pending', requestId: trace.requestId, failure: done.failure, approval: done.pending };
  }
  // The event naming the kept copy is durable and the value is released: only now is the
  // copy written, off the response path (shared/use-cases/replay-keep.ts).
  startKeptWrite(deps, trace);
  return { kind: 'allowed', requestId: trace.requestId, value: done.value };
}
