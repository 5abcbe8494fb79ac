import type { Container } from '@azure/cosmos';
import { setOwn } from '../../own-property.js';
import { withDeadline } from '../../store/deadline.js';
import type { AuditEvent } from '../event.js';
import { chainUnavailable } from './cosmos-errors.js';
import { type AuditLaneReader, byChainIndex } from './lane-reader.js';

/**
 * Fields Cosmos (and the audit adapter's partition key) add to a stored event; they are not
 * part of the event and never hashed. Must match what the audit store adapter adds.
 */
export const AUDIT_STORAGE_FIELDS: readonly string[] = [
  '_rid',
  '_etag',
  '_ts',
  '_self',
  '_attachments',
  'day',
];

/**
 * Reads a lane from the existing `audit` container (partitioned by day, so this is a
 * cross-partition query on c.chain.lane and c.chain.index; both are covered by the default
 * indexing policy). Values travel as parameters only.
 */
export class CosmosAuditLaneReader implements AuditLaneReader {
  readonly #container: Container;
  readonly #timeoutMs: number;
  readonly #storageFields: Set<string>;

  constructor(container: Container, options: { timeoutMs?: number; storageFields?: readonly string[] } = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#storageFields = new Set(options.storageFields ?? AUDIT_STORAGE_FIELDS);
  }

  async read(lane: number, from: number, to: number): Promise<AuditEvent[]> {
    const query = {
      query: 'SELECT * FROM c WHERE c.chain.lane = @lane AND c.chain.index >= @from AND c.chain.index < @to',
      parameters: [
        { name: '@lane', value: lane },
        { name: '@from', value: from },
        { name: '@to', value: to },
      ],
    };
    try {
      const { resources } = await withDeadline(this.#timeoutMs, (abortSignal) =>
        // Pages of 1,000 rather than the default 100: a verify reads whole lanes, and every page
        // is a round trip (and, on the emulator, a scan of the container).
        this.#container.items
          .query<Record<string, unknown>>(query, { abortSignal, maxItemCount: 1000 })
          .fetchAll(),
      );
      // Sorted here rather than with ORDER BY: no composite index or cross-partition sort needed.
      return resources.map((r) => this.#toEvent(r)).sort(byChainIndex);
    } catch (e) {
      throw chainUnavailable(e);
    }
  }

  #toEvent(item: Record<string, unknown>): AuditEvent {
    const event: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item)) if (!this.#storageFields.has(k)) setOwn(event, k, v);
    return event as unknown as AuditEvent;
  }
}
