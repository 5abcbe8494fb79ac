/**
 * Sealed checkpoints as stored. `note` is the whole signed note and the only thing verify
 * trusts; `seq`, `time` and `hash` are copies for lookups and are checked against it.
 */
export interface StoredCheckpoint {
  seq: number;
  time: string;
  /** Hex SHA-256 of the note text (the signed part, without signatures). */
  hash: string;
  note: string;
}

export type CheckpointWrite = { ok: true } | { ok: false; reason: 'conflict' };

/** Create-only by `seq`: a checkpoint, once stored, is never replaced through this port. */
export interface CheckpointStore {
  append(checkpoint: StoredCheckpoint): Promise<CheckpointWrite>;
  /** The checkpoint with the highest seq, or null when none was sealed. */
  latest(): Promise<StoredCheckpoint | null>;
  /** Checkpoints with seq >= fromSeq, ascending, at most `limit`. */
  list(fromSeq: number, limit: number): Promise<StoredCheckpoint[]>;
}

/**
 * A second, write-once copy of every checkpoint (in Azure: a Blob container with a locked
 * time-based immutability policy), so an attacker who can rewrite the Cosmos copies still
 * cannot roll the checkpoints back. `put` must refuse to overwrite.
 */
export interface CheckpointArchive {
  put(checkpoint: StoredCheckpoint): Promise<void>;
  get(seq: number): Promise<StoredCheckpoint | null>;
}
