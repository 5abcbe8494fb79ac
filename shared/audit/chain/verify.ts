import type { AuditEvent } from '../event.js';
import {
  CheckpointFormatError,
  hasValidSignature,
  laneRoot,
  type ParsedCheckpoint,
  parseCheckpoint,
} from './checkpoint.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { eventHash, GENESIS_PREV, isHexHash } from './hash.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import type { CheckpointPublicJwk } from './signers.js';

export type LaneFailureKind =
  /** An event's content no longer matches its hash, or its hash was recomputed after a change. */
  | 'modified'
  /** No event at an index below the lane's end: deleted (or a slot whose write never landed). */
  | 'missing'
  /** More events than slots: a second event at an index, or events beyond the lane head. */
  | 'inserted'
  /** The event that links to the previous one sits at another index. */
  | 'reordered'
  /** The lane is shorter than a checkpoint or the head says it is. */
  | 'truncated'
  /** The lane recomputes to another hash than a signed checkpoint recorded: it was rewritten. */
  | 'checkpoint_mismatch'
  /** The lane recomputes cleanly but its stored head disagrees. */
  | 'head_mismatch';

export interface LaneReport {
  lane: number;
  ok: boolean;
  /** Events read from the lane. */
  events: number;
  /** Length covered by the newest valid checkpoint. */
  sealed: number;
  failure?: { kind: LaneFailureKind; index: number; detail: string };
}

export type CheckpointFailureKind =
  | 'malformed'
  | 'bad_signature'
  | 'gap'
  | 'broken_link'
  | 'bad_root'
  | 'lane_count'
  | 'regressed'
  | 'origin'
  | 'rollback';

export interface CheckpointFailure {
  seq: number | null;
  kind: CheckpointFailureKind;
  detail: string;
}

export interface CheckpointReport {
  ok: boolean;
  count: number;
  /** The newest checkpoint that verified (signature and chain), if any. */
  latest: { seq: number; hash: string } | null;
  failures: CheckpointFailure[];
}

export interface VerifyReport {
  ok: boolean;
  lanes: LaneReport[];
  checkpoints: CheckpointReport;
  events: number;
}

export interface VerifyOptions {
  lanes: number;
  reader: AuditLaneReader;
  checkpoints: CheckpointStore;
  /** The trusted public keys (the JWKS, as obtained out of band or pinned). */
  keys: readonly CheckpointPublicJwk[];
  /** When given, each lane must also end where its head says. */
  heads?: LaneHeadStore;
  /** The checkpoint verified last time (state file): it must still be there, unchanged. */
  trusted?: { seq: number; hash: string } | null;
  /** When given, every checkpoint must carry this origin. */
  origin?: string;
  /** Indexes read per query. Default 1000. */
  window?: number;
  /**
   * Verify only what follows this checkpoint (the periodic check over a window): each lane is
   * recomputed from the length and hash this checkpoint signed. Every checkpoint is still
   * checked. When it is missing or invalid, the whole lanes are verified and that is reported.
   */
  sinceSeq?: number;
}

/**
 * Recomputes every lane and checks every checkpoint. Pure over the ports: it writes nothing.
 * Lanes are checked against the checkpoints that verified only, so a forged checkpoint can
 * neither vouch for a lane nor make a clean lane fail.
 */
export async function verifyAuditChain(options: VerifyOptions): Promise<VerifyReport> {
  const checkpoints = await verifyCheckpoints(options);
  let since: ParsedCheckpoint | undefined;
  if (options.sinceSeq !== undefined) {
    since = checkpoints.valid.find((c) => c.seq === options.sinceSeq);
    if (!since) {
      checkpoints.report.ok = false;
      checkpoints.report.latest = null;
      checkpoints.report.failures.push({
        seq: options.sinceSeq,
        kind: 'gap',
        detail: 'the checkpoint to verify from is missing or invalid; verified the whole lanes',
      });
    }
  }
  const lanes: LaneReport[] = [];
  // A few lanes at a time: parallel enough, without flooding the store with queries.
  const queue = Array.from({ length: options.lanes }, (_, i) => i);
  const workers = Array.from({ length: Math.min(4, options.lanes) }, async () => {
    for (let lane = queue.shift(); lane !== undefined; lane = queue.shift()) {
      lanes[lane] = await verifyLane(lane, options, checkpoints.valid, since?.lanes[lane]);
    }
  });
  await Promise.all(workers);
  const events = lanes.reduce((n, l) => n + l.events, 0);
  return {
    ok: checkpoints.report.ok && lanes.every((l) => l.ok),
    lanes,
    checkpoints: checkpoints.report,
    events,
  };
}

async function verifyCheckpoints(
  options: VerifyOptions,
): Promise<{ report: CheckpointReport; valid: ParsedCheckpoint[] }> {
  const failures: CheckpointFailure[] = [];
  const valid: ParsedCheckpoint[] = [];
  const seen = new Map<number, string>();
  let previous: ParsedCheckpoint | null = null;
  let count = 0;
  for (let from = 0; ; ) {
    const page = await options.checkpoints.list(from, 500);
    if (page.length === 0) break;
    for (const stored of page) {
      count++;
      from = Math.max(from, stored.seq + 1);
      let parsed: ParsedCheckpoint;
      try {
        parsed = parseCheckpoint(stored.note);
      } catch (e) {
        const detail = e instanceof CheckpointFormatError ? e.message : 'unreadable';
        failures.push({ seq: stored.seq, kind: 'malformed', detail });
        continue;
      }
      const fail = (kind: CheckpointFailureKind, detail: string) =>
        failures.push({ seq: parsed.seq, kind, detail });
      if (parsed.seq !== stored.seq || parsed.hash !== stored.hash || parsed.time !== stored.time) {
        fail('malformed', 'stored fields disagree with the signed note');
        continue;
      }
      if (!hasValidSignature(parsed, options.keys)) {
        fail('bad_signature', 'no signature verifies under a trusted key');
        continue;
      }
      seen.set(parsed.seq, parsed.hash);
      let ok = true;
      if (options.origin !== undefined && parsed.origin !== options.origin) {
        fail('origin', `origin is ${parsed.origin}`);
        ok = false;
      }
      const expectedSeq = previous === null ? 0 : previous.seq + 1;
      if (parsed.seq !== expectedSeq) {
        fail('gap', `expected checkpoint ${expectedSeq}`);
        ok = false;
      } else if (parsed.prev !== (previous === null ? GENESIS_PREV : previous.hash)) {
        fail('broken_link', 'prev does not name the previous checkpoint');
        ok = false;
      }
      if (laneRoot(parsed.lanes) !== parsed.root) {
        fail('bad_root', 'root is not the Merkle hash of the lane entries');
        ok = false;
      }
      if (parsed.lanes.length !== options.lanes) {
        fail('lane_count', `${parsed.lanes.length} lanes, expected ${options.lanes}`);
        ok = false;
      }
      if (previous !== null && parsed.lanes.some((l, i) => l.length < (previous?.lanes[i]?.length ?? 0))) {
        fail('regressed', 'a lane is shorter than in the previous checkpoint');
        ok = false;
      }
      // A signed checkpoint still vouches for its lanes even when its chain is broken.
      valid.push(parsed);
      previous = parsed;
      if (!ok) continue;
    }
  }
  const trusted = options.trusted;
  if (trusted) {
    const hash = seen.get(trusted.seq);
    if (hash === undefined) {
      failures.push({
        seq: trusted.seq,
        kind: 'rollback',
        detail: 'the checkpoint verified last time is gone',
      });
    } else if (hash !== trusted.hash) {
      failures.push({
        seq: trusted.seq,
        kind: 'rollback',
        detail: 'the checkpoint verified last time was replaced',
      });
    }
  }
  const last = valid.at(-1);
  return {
    report: {
      ok: failures.length === 0,
      count,
      latest: failures.length === 0 && last ? { seq: last.seq, hash: last.hash } : null,
      failures,
    },
    valid,
  };
}

async function readLane(
  lane: number,
  reader: AuditLaneReader,
  start: number,
  end: number,
  window: number,
): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let from = start;
  while (from < end) {
    events.push(...(await reader.read(lane, from, from + window)));
    from += window;
  }
  // Whatever lies beyond the expected end, however far: an insertion is never out of reach.
  events.push(...(await reader.read(lane, from, Number.MAX_SAFE_INTEGER)));
  return events;
}

async function verifyLane(
  lane: number,
  options: VerifyOptions,
  valid: ParsedCheckpoint[],
  from: { length: number; hash: string } | undefined,
): Promise<LaneReport> {
  const start = from?.length ?? 0;
  const head = options.heads ? await options.heads.get(lane) : null;
  // Length -> the hash every checkpoint recorded for it.
  const commitments = new Map<number, string[]>();
  let sealed = start;
  for (const c of valid) {
    const entry = c.lanes[lane];
    if (!entry || entry.length <= start) continue;
    commitments.set(entry.length, [...(commitments.get(entry.length) ?? []), entry.hash]);
    sealed = Math.max(sealed, entry.length);
  }
  const expectedEnd = Math.max(sealed, head?.length ?? 0);
  const events = await readLane(lane, options.reader, start, expectedEnd, options.window ?? 1000);
  const report = (failure?: LaneReport['failure']): LaneReport => ({
    lane,
    ok: failure === undefined,
    events: events.length,
    sealed,
    ...(failure ? { failure } : {}),
  });

  const byIndex = new Map<number, AuditEvent[]>();
  const successorOf = new Map<string, number>();
  let end = start;
  for (const e of events) {
    const c = e.chain;
    if (!c || c.lane !== lane || !Number.isSafeInteger(c.index) || c.index < start) continue;
    byIndex.set(c.index, [...(byIndex.get(c.index) ?? []), e]);
    if (typeof c.prev === 'string') successorOf.set(c.prev, c.index);
    end = Math.max(end, c.index + 1);
  }

  let running = from?.hash ?? GENESIS_PREV;
  for (let i = start; i < end; i++) {
    const at = byIndex.get(i);
    if (!at) return report({ kind: 'missing', index: i, detail: 'no event at this index, later ones exist' });
    if (at.length > 1)
      return report({ kind: 'inserted', index: i, detail: `${at.length} events at this index` });
    const event = at[0] as AuditEvent;
    const c = event.chain as NonNullable<AuditEvent['chain']>;
    const wellFormed = isHexHash(c.prev) && isHexHash(c.hash);
    const hashOk = wellFormed && eventHash(event, { lane, index: i, prev: c.prev }) === c.hash;
    const linkOk = c.prev === running;
    if (!hashOk || !linkOk) {
      const elsewhere = successorOf.get(running);
      if (elsewhere !== undefined && elsewhere !== i) {
        return report({
          kind: 'reordered',
          index: i,
          detail: `the successor of event ${i - 1} is at index ${elsewhere}`,
        });
      }
      if (!hashOk)
        return report({ kind: 'modified', index: i, detail: `event ${event.id} does not match its hash` });
      // Its own hash is fine but it does not follow its predecessor: the one before was
      // changed and re-hashed (or this one was forged after it).
      return report({
        kind: 'modified',
        index: Math.max(0, i - 1),
        detail: `event ${i} does not link to the event before it (re-hashed after a change)`,
      });
    }
    running = c.hash;
    const committed = commitments.get(i + 1);
    if (committed?.some((h) => h !== running)) {
      return report({
        kind: 'checkpoint_mismatch',
        index: i,
        detail: `the first ${i + 1} events recompute to another hash than a checkpoint signed`,
      });
    }
  }
  if (sealed > end) {
    return report({
      kind: 'truncated',
      index: end,
      detail: `a checkpoint covers ${sealed} events, ${end} remain`,
    });
  }
  if (head) {
    if (head.length > end) {
      return report({
        kind: 'truncated',
        index: end,
        detail: `the head says ${head.length} events, ${end} remain`,
      });
    }
    if (head.length < end) {
      return report({
        kind: 'inserted',
        index: head.length,
        detail: `events beyond the head (${head.length})`,
      });
    }
    if (head.hash !== running)
      return report({ kind: 'head_mismatch', index: end - 1, detail: 'head hash differs' });
  }
  return report();
}
