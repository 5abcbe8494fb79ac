import type { GatewayLogEvent } from '../../use-cases/deps.js';
import type { AuditEvent, VerificationEvent, VerificationFailure } from '../event.js';
import { eventId } from '../event.js';
import type { CheckpointArchive, CheckpointStore } from './checkpoint-store.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import type { CheckpointPublicJwk } from './signers.js';
import type { VerifierState, VerifierStateStore } from './verifier-state.js';
import { type VerifyOptions, type VerifyReport, verifyAuditChain } from './verify.js';

/** The verification window's period when the setting is absent: 15 minutes. */
export const DEFAULT_VERIFY_EVERY_MS = 15 * 60_000;

/** What the periodic verifier reads: the gateway's own chain stores and trusted keys. */
export interface PeriodicVerifyPorts {
  lanes: number;
  reader: AuditLaneReader;
  checkpoints: CheckpointStore;
  heads: LaneHeadStore;
  state: VerifierStateStore;
  /** The keys checkpoints must verify under (the gateway's JWKS). */
  keys: () => Promise<readonly CheckpointPublicJwk[]>;
  archive?: CheckpointArchive;
  /** Least time between two runs; the timer ticks more often so a failed run is retried soon. */
  everyMs: number;
}

export interface PeriodicVerifyDeps {
  /** The chained audit store: the verifier's own event is hash-linked like any other. */
  append(event: AuditEvent): Promise<void>;
  newId(): string;
  log(event: GatewayLogEvent): void;
}

export type PeriodicVerifyResult =
  | { ran: false }
  | { ran: true; event: VerificationEvent; saved: boolean; appended: boolean };

type Anchor = { seq: number; hash: string };

interface WindowOutcome {
  report: VerifyReport;
  from: Anchor | null;
  /** The verification events read in the window (untrusted until the lanes verify). */
  seen: VerificationEvent[];
  stateFailures: VerificationFailure[];
}

/**
 * One tick of the verification timer: when a period has passed since the last completed run,
 * verifies the lanes and checkpoints since the checkpoint that run trusted, audits the result
 * through the chain (a failure is also logged at error level) and saves the new state. A run
 * that cannot finish (a store outage) is logged and audited if the store takes it, and saves
 * nothing, so the next tick runs again.
 */
export async function runPeriodicVerification(
  ports: PeriodicVerifyPorts,
  deps: PeriodicVerifyDeps,
  now: Date,
): Promise<PeriodicVerifyResult> {
  const requestId = deps.newId();
  const started = Date.now();
  let loaded: Awaited<ReturnType<VerifierStateStore['get']>>;
  let outcome: WindowOutcome;
  try {
    loaded = await ports.state.get();
    if (loaded && now.getTime() - Date.parse(loaded.state.ranAt) < ports.everyMs) return { ran: false };
    outcome = await verifyWindow(ports, loaded?.state ?? null);
  } catch (e) {
    return await outage(deps, requestId, now, started, e);
  }
  const previous = loaded?.state ?? null;
  const event = verificationEvent(requestId, now, outcome, previous, Date.now() - started);
  try {
    await deps.append(event);
  } catch (e) {
    // Unaudited, the run does not count: no state is saved, the next tick runs again.
    logFailure(deps, event, 'audit_unavailable', 'the verification result could not be audited', e);
    return { ran: true, event, saved: false, appended: false };
  }
  if (!event.ok) logFailure(deps, event, 'audit_verification_failed', 'the audit chain failed verification');
  const saved = await saveState(ports, deps, event, loaded?.etag ?? null, now);
  return { ran: true, event, saved, appended: true };
}

async function verifyWindow(ports: PeriodicVerifyPorts, state: VerifierState | null): Promise<WindowOutcome> {
  const seen: VerificationEvent[] = [];
  const base: VerifyOptions = {
    lanes: ports.lanes,
    reader: ports.reader,
    checkpoints: ports.checkpoints,
    heads: ports.heads,
    keys: await ports.keys(),
    // The gateway takes appends while this runs.
    live: true,
    ...(ports.archive ? { archive: ports.archive } : {}),
    onEvent: (e) => {
      if (e.kind === 'verification' && wellFormed(e)) seen.push(e);
    },
  };
  const from = state?.anchor ?? null;
  let report = await verifyAuditChain(
    from ? { ...base, trusted: from, windowed: true, sinceSeq: from.seq } : base,
  );
  const stateFailures = await stateChecks(ports.checkpoints, state, seen);
  if (from && stateFailures.some((f) => f.kind === 'state_unconfirmed')) {
    // The saved state may have been moved forward past tampering: verify everything.
    seen.length = 0;
    report = await verifyAuditChain(base);
    return { report, from: null, seen, stateFailures };
  }
  return { report, from, seen, stateFailures };
}

/**
 * The saved state against the verifier's own events in the window: the run that saved it
 * must be there with the same anchor (else the state was moved or its event removed); no
 * later run may be, bar one whose state write was lost (else the state was rolled back); and
 * every checkpoint a run in the window trusted must still be stored unchanged.
 */
async function stateChecks(
  checkpoints: CheckpointStore,
  state: VerifierState | null,
  seen: readonly VerificationEvent[],
): Promise<VerificationFailure[]> {
  const failures: VerificationFailure[] = [];
  const fail = (kind: string, detail: string) => failures.push({ scope: 'state', kind, detail });
  // Run 0 is an interrupted run (an outage): it saved nothing and vouches for nothing.
  const runs = seen.filter((e) => e.run > 0);
  const newest = Math.max(0, ...runs.map((e) => e.run));
  if (state === null) {
    if (runs.length > 0) fail('state_missing', `no saved state, but run ${newest} was audited`);
  } else {
    if (state.run > 0 && !runs.some((e) => e.run === state.run && sameAnchor(e.anchor, state.anchor)))
      fail(
        'state_unconfirmed',
        `the saved state names run ${state.run}, whose verification event is not there`,
      );
    if (newest > state.run + 1)
      fail('state_rollback', `the saved state names run ${state.run}, but run ${newest} was audited`);
  }
  const anchors = new Map(runs.flatMap((e) => (e.anchor ? [[e.anchor.seq, e.anchor.hash] as const] : [])));
  for (const [seq, hash] of anchors) {
    const [stored] = await checkpoints.list(seq, 1);
    if (stored?.seq !== seq || stored.hash !== hash)
      failures.push({
        scope: 'checkpoint',
        kind: 'rollback',
        seq,
        detail: `checkpoint ${seq}, trusted by an earlier verification run, is gone or replaced`,
      });
  }
  return failures;
}

/**
 * What is read from the store is untrusted: an event in the unsealed tail can be forged, so a
 * verification event counts only with a plausible run number and anchor (a forged one can then
 * at most raise a false alarm, never break the run or its state).
 */
function wellFormed(e: VerificationEvent): boolean {
  const run = Number.isSafeInteger(e.run) && e.run >= 0 && e.run < 2 ** 40;
  const a = e.anchor as unknown;
  if (a === null) return run;
  const anchor = a as { seq?: unknown; hash?: unknown };
  return (
    run &&
    typeof a === 'object' &&
    Number.isSafeInteger(anchor.seq) &&
    (anchor.seq as number) >= 0 &&
    typeof anchor.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(anchor.hash)
  );
}

function sameAnchor(a: Anchor | null, b: Anchor | null): boolean {
  return a === null || b === null ? a === b : a.seq === b.seq && a.hash === b.hash;
}

/** Checkpoint failures first (they undo what lanes prove), then lanes, then the state. */
function failuresOf(outcome: WindowOutcome): VerificationFailure[] {
  const { report } = outcome;
  const checkpoint = report.checkpoints.failures.map(
    (f): VerificationFailure => ({ scope: 'checkpoint', kind: f.kind, seq: f.seq, detail: f.detail }),
  );
  const lanes = report.lanes.flatMap((l): VerificationFailure[] =>
    l.failure
      ? [
          {
            scope: 'lane',
            kind: l.failure.kind,
            lane: l.lane,
            index: l.failure.index,
            detail: l.failure.detail,
          },
        ]
      : [],
  );
  const state = outcome.stateFailures.filter((f) => f.scope === 'state');
  const rollbacks = outcome.stateFailures.filter((f) => f.scope !== 'state');
  return [...checkpoint, ...rollbacks, ...lanes, ...state];
}

function verificationEvent(
  requestId: string,
  now: Date,
  outcome: WindowOutcome,
  previous: VerifierState | null,
  durationMs: number,
): VerificationEvent {
  const failures = failuresOf(outcome);
  const ok = failures.length === 0;
  const to = ok ? outcome.report.checkpoints.latest : null;
  const run = Math.max(previous?.run ?? 0, ...outcome.seen.map((e) => e.run)) + 1;
  return {
    ...envelope(requestId, now),
    kind: 'verification',
    ok,
    run,
    checkpoints: { from: outcome.from, to, count: outcome.report.checkpoints.count },
    // Only a clean run moves the window on; a failed one keeps checking from where it was.
    anchor: ok ? (to ?? previous?.anchor ?? null) : (previous?.anchor ?? null),
    lanes: outcome.report.lanes.length,
    events: outcome.report.events,
    failures: failures.length,
    firstFailure: failures[0] ?? null,
    durationMs,
  };
}

function envelope(requestId: string, now: Date) {
  return {
    id: eventId(requestId, 0),
    requestId,
    seq: 0,
    time: now.toISOString(),
    principal: null,
    transport: 'timer' as const,
    connection: null,
    action: 'audit.verify',
  };
}

async function outage(
  deps: PeriodicVerifyDeps,
  requestId: string,
  now: Date,
  started: number,
  cause: unknown,
): Promise<PeriodicVerifyResult> {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const event: VerificationEvent = {
    ...envelope(requestId, now),
    kind: 'verification',
    ok: false,
    // 0: the run never got far enough to know its number; it does not count as a run.
    run: 0,
    checkpoints: { from: null, to: null, count: 0 },
    anchor: null,
    lanes: 0,
    events: 0,
    failures: 1,
    firstFailure: { scope: 'store', kind: 'unavailable', detail },
    durationMs: Date.now() - started,
  };
  logFailure(
    deps,
    event,
    'audit_unavailable',
    'the audit chain could not be verified (store unavailable)',
    cause,
  );
  const appended = await deps.append(event).then(
    () => true,
    () => false,
  );
  return { ran: true, event, saved: false, appended };
}

async function saveState(
  ports: PeriodicVerifyPorts,
  deps: PeriodicVerifyDeps,
  event: VerificationEvent,
  etag: string | null,
  now: Date,
): Promise<boolean> {
  const next: VerifierState = { anchor: event.anchor, run: event.run, ranAt: now.toISOString() };
  const write = await ports.state.set(next, etag).catch((e: unknown) => e);
  if (typeof write === 'object' && write !== null && 'ok' in write && write.ok === true) return true;
  // The event is audited; the next run tolerates exactly one lost state write.
  logFailure(deps, event, 'audit_unavailable', 'the verifier state could not be saved', write, 'warn');
  return false;
}

function logFailure(
  deps: PeriodicVerifyDeps,
  event: VerificationEvent,
  code: string,
  message: string,
  cause?: unknown,
  level: 'error' | 'warn' = 'error',
): void {
  const first = event.firstFailure;
  deps.log({
    level,
    requestId: event.requestId,
    code,
    status: code === 'audit_unavailable' ? 503 : 500,
    message: first ? `${message}: ${first.scope} ${first.kind}: ${first.detail}` : message,
    cause: cause === undefined ? undefined : cause instanceof Error ? cause.name : typeof cause,
    ...(first ? { reason: first.kind } : {}),
  });
}
