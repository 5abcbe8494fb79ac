import { GatewayError } from '../../shared/errors.js';
import type {
  ConditionalWrite,
  RequestListFilter,
  RequestStore,
  StoredRequest,
  Versioned,
} from '../../shared/ports/request-store.js';

/**
 * Test-only RequestStore with the Cosmos adapter's semantics: values are copied in and out
 * (a caller mutating what it got changes nothing stored), every write gets a fresh etag,
 * and `unavailable = true` makes every call reject with `store_unavailable`.
 */
export class MemoryRequestStore implements RequestStore {
  unavailable = false;
  readonly #items = new Map<string, Versioned<StoredRequest>>();
  #version = 0;

  async create(request: StoredRequest): Promise<ConditionalWrite<StoredRequest>> {
    await this.#tick();
    if (this.#items.has(request.id)) return { ok: false, reason: 'conflict' };
    return { ok: true, value: this.#write(request) };
  }

  async get(id: string): Promise<Versioned<StoredRequest> | null> {
    await this.#tick();
    const item = this.#items.get(id);
    return item === undefined ? null : structuredClone(item);
  }

  async replace(request: StoredRequest, ifMatch: string): Promise<ConditionalWrite<StoredRequest>> {
    await this.#tick();
    const current = this.#items.get(request.id);
    if (current === undefined) return { ok: false, reason: 'missing' };
    if (current.etag !== ifMatch) return { ok: false, reason: 'conflict' };
    return { ok: true, value: this.#write(request) };
  }

  async list(filter: RequestListFilter): Promise<StoredRequest[]> {
    await this.#tick();
    const by = filter.requester;
    return [...this.#items.values()]
      .map((item) => item.value)
      .filter((r) => r.status === filter.status)
      .filter((r) => by === undefined || (r.requester.issuer === by.issuer && r.requester.id === by.id))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
      .slice(0, filter.limit)
      .map((r) => structuredClone(r));
  }

  /** Test hook: change a stored request behind the workflow's back (tampering, races). */
  tamper(id: string, change: (request: StoredRequest) => void): void {
    const item = this.#items.get(id);
    if (item === undefined) throw new TypeError(`no request ${id}`);
    change(item.value);
    item.etag = `m${++this.#version}`;
  }

  #write(request: StoredRequest): Versioned<StoredRequest> {
    const stored = { value: structuredClone(request), etag: `m${++this.#version}` };
    this.#items.set(request.id, stored);
    return structuredClone(stored);
  }

  /** Yields first, so concurrent callers interleave as they would against a real store. */
  async #tick(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.unavailable) throw new GatewayError('store_unavailable', 'The request store is unavailable.');
  }
}
