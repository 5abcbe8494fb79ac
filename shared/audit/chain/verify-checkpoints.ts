import {
  CheckpointFormatError,
  hasValidSignature,
  laneRoot,
  type ParsedCheckpoint,
  parseCheckpoint,
} from './checkpoint.js';
import type { CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';
import { GENESIS_PREV } from './hash.js';
import type { CheckpointPublicJwk } from './signers.js';
import type { CheckpointFailure, CheckpointReport, VerifyOptions } from './verify.js';
import { archiveFailures, noteDigest } from './verify-archive.js';

/**
 * Checks every stored checkpoint: its note parses and agrees with the stored fields, a trusted
 * key signed it, and it extends the one before (sequence, link, root, lane count, no lane
 * shorter). Answers the report and the checkpoints whose signature verified, in order.
 */
export async function verifyCheckpoints(
  options: VerifyOptions,
): Promise<{ report: CheckpointReport; valid: ParsedCheckpoint[] }> {
  const failures: CheckpointFailure[] = [];
  const valid: ParsedCheckpoint[] = [];
  // Seq -> hash of every signed checkpoint, chained or not: what the rollback check compares.
  const seen = new Map<number, string>();
  // Seq -> digest of each stored note, for the archive comparison (small, unlike the notes).
  const digests = new Map<number, string>();
  let count = 0;
  // Windowed: the chain up to `trusted` was verified by an earlier run; start there.
  const anchor = options.windowed && options.trusted ? options.trusted : null;
  for await (const stored of storedCheckpoints(options.checkpoints, anchor?.seq ?? 0)) {
    count++;
    if (options.archive) digests.set(stored.seq, noteDigest(stored.note));
    const signed = readSigned(stored, options.keys);
    if (!signed.ok) {
      failures.push(signed.failure);
      continue;
    }
    seen.set(signed.parsed.seq, signed.parsed.hash);
    failures.push(...chainFailures(signed.parsed, valid.at(-1) ?? anchor, options));
    // A signed checkpoint still vouches for its lanes even when its chain is broken.
    valid.push(signed.parsed);
  }
  const rollback = options.trusted ? rollbackFailure(options.trusted, seen) : undefined;
  if (rollback) failures.push(rollback);
  if (options.archive)
    failures.push(
      ...(await archiveFailures(options.archive, digests, {
        live: options.live === true,
        checkpoints: options.checkpoints,
      })),
    );
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

/** Every stored checkpoint in sequence order, read a page at a time. */
async function* storedCheckpoints(store: CheckpointStore, start: number): AsyncGenerator<StoredCheckpoint> {
  for (let from = start; ; ) {
    const page = await store.list(from, 500);
    if (page.length === 0) return;
    for (const stored of page) {
      from = Math.max(from, stored.seq + 1);
      yield stored;
    }
  }
}

/** The signed note of a stored checkpoint, or why it cannot be trusted at all. */
function readSigned(
  stored: StoredCheckpoint,
  keys: readonly CheckpointPublicJwk[],
): { ok: true; parsed: ParsedCheckpoint } | { ok: false; failure: CheckpointFailure } {
  let parsed: ParsedCheckpoint;
  try {
    parsed = parseCheckpoint(stored.note);
  } catch (e) {
    const detail = e instanceof CheckpointFormatError ? e.message : 'unreadable';
    return { ok: false, failure: { seq: stored.seq, kind: 'malformed', detail } };
  }
  // The stored fields are what readers index by; they must say what the signed note says.
  if (parsed.seq !== stored.seq || parsed.hash !== stored.hash || parsed.time !== stored.time) {
    const detail = 'stored fields disagree with the signed note';
    return { ok: false, failure: { seq: parsed.seq, kind: 'malformed', detail } };
  }
  if (!hasValidSignature(parsed, keys)) {
    const detail = 'no signature verifies under a trusted key';
    return { ok: false, failure: { seq: parsed.seq, kind: 'bad_signature', detail } };
  }
  return { ok: true, parsed };
}

/**
 * How a signed checkpoint fails to extend the one before it (null for the first one). The
 * anchor of a windowed check stands before the window: the anchor itself only has to be
 * there unchanged (the rollback check), its link having been checked by the run that trusted it.
 */
function chainFailures(
  parsed: ParsedCheckpoint,
  before: ParsedCheckpoint | { seq: number; hash: string } | null,
  options: Pick<VerifyOptions, 'origin' | 'lanes'>,
): CheckpointFailure[] {
  const failures: CheckpointFailure[] = [];
  const fail = (kind: CheckpointFailure['kind'], detail: string) =>
    failures.push({ seq: parsed.seq, kind, detail });
  if (options.origin !== undefined && parsed.origin !== options.origin)
    fail('origin', `origin is ${parsed.origin}`);
  const isAnchor = before !== null && !('lanes' in before) && parsed.seq === before.seq;
  if (!isAnchor) failures.push(...linkFailures(parsed, before));
  if (laneRoot(parsed.lanes) !== parsed.root)
    fail('bad_root', 'root is not the Merkle hash of the lane entries');
  if (parsed.lanes.length !== options.lanes)
    fail('lane_count', `${parsed.lanes.length} lanes, expected ${options.lanes}`);
  return failures;
}

function linkFailures(
  parsed: ParsedCheckpoint,
  before: ParsedCheckpoint | { seq: number; hash: string } | null,
): CheckpointFailure[] {
  const failures: CheckpointFailure[] = [];
  const fail = (kind: CheckpointFailure['kind'], detail: string) =>
    failures.push({ seq: parsed.seq, kind, detail });
  const expectedSeq = before === null ? 0 : before.seq + 1;
  if (parsed.seq !== expectedSeq) fail('gap', `expected checkpoint ${expectedSeq}`);
  // A link is only worth checking against the checkpoint it should follow.
  else if (parsed.prev !== (before === null ? GENESIS_PREV : before.hash))
    fail('broken_link', 'prev does not name the previous checkpoint');
  if (
    before !== null &&
    'lanes' in before &&
    parsed.lanes.some((l, i) => l.length < (before.lanes[i]?.length ?? 0))
  )
    fail('regressed', 'a lane is shorter than in the previous checkpoint');
  return failures;
}

/** The checkpoint verified last time must still be there, unchanged: else history was rolled back. */
function rollbackFailure(
  trusted: { seq: number; hash: string },
  seen: ReadonlyMap<number, string>,
): CheckpointFailure | undefined {
  const hash = seen.get(trusted.seq);
  if (hash === undefined)
    return { seq: trusted.seq, kind: 'rollback', detail: 'the checkpoint verified last time is gone' };
  if (hash !== trusted.hash)
    return { seq: trusted.seq, kind: 'rollback', detail: 'the checkpoint verified last time was replaced' };
  return undefined;
}
