import { randomUUID } from 'node:crypto';
import { canonicalSha256 } from '../audit/canonical.js';
import type {
  BlobAccess,
  RequestTransitionEvent,
  StatementExecutedEvent,
  Transport,
} from '../audit/event.js';
import { isGatewayError } from '../errors.js';
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
   * The same run streamed: masked batches go to the sink as they are read, and from it into
   * the result store's writer, so a large result is never held whole. Used when given.
   */
  streamAndMask?: (request: StoredRequest, sink: MaskedBatchSink) => Promise<StreamedRun>;
  /**
   * A streamed run that opens the result itself (blob reads: the columns are known once the
   * content is parsed) and says in `detail` what it read so far, for the audit of a run that
   * fails part-way. Used when given, through the same writer path as `streamAndMask`.
   */
  streamAndStore?: (request: StoredRequest, open: OpenResult, detail: ExecutedDetail) => Promise<StreamedRun>;
  resultTtlMs?: number;
  newResultId?: () => string;
  transport?: Transport;
}

/** Where a streamed run hands its masked rows: its columns once, then each batch as arrays. */
export interface MaskedBatchSink {
  begin(columns: Array<{ name: string; type: string }>): Promise<void>;
  rows(rows: unknown[][]): Promise<void>;
}

/** What a streamed run reports once its last batch was taken. */
export interface StreamedRun {
  truncated: boolean;
  masking: MaskingReport;
  /** The columns, for a run that appended no row (so never opened the result). */
  columns?: Array<{ name: string; type: string }>;
  /** Bytes of the rows appended (what is released), when the run counts them. */
  bytes?: number;
}

/** Opens the result's writer with these columns; once per run. */
export type OpenResult = (columns: Array<{ name: string; type: string }>) => {
  append(rows: unknown[][]): Promise<void>;
};

/** What a streamed run read, kept up to date as it goes so that a failure audits it too. */
export interface ExecutedDetail {
  blob?: BlobAccess;
}

/** A `streamAndStore` run as a `streamAndMask` one: `open` begins the sink, appends go to it. */
function throughSink(
  stream: NonNullable<ExecuteApprovedDeps['streamAndStore']>,
  detail: ExecutedDetail,
): NonNullable<ExecuteApprovedDeps['streamAndMask']> {
  return async (request, sink) => {
    let begun: Promise<void> | undefined;
    const open: OpenResult = (columns) => {
      if (begun) throw new TypeError('a result is opened once');
      const opened = sink.begin(columns);
      begun = opened;
      return {
        append: async (rows) => {
          await opened;
          await sink.rows(rows);
        },
      };
    };
    const run = await stream(request, open, detail);
    await (begun ?? sink.begin(run.columns ?? []));
    return run;
  };
}

/** The stored result as the run answers it; a streamed run's rows are in the store only. */
export type CompletedResult = Omit<StoredResult, 'rows'> & { rowCount: number; rows?: unknown[][] };

/** What was released into the store, as the audit trail names it. */
interface RunSummary {
  rows: number;
  truncated: boolean;
  masking: MaskingReport;
}

type RunStored =
  | { kind: 'stored'; result: CompletedResult; summary: RunSummary; finished: Date; bytes?: number }
  /** `summary` when the statement ran and masked whole but the result could not be stored. */
  | { kind: 'failed'; code: string; summary: RunSummary | null };

interface Reserved {
  seqs: number[];
  at: Date;
}

export type ExecuteEvent = RequestTransitionEvent | StatementExecutedEvent;

export type ExecuteOutcome =
  | { kind: 'completed'; request: StoredRequest; result: CompletedResult; events: ExecuteEvent[] }
  | { kind: 'failed'; request: StoredRequest; code: string; events: ExecuteEvent[] }
  /** Nothing ran: not approved (any more), someone else is running it, or it expired first. */
  | { kind: 'skipped'; reason: 'not_found' | 'not_approved' | 'expired'; events: ExecuteEvent[] };

/** Stable failure codes, as stored on the request and named in the audit trail. */
export const EXECUTION_FAILURES = {
  statement_altered: 'The stored statement no longer matches what was approved.',
  policy_denied: 'The policies in force now deny this request.',
  policy_error: 'The request could not be decided again.',
  blob_changed: 'The blob changed after the read was approved; nothing was read.',
  target_unavailable: 'The target could not be checked before the run.',
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
  const detail: ExecutedDetail = {};
  const streamed = deps.streamAndStore ? throughSink(deps.streamAndStore, detail) : deps.streamAndMask;
  const ran = streamed ? await streamToStore(deps, claimed, streamed) : await runThenStore(deps, claimed);
  if (ran.kind === 'failed') {
    const errorCode = ran.summary === null ? ran.code : null;
    const executed = executedEvent(claimed, started, deps.now(), context, ran.summary, errorCode, detail);
    return fail(deps, claimed, ran.code, events, context, executed);
  }
  const { result, finished } = ran;
  const executed = executedEvent(claimed, started, finished, context, ran.summary, null, {
    ...detail,
    ...(ran.bytes === undefined ? {} : { bytesReturned: ran.bytes }),
    ...(detail.blob ? { releasedDigest: result.digest } : {}),
  });
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
  return { kind: 'completed', request: completed, result, events };
}

/** Rows per append: the store serialises and writes each batch before it takes the next. */
export const RESULT_WRITE_BATCH = 2000;

function openingFor(
  deps: ExecuteApprovedDeps,
  request: StoredRequest,
  columns: MaskedRows['columns'],
  at: Date,
) {
  return {
    id: deps.newResultId?.() ?? randomUUID(),
    requestId: request.id,
    owner: { issuer: request.requester.issuer ?? '', id: request.requester.id },
    columns,
    createdAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + (deps.resultTtlMs ?? DEFAULT_RESULT_TTL_MS)).toISOString(),
  };
}

/** The whole masked result first, then written through the store's writer in batches. */
async function runThenStore(deps: ExecuteApprovedDeps, request: StoredRequest): Promise<RunStored> {
  let masked: MaskedRows;
  try {
    masked = capped(await deps.runAndMask(request), request.maxRows);
  } catch (e) {
    return { kind: 'failed', code: isGatewayError(e) ? e.code : 'internal', summary: null };
  }
  const finished = deps.now();
  const summary = { rows: masked.rows.length, truncated: masked.truncated, masking: masked.masking };
  const opening = openingFor(deps, request, masked.columns, finished);
  let writer: ResultWriter | undefined;
  try {
    writer = deps.results.open(opening);
    for (let i = 0; i < masked.rows.length; i += RESULT_WRITE_BATCH) {
      await writer.append(masked.rows.slice(i, i + RESULT_WRITE_BATCH));
    }
    const closing = { truncated: masked.truncated, masking: masked.masking };
    const { digest } = await writer.commit(closing);
    const result = { ...opening, ...closing, rows: masked.rows, rowCount: masked.rows.length, digest };
    return { kind: 'stored', result, summary, finished };
  } catch {
    await writer?.abort().catch(() => {});
    return { kind: 'failed', code: 'result_store_unavailable', summary };
  }
}

/**
 * The run streamed into the store: the writer opens on the first batch's columns and takes
 * each masked batch as it comes, never more than `maxRows` rows in all. A failure part-way,
 * of the run or of the store, aborts the writer, so no partial result is ever readable.
 */
async function streamToStore(
  deps: ExecuteApprovedDeps,
  request: StoredRequest,
  stream: NonNullable<ExecuteApprovedDeps['streamAndMask']>,
): Promise<RunStored> {
  let opening: ResultOpening | undefined;
  let writer: ResultWriter | undefined;
  let storeFailed = false;
  let count = 0;
  let cut = false;
  const store = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      storeFailed = true;
      throw e;
    }
  };
  const sink: MaskedBatchSink = {
    begin: (columns) =>
      store(async () => {
        if (writer !== undefined) throw new TypeError('a streamed run begins once');
        opening = openingFor(deps, request, columns, deps.now());
        writer = deps.results.open(opening);
      }),
    rows: (rows) => {
      // A stage that ignores the cap must not store more than was approved.
      const room = request.maxRows - count;
      if (rows.length > room) cut = true;
      const kept = rows.length > room ? rows.slice(0, Math.max(0, room)) : rows;
      count += kept.length;
      return store(async () => {
        if (writer === undefined) throw new TypeError('rows before the columns');
        await writer.append(kept);
      });
    },
  };
  try {
    const ran = await stream(request, sink);
    if (writer === undefined || opening === undefined) throw new TypeError('a streamed run that never began');
    const closing = { truncated: ran.truncated || cut, masking: ran.masking };
    const { digest } = await store(() => (writer as ResultWriter).commit(closing));
    const result: CompletedResult = { ...opening, ...closing, digest, rowCount: count };
    return {
      kind: 'stored',
      result,
      summary: { rows: count, ...closing },
      finished: deps.now(),
      ...(ran.bytes === undefined ? {} : { bytes: ran.bytes }),
    };
  } catch (e) {
    await writer?.abort().catch(() => {});
    if (storeFailed) return { kind: 'failed', code: 'result_store_unavailable', summary: null };
    return { kind: 'failed', code: isGatewayError(e) ? e.code : 'internal', summary: null };
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
  masked: RunSummary | null,
  errorCode: string | null,
  detail: ExecutedDetail & { bytesReturned?: number; releasedDigest?: string } = {},
): StatementExecutedEvent {
  return {
    // The seq is set when the outcome is written; -1 never reaches the audit trail.
    ...envelope(request, -1, started, context, 'approval.execute'),
    kind: 'statement.executed',
    statementSha256: request.statementSha256,
    rows: masked?.rows ?? 0,
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
