import { digestOf } from '../../shared/audit/result-digest.js';
import { GatewayError } from '../../shared/errors.js';
import type {
  ResultOpening,
  ResultPage,
  ResultStore,
  ResultWriter,
  StoredResult,
} from '../../shared/ports/result-store.js';
import { collectingWriter } from '../../shared/store/result-text.js';

/**
 * Test-only ResultStore with the Cosmos adapter's semantics: copies in and out, nothing
 * after `expiresAt`, a result whose rows no longer match its digest is refused, and
 * `unavailable = true` makes every call reject with `store_unavailable`.
 */
export class MemoryResultStore implements ResultStore {
  unavailable = false;
  readonly #items = new Map<string, StoredResult>();

  async put(result: StoredResult): Promise<void> {
    this.#check();
    if (this.#items.has(result.id))
      throw new GatewayError('conflict', 'A result with this id already exists.');
    this.#items.set(result.id, structuredClone(result));
  }

  open(opening: ResultOpening): ResultWriter {
    return collectingWriter(opening, (result) => this.put(result));
  }

  async get(id: string, now: Date): Promise<StoredResult | null> {
    this.#check();
    const item = this.#items.get(id);
    if (item === undefined || now.getTime() >= Date.parse(item.expiresAt)) return null;
    if (digestOf({ columns: item.columns, rows: item.rows }) !== item.digest) {
      throw new GatewayError('internal', 'A stored result failed its integrity check.');
    }
    return structuredClone(item);
  }

  async getPage(id: string, now: Date, offset: number, limit: number): Promise<ResultPage | null> {
    const whole = await this.get(id, now);
    if (whole === null) return null;
    const { rows, ...rest } = whole;
    return { ...rest, rows: rows.slice(offset, offset + limit), offset, rowCount: rows.length };
  }

  async delete(id: string): Promise<void> {
    this.#check();
    this.#items.delete(id);
  }

  /** Test hook: change stored rows behind the store's back. */
  tamper(id: string, change: (result: StoredResult) => void): void {
    const item = this.#items.get(id);
    if (item === undefined) throw new TypeError(`no result ${id}`);
    change(item);
  }

  #check(): void {
    if (this.unavailable) throw new GatewayError('store_unavailable', 'The result store is unavailable.');
  }
}
