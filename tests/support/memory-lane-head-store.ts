import { setTimeout as sleep } from 'node:timers/promises';
import type {
  LaneHead,
  LaneHeadNext,
  LaneHeadStore,
  LaneHeadWrite,
} from '../../shared/audit/chain/lane-head-store.js';

/**
 * In-memory lane heads: a TEST ADAPTER with the Cosmos adapter's conditional-write contract
 * (etag compare-and-set, create-only with ifMatch null). Optional latency makes races real.
 */
export class MemoryLaneHeadStore implements LaneHeadStore {
  readonly #heads = new Map<number, LaneHead>();
  #version = 0;
  #latencyMs: number;
  #failures = 0;
  conflicts = 0;
  writes = 0;

  constructor(options: { latencyMs?: number } = {}) {
    this.#latencyMs = options.latencyMs ?? 0;
  }

  /** The next `count` operations reject, as an unreachable store would. */
  failNext(count = 1): void {
    this.#failures += count;
  }

  /** Test-only: overwrite a head without a condition (an attacker with data-plane rights). */
  force(lane: number, next: LaneHeadNext): void {
    this.#heads.set(lane, {
      lane,
      length: next.length,
      hash: next.hash,
      etag: `"${++this.#version}"`,
      owner: next.owner ?? null,
      wanted: next.wanted ?? false,
    });
  }

  async #delay(): Promise<void> {
    if (this.#latencyMs > 0) await sleep(this.#latencyMs);
    else await Promise.resolve();
    if (this.#failures > 0) {
      this.#failures--;
      throw new Error('simulated lane head store failure');
    }
  }

  async get(lane: number): Promise<LaneHead | null> {
    await this.#delay();
    const head = this.#heads.get(lane);
    return head ? { ...head } : null;
  }

  async set(lane: number, next: LaneHeadNext, ifMatch: string | null): Promise<LaneHeadWrite> {
    await this.#delay();
    const current = this.#heads.get(lane);
    if ((ifMatch === null && current !== undefined) || (ifMatch !== null && current?.etag !== ifMatch)) {
      this.conflicts++;
      return { ok: false, reason: 'conflict' };
    }
    const etag = `"${++this.#version}"`;
    this.#heads.set(lane, {
      lane,
      length: next.length,
      hash: next.hash,
      etag,
      owner: next.owner ?? null,
      wanted: next.wanted ?? false,
    });
    this.writes++;
    return { ok: true, etag };
  }
}
