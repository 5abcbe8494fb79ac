/**
 * Where each lane's head is kept: the length of the lane and the hash of its last event.
 * Heads only move through conditional writes, so two writers that read the same head cannot
 * both advance it: one wins, the other sees a conflict and re-reads.
 */
export interface LaneHead {
  lane: number;
  /** Number of events in the lane; the next event takes this index. */
  length: number;
  /** Hex hash of event `length - 1` (GENESIS_PREV when length is 0). */
  hash: string;
  /** Opaque version for the conditional write. */
  etag: string;
  /**
   * The writer holding the lane's lease (see lanes.ts), null or absent when none. While a
   * lease is held the head may lag the stored events: they are appended before it moves.
   */
  owner?: string | null;
  /** Another writer asked the owner to release the lease. */
  wanted?: boolean;
}

/** What a head write sets; a write without `owner` clears the lease. */
export interface LaneHeadNext {
  length: number;
  hash: string;
  owner?: string | null;
  wanted?: boolean;
}

export type LaneHeadWrite = { ok: true; etag: string } | { ok: false; reason: 'conflict' };

export interface LaneHeadStore {
  /** The lane's head, or null when no event was ever appended to it. */
  get(lane: number): Promise<LaneHead | null>;
  /**
   * Sets the head if it is still at `ifMatch` (an etag from `get` or `set`), or, with
   * `ifMatch` null, only if the lane has no head yet. A lost race answers `{ ok: false }`;
   * any other failure rejects.
   */
  set(lane: number, next: LaneHeadNext, ifMatch: string | null): Promise<LaneHeadWrite>;
}
