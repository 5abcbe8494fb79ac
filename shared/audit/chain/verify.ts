import type { AuditEvent } from '../event.js';
import type { ParsedCheckpoint } from './checkpoint.js';
import type { CheckpointArchive, CheckpointStore } from './checkpoint-store.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import type { CheckpointPublicJwk } from './signers.js';
import { verifyCheckpoints } from './verify-checkpoints.js';
import { verifyLane } from './verify-lane.js';

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
  /** Events masked for this reader, whose hash the serving gateway recomputed (export routes). */
  attested?: number;
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
  | 'rollback'
  /** A stored checkpoint is not in the write-once archive. */
  | 'archive_missing'
  /** A stored checkpoint differs from its archived copy (or the copy is unreadable). */
  | 'archive_mismatch';

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
  /**
   * The store takes appends while this runs (a deployment, over HTTP): a head ahead of the
   * events is then an append in flight, not a truncation, and events beyond the head that
   * chain onto it may be a lease holder's whose head has not moved yet (see lanes.ts): the
   * head is read again after `settleMs`, and events it still does not cover fail.
   */
  live?: boolean;
  /** Live only: wait before the second look at a head with events beyond it. Default 1500 ms. */
  settleMs?: number;
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
  /**
   * The write-once checkpoint archive: every stored checkpoint must be there, identical, and
   * nothing past the newest stored one (see archiveFailures). One read per checkpoint.
   */
  archive?: CheckpointArchive;
  /**
   * Check the checkpoints from `trusted` on only (the periodic check): `trusted` must still be
   * stored unchanged and every later one must extend it. Without `trusted` this does nothing.
   */
  windowed?: boolean;
  /** Sees every event read from the lanes (the periodic verifier finds its own events so). */
  onEvent?: (event: AuditEvent) => void;
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
