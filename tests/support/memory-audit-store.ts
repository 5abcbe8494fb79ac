import type { AuditRecord, RequestEvent } from '../../shared/audit/record.js';
import { GatewayError } from '../../shared/errors.js';
import { auditDay } from '../../shared/store/audit-keys.js';
import { matchesFilter, validateSearch } from '../../shared/store/audit-search.js';
import type { AuditFilter, AuditPage, AuditStore } from '../../shared/store/audit-store.js';
import { decodeContinuation, encodeContinuation } from '../../shared/store/continuation.js';

const ADAPTER = 'memory';

type Position = [time: string, id: string];

/** Newest first; equal times by id, descending, so paging is deterministic. */
function newerFirst(a: AuditRecord, b: AuditRecord): number {
  if (a.time !== b.time) return a.time < b.time ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function isAfter(record: AuditRecord, [time, id]: Position): boolean {
  return record.time < time || (record.time === time && record.id < id);
}

function parsePosition(raw: string): Position {
  try {
    const value: unknown = JSON.parse(raw);
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return value as Position;
    }
  } catch {
    // falls through to the same refusal as any other malformed token
  }
  throw new GatewayError('bad_request', 'invalid continuation token');
}

/** Stored as JSON, like Cosmos, so `undefined` fields vanish the same way on both adapters. */
function copy(record: AuditRecord): AuditRecord {
  return JSON.parse(JSON.stringify(record)) as AuditRecord;
}

/**
 * In-memory audit store: a TEST ADAPTER for unit tests of the pipeline, never for production
 * (nothing is durable). It follows the Cosmos adapter's contract: ids unique per UTC day,
 * newest first, opaque continuation, the same validation, and it can simulate an outage.
 */
export class MemoryAuditStore implements AuditStore {
  readonly #records = new Map<string, AuditRecord>();
  #available = true;
  #failures: unknown[] = [];

  /** While false, every append and search rejects with audit_unavailable. */
  setAvailable(available: boolean): void {
    this.#available = available;
  }

  /** The next operation (append or search) rejects with audit_unavailable, `error` as its cause. */
  failNext(error: unknown = new Error('simulated audit store failure')): void {
    this.#failures.push(error);
  }

  /** Snapshot of every event stored, newest first, for assertions in tests. */
  events(): AuditRecord[] {
    return [...this.#records.values()].sort(newerFirst).map(copy);
  }

  /** The request events (one per request), newest first. */
  all(): RequestEvent[] {
    return this.events().filter((e): e is RequestEvent => e.kind === 'request');
  }

  #checkAvailable(): void {
    const failure = this.#failures.shift();
    if (failure !== undefined || !this.#available) {
      throw new GatewayError('audit_unavailable', 'The audit store is unavailable.', {
        cause: failure ?? new Error('audit store set unavailable'),
      });
    }
  }

  async append(record: AuditRecord): Promise<void> {
    const key = `${auditDay(record)}/${record.id}`;
    this.#checkAvailable();
    if (this.#records.has(key)) {
      throw new GatewayError('conflict', 'An audit record with this id already exists.');
    }
    this.#records.set(key, copy(record));
  }

  async search(filter: AuditFilter, page: { limit: number; continuation?: string }): Promise<AuditPage> {
    const valid = validateSearch(filter, page);
    const after =
      valid.continuation === undefined
        ? undefined
        : parsePosition(decodeContinuation(ADAPTER, valid.filter, valid.continuation));
    this.#checkAvailable();
    const matching = [...this.#records.values()]
      .filter((r) => matchesFilter(r, valid.filter) && (after === undefined || isAfter(r, after)))
      .sort(newerFirst);
    const records = matching.slice(0, valid.limit).map(copy);
    const last = records.at(-1);
    if (matching.length <= valid.limit || last === undefined) return { records };
    const position: Position = [last.time, last.id];
    return { records, continuation: encodeContinuation(ADAPTER, valid.filter, JSON.stringify(position)) };
  }
}
