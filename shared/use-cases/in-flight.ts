import { GatewayError } from '../errors.js';
import { principalKey } from '../identity/principal-key.js';
import type { Principal } from '../types.js';

/** What a refused caller is told to wait before trying again (the `Retry-After` of REST). */
export const RETRY_AFTER_SECONDS = 1;

/**
 * At most `max` statements in flight per principal (`principalKey`) in this gateway instance, on the query path, so that one caller cannot hold every pooled session of a
 * target (each read holds one until it ends or times out) and starve everyone else. A slot
 * is taken before anything is analysed and given back however the request ends. Approved
 * runs from the queue are not an agent's concurrent requests and never take one.
 */
export class InFlightLimit {
  readonly #counts = new Map<string, number>();

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
  }

  /** Statements now in flight for this principal. */
  inFlight(principal: Principal): number {
    return this.#counts.get(keyOf(principal)) ?? 0;
  }

  /**
   * Takes a slot, or throws `too_many_requests` when the principal already has `max` in
   * flight. The returned function gives the slot back; calling it again does nothing.
   */
  acquire(principal: Principal): () => void {
    const key = keyOf(principal);
    const held = this.#counts.get(key) ?? 0;
    if (held >= this.max) {
      throw new GatewayError(
        'too_many_requests',
        `Too many statements in flight: at most ${this.max} at a time per caller; nothing ran. Retry once one of yours has ended.`,
        { details: { limit: this.max, retryAfterSeconds: RETRY_AFTER_SECONDS } },
      );
    }
    this.#counts.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(key) ?? 1) - 1;
      if (left > 0) this.#counts.set(key, left);
      else this.#counts.delete(key);
    };
  }

  /** Runs `work` in a slot of the principal's, given back when it settles. */
  async run<T>(principal: Principal, work: () => Promise<T>): Promise<T> {
    const release = this.acquire(principal);
    try {
      return await work();
    } finally {
      release();
    }
  }
}

function keyOf(principal: Principal): string {
  return JSON.stringify(principalKey(principal));
}
