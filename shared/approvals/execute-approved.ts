import { randomUUID } from 'node:crypto';
import { canonicalSha256 } from '../audit/canonical.js';
import type {
  BlobAccess,
  RequestTransitionEvent,
  StatementExecutedEvent,
  Transport,
} from '../audit/event.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { MaskingReport } from '../masking/index.js';
import type { RequestStore, StoredRequest } from '../ports/request-store.js';
import type { ResultOpening, ResultStore, ResultWriter, StoredResult } from '../ports/result-store.js';
import { sha256Hex } from './create-request.js';
import { envelope, type StepContext } from './events.js';
import { isExpired, reserveSeqs, transition, updateRequest } from './lifecycle.js';

export const DEFAULT_RESULT_TTL_MS = 3600_000;

/** What the execute-then-mask stage hands back: masked with the requester's posture. */
export interface MaskedRows {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
  truncated: boolean;
  masking: MaskingReport;
}

export interface ExecuteApprovedDeps {
  requests: RequestStore;
  results: ResultStore;
  now: () => Date;
  /** The fingerprint of the stored statement as the analyser computes it today. */
  fingerprintOf: (request: StoredRequest) => string | Promise<string>;
  /** The request decided again under the policies in force now. */
  redecide: (request: StoredRequest) => Promise<'approval' | 'allow' | 'deny'>;
  /**
   * What the target must still be for the approval to hold (a blob read: the version
   * approved); a code here fails the request before it is decided again or run.
   */
  precondition?: (request: StoredRequest) => Promise<keyof typeof EXECUTION_FAILURES | null>;
  /** Runs exactly the stored statement and parameters, capped at `request.maxRows`, and masks. */
  runAndMask: (request: StoredRequest) => Promise<MaskedRows>;
  /**
   * Used instead of `runAndMask` when given: runs, masks and appends the rows itself as they
   * come, through the writer `open` answers (once the columns are known), so a result of any
   * size is never held. The caller commits, or aborts on any failure (nothing partial is
   * readable), and audits what `detail` says was read.
   */
  streamAndStore?: (request: StoredRequest, open: OpenResult, detail: ExecutedDetail) => Promise<StreamedRun>;
  resultTtlMs?: number;
  newResultId?: () => string;
  transport?: Transport;
}

/** Opens the result's writer with these columns; once per run. */
export type OpenResult = (columns: Array<{ name: string; type: string }>) => Pick<ResultWriter, 'append'>;

/** What a streamed run appended, once it has appended every row. */
export interface StreamedRun {
  columns: Array<{ name: string; type: string }>;
  truncated: boolean;
  masking: MaskingReport;
  /** Bytes of the JSON rows appended (what is released). */
  bytes: number;
}

/** What a streamed run read, kept up to date as it goes so that a failure audits it too. */
export interface ExecutedDetail {
  blob?: BlobAccess;
}

interface Reserved {
  seqs: number[];
  at: Date;
}

export type ExecuteEvent = RequestTransitionEvent | StatementExecutedEvent;

export type ExecuteOutcome =
  /** `result.rows` is empty for a streamed run (its rows are in the store only): see `rowCount`. */
  | {
      kind: 'completed';
      request: StoredRequest;
      result: StoredResult;
      rowCount: number;
      events: ExecuteEvent[];
    }
  | { kind: 'failed'; request: StoredRequest; code: string; events: ExecuteEvent[] }
  /** Nothing ran: not approved (any more), someone else is running it, or it expired first. */
  | { kind: 'skipped'; reason: 'not_found' | 'not_approved' | 'expired'; events: ExecuteEvent[] };

/** Stable failure codes, as stored on the request and named in the audit trail. */
export const EXECUTION_FAILURES = {
  statement_altered: 'The stored statement no longer matches what was approved.',
  policy_denied: 'The policies in force now deny this request.',
  policy_error: 'The request could not be decided again.',
  blob_changed: 'The blob changed after the read was approved; nothing was read.',
  target_unavailable: 'The target could not be reached (before the run, or part-way through it).',
  result_store_unavailable: 'The result could not be stored.',
  interrupted: 'The execution was interrupted.',
} as const;

function transitionEvent(
  request: StoredRequest,
  seq: number,
  at: Date,
  context: StepContext,
  from: string,
  reason: string,
): RequestTransitionEvent {
  return {
    ...envelope(request, seq, at, context, 'approval.execute'),
    kind: 'request.transition',
    from,
    to: request.status,
    reason,
  };
}

/**
 * Runs an approved request once. The move to `executing` is a conditional write, so of many
 * concurrent callers exactly one proceeds; the others are told `not_approved`. The winner
 * checks the statement and parameters against their digests and the fingerprint, decides
 * the request again, and only then runs it, stores the masked result with a TTL and
 * completes. Any failure on the way fails the request with a code; nothing runs twice.
 */
export async function executeApproved(deps: ExecuteApprovedDeps, requestId: string): Promise<ExecuteOutcome> {
  const context: StepContext = { transport: deps.transport ?? 'queue', principal: null };
  type Claim = { kind: 'expired' | 'claimed'; seq: number; at: Date } | null;
  const claim = await updateRequest<Claim>(deps.requests, requestId, (current) => {
    if (current.status !== 'approved') return { stop: null };
    const now = deps.now();
    if (isExpired(current, now)) {
      const { next, seqs } = reserveSeqs(transition(current, 'expired', now), 1);
      return { write: next, result: { kind: 'expired', seq: seqs[0]!, at: now } };
    }
    const { next, seqs } = reserveSeqs(transition(current, 'executing', now), 1);
    return { write: next, result: { kind: 'claimed', seq: seqs[0]!, at: now } };
  });
  if (claim.kind === 'missing') return { kind: 'skipped', reason: 'not_found', events: [] };
  if (claim.kind === 'stopped' || claim.result === null) {
    return { kind: 'skipped', reason: 'not_approved', events: [] };
  }
  const claimed = claim.stored.value;
  const { seq, at } = claim.result;
  if (claim.result.kind === 'expired') {
    const event = transitionEvent(claimed, seq, at, context, 'approved', 'expired before it ran');
    return { kind: 'skipped', reason: 'expired', events: [event] };
  }
  const events: ExecuteEvent[] = [transitionEvent(claimed, seq, at, context, 'approved', 'approved')];

  const refusal = await refusalBeforeRun(deps, claimed);
  if (refusal !== null) return fail(deps, claimed, refusal, events, context, null);

  const started = deps.now();
  let stored: { result: StoredResult; rowCount: number; executed: StatementExecutedEvent; finished: Date };
  if (deps.streamAndStore) {
    const streamed = await streamResult(deps, deps.streamAndStore, claimed, started, context);
    if ('code' in streamed) return fail(deps, claimed, streamed.code, events, context, streamed.executed);
    stored = streamed;
  } else {
    let masked: MaskedRows;
    try {
      masked = capped(await deps.runAndMask(claimed), claimed.maxRows);
    } catch (e) {
      const code = isGatewayError(e) ? e.code : 'internal';
      const executed = executedEvent(claimed, started, deps.now(), context, null, code);
      return fail(deps, claimed, code, events, context, executed);
    }
    const finished = deps.now();
    const executed = executedEvent(claimed, started, finished, context, masked, null);
    const result = await storeResult(deps, claimed, masked, finished);
    if (result === null) return fail(deps, claimed, 'result_store_unavailable', events, context, executed);
    stored = { result, rowCount: masked.rows.length, executed, finished };
  }
  const { result, executed, finished } = stored;
  const done = await updateRequest<Reserved | null>(deps.requests, claimed.id, (current) => {
    // Only the expiry timer moves an executing request on (to failed, when it hung).
    if (current.status !== 'executing') return { stop: null };
    const now = deps.now();
    const { next, seqs } = reserveSeqs(transition(current, 'completed', now, { resultId: result.id }), 2);
    return { write: next, result: { seqs, at: now } };
  });
  if (done.kind !== 'written' || done.result === null) {
    await deps.results.delete(result.id).catch(() => {});
    const current = done.kind === 'stopped' ? done.current : claimed;
    return { kind: 'failed', request: current, code: 'interrupted', events: [...events] };
  }
  const completed = done.stored.value;
  const [executedSeq, completedSeq] = done.result.seqs as [number, number];
  events.push(
    { ...executed, ...envelope(completed, executedSeq, finished, context, 'approval.execute') },
    transitionEvent(completed, completedSeq, done.result.at, context, 'executing', 'completed'),
  );
  return { kind: 'completed', request: completed, result, rowCount: stored.rowCount, events };
}

/** Rows per append: the store serialises and writes each batch before it takes the next. */
export const RESULT_WRITE_BATCH = 2000;

/**
 * Writes the masked rows through the store's writer in batches (a store that chunks writes
 * chunks as they fill, so the result's whole text is never held), and answers the stored
 * result, with the digest computed over exactly the text written, or null if it failed.
 */
async function storeResult(
  deps: ExecuteApprovedDeps,
  request: StoredRequest,
  masked: MaskedRows,
  finished: Date,
): Promise<StoredResult | null> {
  const opening = openingOf(deps, request, masked.columns, finished);
  let writer: ResultWriter | undefined;
  try {
    writer = deps.results.open(opening);
    for (let i = 0; i < masked.rows.length; i += RESULT_WRITE_BATCH) {
      await writer.append(masked.rows.slice(i, i + RESULT_WRITE_BATCH));
    }
    const closing = { truncated: masked.truncated, masking: masked.masking };
    const { digest } = await writer.commit(closing);
    return { ...opening, ...closing, rows: masked.rows, digest };
  } catch {
    await writer?.abort().catch(() => {});
    return null;
  }
}

function openingOf(
  deps: ExecuteApprovedDeps,
  request: StoredRequest,
  columns: ResultOpening['columns'],
  at: Date,
): ResultOpening {
  return {
    id: deps.newResultId?.() ?? randomUUID(),
    requestId: request.id,
    owner: { issuer: request.requester.issuer ?? '', id: request.requester.id },
    columns,
    createdAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + (deps.resultTtlMs ?? DEFAULT_RESULT_TTL_MS)).toISOString(),
  };
}

/**
 * A streamed run: the writer is opened when the run knows its columns, rows go to it as
 * they are masked, and it is committed (with the digest of exactly what was appended) only
 * once the run has finished; any failure, of the target or of the store, aborts it so that
 * no part of the result is ever readable. A failing store is `result_store_unavailable`.
 */
async function streamResult(
  deps: ExecuteApprovedDeps,
  stream: NonNullable<ExecuteApprovedDeps['streamAndStore']>,
  request: StoredRequest,
  started: Date,
  context: StepContext,
): Promise<
  | { result: StoredResult; rowCount: number; executed: StatementExecutedEvent; finished: Date }
  | { code: string; executed: StatementExecutedEvent }
> {
  const detail: ExecutedDetail = {};
  let opening: ResultOpening | undefined;
  let writer: ResultWriter | undefined;
  let rowCount = 0;
  let storeFailed = false;
  const guard = async <T>(step: () => T | Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (e) {
      storeFailed = true;
      throw e;
    }
  };
  const open: OpenResult = (columns) => {
    if (opening) throw new TypeError('a result is opened once');
    opening = openingOf(deps, request, columns, started);
    try {
      writer = deps.results.open(opening);
    } catch (e) {
      storeFailed = true;
      throw e;
    }
    const opened = writer;
    return {
      append: async (rows) => {
        // A run that ignores the cap must not store more than was approved.
        if (rowCount + rows.length > request.maxRows)
          throw new GatewayError('internal', 'A run appended more rows than were approved.');
        await guard(() => opened.append(rows));
        rowCount += rows.length;
      },
    };
  };
  try {
    const run = await stream(request, open, detail);
    if (!opening) open(run.columns);
    const finished = deps.now();
    const closing = { truncated: run.truncated, masking: run.masking };
    const { digest } = await guard(() => (writer as ResultWriter).commit(closing));
    const result: StoredResult = { ...(opening as unknown as ResultOpening), ...closing, rows: [], digest };
    const masked = { rows: rowCount, truncated: run.truncated, masking: run.masking };
    const executed = executedEvent(request, started, finished, context, masked, null, {
      ...detail,
      bytesReturned: run.bytes,
      releasedDigest: digest,
    });
    return { result, rowCount, executed, finished };
  } catch (e) {
    await writer?.abort().catch(() => {});
    const code = storeFailed ? 'result_store_unavailable' : isGatewayError(e) ? e.code : 'internal';
    const executed = executedEvent(request, started, deps.now(), context, null, code, detail);
    return { code, executed };
  }
}

/** The bound statement must be byte-for-byte what was approved, and still allowed. */
async function refusalBeforeRun(
  deps: ExecuteApprovedDeps,
  request: StoredRequest,
): Promise<keyof typeof EXECUTION_FAILURES | null> {
  try {
    if (sha256Hex(request.statement) !== request.statementSha256) return 'statement_altered';
    if (canonicalSha256(request.params) !== request.paramsSha256) return 'statement_altered';
    if ((await deps.fingerprintOf(request)) !== request.fingerprint) return 'statement_altered';
  } catch {
    return 'statement_altered';
  }
  if (deps.precondition) {
    try {
      const failed = await deps.precondition(request);
      if (failed !== null) return failed;
    } catch {
      return 'target_unavailable';
    }
  }
  let outcome: 'approval' | 'allow' | 'deny';
  try {
    outcome = await deps.redecide(request);
  } catch {
    return 'policy_error';
  }
  // Anything but the two outcomes that let it run (including a value we do not know) refuses.
  if (outcome !== 'approval' && outcome !== 'allow') return 'policy_denied';
  return null;
}

/** A stage that ignores the cap must not release more than was approved. */
function capped(masked: MaskedRows, maxRows: number): MaskedRows {
  if (masked.rows.length <= maxRows) return masked;
  return { ...masked, rows: masked.rows.slice(0, maxRows), truncated: true };
}

function executedEvent(
  request: StoredRequest,
  started: Date,
  finished: Date,
  context: StepContext,
  masked: (Pick<MaskedRows, 'truncated' | 'masking'> & { rows: number | unknown[][] }) | null,
  errorCode: string | null,
  detail: ExecutedDetail & { bytesReturned?: number; releasedDigest?: string } = {},
): StatementExecutedEvent {
  const rows = masked === null ? 0 : typeof masked.rows === 'number' ? masked.rows : masked.rows.length;
  return {
    // The seq is set when the outcome is written; -1 never reaches the audit trail.
    ...envelope(request, -1, started, context, 'approval.execute'),
    kind: 'statement.executed',
    statementSha256: request.statementSha256,
    rows,
    truncated: masked?.truncated ?? false,
    errorCode,
    masking: masked === null ? null : { ...masked.masking },
    ...(detail.blob ? { blob: { ...detail.blob } } : {}),
    ...(detail.bytesReturned === undefined ? {} : { bytesReturned: detail.bytesReturned }),
    ...(detail.releasedDigest === undefined ? {} : { releasedDigest: detail.releasedDigest }),
    durationMs: Math.max(0, finished.getTime() - started.getTime()),
  };
}

async function fail(
  deps: ExecuteApprovedDeps,
  claimed: StoredRequest,
  code: string,
  events: ExecuteEvent[],
  context: StepContext,
  executed: StatementExecutedEvent | null,
): Promise<ExecuteOutcome> {
  const message =
    code in EXECUTION_FAILURES
      ? EXECUTION_FAILURES[code as keyof typeof EXECUTION_FAILURES]
      : 'The approved statement failed.';
  const done = await updateRequest<Reserved | null>(deps.requests, claimed.id, (current) => {
    if (current.status !== 'executing') return { stop: null };
    const now = deps.now();
    const next = transition(current, 'failed', now, { error: { code, message } });
    const reserved = reserveSeqs(next, executed === null ? 1 : 2);
    return { write: reserved.next, result: { seqs: reserved.seqs, at: now } };
  });
  if (done.kind !== 'written' || done.result === null) {
    return { kind: 'failed', request: done.kind === 'stopped' ? done.current : claimed, code, events };
  }
  const failed = done.stored.value;
  const seqs = [...done.result.seqs];
  if (executed !== null) {
    events.push({
      ...executed,
      ...envelope(failed, seqs.shift()!, new Date(executed.time), context, 'approval.execute'),
    });
  }
  events.push(transitionEvent(failed, seqs.shift()!, done.result.at, context, 'executing', code));
  return { kind: 'failed', request: failed, code, events };
}
