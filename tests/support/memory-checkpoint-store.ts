import type {
  CheckpointStore,
  CheckpointWrite,
  StoredCheckpoint,
} from '../../shared/audit/chain/checkpoint-store.js';

/** In-memory checkpoints: a TEST ADAPTER, create-only by seq like the Cosmos adapter. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #items = new Map<number, StoredCheckpoint>();

  async append(checkpoint: StoredCheckpoint): Promise<CheckpointWrite> {
    if (this.#items.has(checkpoint.seq)) return { ok: false, reason: 'conflict' };
    this.#items.set(checkpoint.seq, { ...checkpoint });
    return { ok: true };
  }

  async latest(): Promise<StoredCheckpoint | null> {
    const seqs = [...this.#items.keys()];
    if (seqs.length === 0) return null;
    return { ...(this.#items.get(Math.max(...seqs)) as StoredCheckpoint) };
  }

  async list(fromSeq: number, limit: number): Promise<StoredCheckpoint[]> {
    return [...this.#items.values()]
      .filter((c) => c.seq >= fromSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map((c) => ({ ...c }));
  }

  /** Tamper: replace or delete stored checkpoints. */
  replace(checkpoint: StoredCheckpoint): void {
    this.#items.set(checkpoint.seq, { ...checkpoint });
  }

  remove(seq: number): void {
    this.#items.delete(seq);
  }
}
