import type { AuditEvent } from '../event.js';
import type { ParsedCheckpoint } from './checkpoint.js';
import { eventHash, GENESIS_PREV, isHexHash } from './hash.js';
import type { LaneHead } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import type { LaneReport, VerifyOptions } from './verify.js';

/**
 * Recomputes one lane from `from` (the length and hash a checkpoint signed; the genesis when
 * absent) and names the first place it breaks: a slot empty or doubled, an event that does
 * not match its hash or does not link, a prefix that a valid checkpoint signed otherwise, or
 * an end other than the checkpoints and the head say.
 */

type LaneFailure = NonNullable<LaneReport['failure']>;

/** One lane's events from `start` on, by index. */
interface LaneSlots {
  lane: number;
  start: number;
  reader: AuditLaneReader;
  byIndex: Map<number, AuditEvent[]>;
  /** The hash an event names as its `prev` -> that event's index. */
  successorOf: Map<string, number>;
  /** One past the highest index found (`start` when none). */
  end: number;
}

export async function verifyLane(
  lane: number,
  options: VerifyOptions,
  valid: ParsedCheckpoint[],
  from: { length: number; hash: string } | undefined,
): Promise<LaneReport> {
  const start = from?.length ?? 0;
  const { commitments, sealed } = commitmentsFor(lane, valid, start);
  const events = await readLane(lane, options.reader, start, sealed, options.window ?? 1000);
  if (options.onEvent) for (const e of events) options.onEvent(e);
  // The head is read after the events. Reserve-first moves it before its events are stored, a
  // lease holder after (see lanes.ts): on a store taking appends (live) it may be either side
  // of the events read; at rest it must end exactly where they do.
  const head = options.heads ? await options.heads.get(lane) : null;
  const slots = slotsOf(events, lane, start, options.reader);
  const walked = walk(slots, from?.hash ?? GENESIS_PREV, commitments);
  let failure: LaneFailure | undefined;
  if ('failure' in walked) failure = walked.failure;
  else {
    const startHash = from?.hash ?? GENESIS_PREV;
    const end = endFailure(slots, sealed, head, walked.running, options.live, startHash);
    // Live, events beyond a head they chain onto may be a lease holder's whose head has not
    // moved yet: it moves within the holder's flush interval, so look once more after a while.
    // Still beyond: inserted (or the holder died; the next writer of the lane catches up).
    failure =
      end === 'pending' ? await settledEnd(lane, options, slots, sealed, walked.running, startHash) : end;
  }
  const attested = options.reader.attestedHash
    ? events.filter((e) => options.reader.attestedHash?.(e) !== undefined).length
    : 0;
  return {
    lane,
    ok: failure === undefined,
    events: events.length,
    sealed,
    ...(attested > 0 ? { attested } : {}),
    ...(failure ? { failure } : {}),
  };
}

/**
 * Length -> the hash every valid checkpoint recorded for this lane at that length, past
 * `start`; and `sealed`, the longest length a checkpoint covers (at least `start`).
 */
function commitmentsFor(
  lane: number,
  valid: ParsedCheckpoint[],
  start: number,
): { commitments: Map<number, string[]>; sealed: number } {
  const commitments = new Map<number, string[]>();
  let sealed = start;
  for (const c of valid) {
    const entry = c.lanes[lane];
    if (!entry || entry.length <= start) continue;
    commitments.set(entry.length, [...(commitments.get(entry.length) ?? []), entry.hash]);
    sealed = Math.max(sealed, entry.length);
  }
  return { commitments, sealed };
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

/** Groups the events by index; events without a chain entry for this lane from `start` on are ignored. */
function slotsOf(events: AuditEvent[], lane: number, start: number, reader: AuditLaneReader): LaneSlots {
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
  return { lane, start, reader, byIndex, successorOf, end };
}

/** Follows the chain from `running` through every slot; answers the first break or the final hash. */
function walk(
  slots: LaneSlots,
  running: string,
  commitments: Map<number, string[]>,
): { failure: LaneFailure } | { running: string } {
  let hash = running;
  for (let i = slots.start; i < slots.end; i++) {
    const step = followSlot(slots, i, hash);
    if (typeof step !== 'string') return { failure: step };
    hash = step;
    // Any valid checkpoint that signed this prefix must have signed this very hash.
    if (commitments.get(i + 1)?.some((h) => h !== hash)) {
      const detail = `the first ${i + 1} events recompute to another hash than a checkpoint signed`;
      return { failure: { kind: 'checkpoint_mismatch', index: i, detail } };
    }
  }
  return { running: hash };
}

/** The hash of the single event at index `i` when it matches and links to `running`, else why not. */
function followSlot(slots: LaneSlots, i: number, running: string): string | LaneFailure {
  const at = slots.byIndex.get(i);
  if (!at) return { kind: 'missing', index: i, detail: 'no event at this index, later ones exist' };
  if (at.length > 1) return { kind: 'inserted', index: i, detail: `${at.length} events at this index` };
  const event = at[0] as AuditEvent;
  const c = event.chain as NonNullable<AuditEvent['chain']>;
  const wellFormed = isHexHash(c.prev) && isHexHash(c.hash);
  const recomputed =
    slots.reader.attestedHash?.(event) ?? eventHash(event, { lane: slots.lane, index: i, prev: c.prev });
  const hashOk = wellFormed && recomputed === c.hash;
  if (hashOk && c.prev === running) return c.hash;
  return breakAt(slots, i, event, running, hashOk);
}

/** Names a break at index `i`: a successor found elsewhere is a reorder, anything else a modification. */
function breakAt(
  slots: LaneSlots,
  i: number,
  event: AuditEvent,
  running: string,
  hashOk: boolean,
): LaneFailure {
  const elsewhere = slots.successorOf.get(running);
  if (elsewhere !== undefined && elsewhere !== i)
    return {
      kind: 'reordered',
      index: i,
      detail: `the successor of event ${i - 1} is at index ${elsewhere}`,
    };
  if (!hashOk) return { kind: 'modified', index: i, detail: `event ${event.id} does not match its hash` };
  // Its own hash is fine but it does not follow its predecessor: the one before was
  // changed and re-hashed (or this one was forged after it).
  return {
    kind: 'modified',
    index: Math.max(0, i - 1),
    detail: `event ${i} does not link to the event before it (re-hashed after a change)`,
  };
}

/** A lane that chains cleanly must still end where the checkpoints and the head say. */
function endFailure(
  slots: LaneSlots,
  sealed: number,
  head: LaneHead | null,
  running: string,
  live = false,
  startHash = GENESIS_PREV,
): LaneFailure | 'pending' | undefined {
  const end = slots.end;
  if (sealed > end)
    return { kind: 'truncated', index: end, detail: `a checkpoint covers ${sealed} events, ${end} remain` };
  if (!head) return undefined;
  // On a store taking appends, a head ahead of the events is an append in flight.
  if (live && head.length > end) return undefined;
  if (head.length > end)
    return { kind: 'truncated', index: end, detail: `the head says ${head.length} events, ${end} remain` };
  // ... and events beyond a head they chain onto are a lease holder's, the head not yet moved.
  if (live && head.length < end && headIsOnChain(slots, head, startHash)) return 'pending';
  if (head.length < end) return beyondHead(head.length);
  if (head.hash !== running) return { kind: 'head_mismatch', index: end - 1, detail: 'head hash differs' };
  return undefined;
}

function beyondHead(length: number): LaneFailure {
  return {
    kind: 'inserted',
    index: length,
    detail: `events beyond the head (${length}): inserted, or stored by a lease holder that stopped before moving the head`,
  };
}

async function settledEnd(
  lane: number,
  options: VerifyOptions,
  slots: LaneSlots,
  sealed: number,
  running: string,
  startHash: string,
): Promise<LaneFailure | undefined> {
  const settleMs = options.settleMs ?? 1500;
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  const again = (await options.heads?.get(lane)) ?? null;
  const end = endFailure(slots, sealed, again, running, options.live, startHash);
  return end === 'pending' ? beyondHead(again?.length ?? 0) : end;
}

/** The head names a point of the lane as walked: its hash is that of event `length - 1`. */
function headIsOnChain(slots: LaneSlots, head: LaneHead, startHash: string): boolean {
  if (head.length < slots.start) return false;
  if (head.length === slots.start) return head.hash === startHash;
  return slots.byIndex.get(head.length - 1)?.[0]?.chain?.hash === head.hash;
}
