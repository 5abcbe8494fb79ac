import type {
  VerifierState,
  VerifierStateStore,
  VerifierStateWrite,
} from '../../shared/audit/chain/verifier-state.js';

/** In-memory verifier state: a TEST ADAPTER with the Cosmos adapter's etag contract. */
export class MemoryVerifierStateStore implements VerifierStateStore {
  #item: { state: VerifierState; etag: string } | null = null;
  #version = 0;
  #failures = 0;

  /** The next `count` operations reject, as an unreachable store would. */
  failNext(count = 1): void {
    this.#failures += count;
  }

  #check(): void {
    if (this.#failures > 0) {
      this.#failures--;
      throw new Error('simulated verifier state store failure');
    }
  }

  async get(): Promise<{ state: VerifierState; etag: string } | null> {
    this.#check();
    return this.#item ? structuredClone(this.#item) : null;
  }

  async set(state: VerifierState, ifMatch: string | null): Promise<VerifierStateWrite> {
    this.#check();
    if ((ifMatch === null) !== (this.#item === null) || (ifMatch !== null && this.#item?.etag !== ifMatch))
      return { ok: false, reason: 'conflict' };
    this.#item = { state: structuredClone(state), etag: `"${++this.#version}"` };
    return { ok: true };
  }

  /** Tamper: overwrite or delete the state without a condition (data-plane rights). */
  force(state: VerifierState | null): void {
    this.#item = state ? { state: structuredClone(state), etag: `"${++this.#version}"` } : null;
  }

  peek(): VerifierState | null {
    return this.#item ? structuredClone(this.#item.state) : null;
  }
}
