import { createHash } from 'node:crypto';
import type { Decision, DecisionRequest } from '../types.js';
import { toCedarRequest } from './entities.js';

/**
 * Remembered Cedar answers, keyed by a digest of exactly what Cedar is given (the principal,
 * action and resource entities, and the context), bounded, least recently used dropped
 * first. Callers get copies, so no caller can change what the next one is told.
 */
export class DecisionMemo {
  readonly #entries = new Map<string, Decision>();

  constructor(private readonly capacity: number) {}

  /** The key of a request, or undefined when it cannot be built (Cedar then answers the error). */
  keyOf(request: DecisionRequest): string | undefined {
    if (this.capacity <= 0) return undefined;
    try {
      const text = JSON.stringify([toCedarRequest(request), request.context]);
      return createHash('sha256').update(text).digest('base64');
    } catch {
      return undefined;
    }
  }

  get(key: string | undefined): Decision | undefined {
    if (key === undefined) return undefined;
    const known = this.#entries.get(key);
    if (known === undefined) return undefined;
    // Re-inserted so that it is the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, known);
    return structuredClone(known);
  }

  set(key: string | undefined, decision: Decision): void {
    if (key === undefined) return;
    this.#entries.set(key, structuredClone(decision));
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
