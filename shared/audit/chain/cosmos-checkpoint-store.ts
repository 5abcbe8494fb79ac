import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { withDeadline } from '../../store/deadline.js';
import type { CheckpointStore, CheckpointWrite, StoredCheckpoint } from './checkpoint-store.js';
import { chainUnavailable, cosmosStatus } from './cosmos-errors.js';

const item = z.object({
  seq: z.number().int().nonnegative(),
  time: z.string(),
  hash: z.string(),
  note: z.string().max(64 * 1024),
});

// Zero-padded so ids sort like seqs, should anyone list them by id.
const checkpointId = (seq: number) => String(seq).padStart(12, '0');

function toCheckpoint(resource: unknown): StoredCheckpoint {
  const { seq, time, hash, note } = item.parse(resource);
  return { seq, time, hash, note };
}

/** Checkpoints in the `auditCheckpoints` container, create-only by seq. */
export class CosmosCheckpointStore implements CheckpointStore {
  readonly #container: Container;
  readonly #timeoutMs: number;

  constructor(container: Container, options: { timeoutMs?: number } = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async append(checkpoint: StoredCheckpoint): Promise<CheckpointWrite> {
    try {
      await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.items.create({ id: checkpointId(checkpoint.seq), ...checkpoint }, { abortSignal }),
      );
      return { ok: true };
    } catch (e) {
      if (cosmosStatus(e) === 409) return { ok: false, reason: 'conflict' };
      throw chainUnavailable(e);
    }
  }

  async latest(): Promise<StoredCheckpoint | null> {
    const [top] = await this.#query('SELECT TOP 1 * FROM c ORDER BY c.seq DESC', []);
    return top ?? null;
  }

  async list(fromSeq: number, limit: number): Promise<StoredCheckpoint[]> {
    const found = await this.#query('SELECT * FROM c WHERE c.seq >= @from', [
      { name: '@from', value: fromSeq },
    ]);
    return found.sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  async #query(query: string, parameters: { name: string; value: number }[]): Promise<StoredCheckpoint[]> {
    try {
      const { resources } = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.items.query<unknown>({ query, parameters }, { abortSignal }).fetchAll(),
      );
      return resources.map(toCheckpoint);
    } catch (e) {
      throw chainUnavailable(e);
    }
  }
}
