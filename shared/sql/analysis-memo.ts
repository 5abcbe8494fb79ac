import type { StatementFacts } from '../types.js';

/**
 * Facts already worked out for a statement text, so that an agent sending the same statement
 * with other parameters is not parsed, walked and fingerprinted again: analysis is a pure
 * function of the text and of what the memo's owner scopes it to (the connection, the
 * catalog). Bounded, least recently used dropped first. The facts are frozen, deep, before
 * they are kept: every caller shares them, so none may change what the next one is told.
 * A statement that fails to analyse is not kept; it fails again the same way.
 */
export class AnalysisMemo {
  readonly #entries = new Map<string, StatementFacts>();

  constructor(
    private readonly capacity: number,
    /** Longer texts are analysed every time: a few huge statements must not fill memory. */
    private readonly maxSqlLength: number,
  ) {}

  async get(sql: string, analyse: () => Promise<StatementFacts>): Promise<StatementFacts> {
    const known = this.#entries.get(sql);
    if (known !== undefined) {
      // Re-inserted so that it is the most recently used.
      this.#entries.delete(sql);
      this.#entries.set(sql, known);
      return known;
    }
    const facts = deepFreeze(await analyse());
    if (this.capacity <= 0 || sql.length > this.maxSqlLength) return facts;
    this.#entries.set(sql, facts);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return facts;
  }

  get size(): number {
    return this.#entries.size;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
