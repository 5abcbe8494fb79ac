import type { Container } from '@azure/cosmos';
import { GatewayError } from '../errors.js';
import { setOwn } from '../own-property.js';
import type {
  ConditionalWrite,
  RequestListFilter,
  RequestStore,
  StoredRequest,
  Versioned,
} from '../ports/request-store.js';
import { cosmosCanHoldId, isItemFor } from './cosmos-id.js';
import { withDeadline } from './deadline.js';

/** Fields Cosmos adds to every item, never part of a StoredRequest. */
const STORAGE_FIELDS = new Set(['_rid', '_etag', '_ts', '_self', '_attachments', 'ttl']);

export interface CosmosRequestStoreOptions {
  /** Upper bound for one call, SDK retries included. */
  timeoutMs?: number;
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('store_unavailable', 'The request store is unavailable.', { cause });
}

function statusOf(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

function toVersioned(item: Record<string, unknown> | undefined): Versioned<StoredRequest> {
  const etag = item?._etag;
  if (item === undefined || typeof etag !== 'string') {
    throw new TypeError('Cosmos answered a request item without an etag');
  }
  const value: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!STORAGE_FIELDS.has(k)) setOwn(value, k, v);
  return { value: value as unknown as StoredRequest, etag };
}

/**
 * Approval requests in the Cosmos DB `requests` container, one item per id (the partition
 * key), so every read and conditional write touches one logical partition. A replace
 * carries the etag it read as `If-Match`; Cosmos answers 412 to a writer that lost a race.
 */
export class CosmosRequestStore implements RequestStore {
  readonly #container: Container;
  readonly #timeoutMs: number;

  constructor(container: Container, options: CosmosRequestStoreOptions = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async create(request: StoredRequest): Promise<ConditionalWrite<StoredRequest>> {
    try {
      const response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.items.create<StoredRequest>(request, { abortSignal }),
      );
      return { ok: true, value: toVersioned(response.resource as Record<string, unknown> | undefined) };
    } catch (e) {
      if (statusOf(e) === 409) return { ok: false, reason: 'conflict' };
      throw unavailable(e);
    }
  }

  async get(id: string): Promise<Versioned<StoredRequest> | null> {
    if (!cosmosCanHoldId(id)) return null;
    try {
      const response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.item(id, id).read<Record<string, unknown>>({ abortSignal }),
      );
      // The SDK answers a missing item with status 404 and no resource rather than throwing.
      if (response.statusCode === 404 || response.resource === undefined) return null;
      if (!isItemFor(response.resource, id)) return null;
      return toVersioned(response.resource);
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw unavailable(e);
    }
  }

  async replace(request: StoredRequest, ifMatch: string): Promise<ConditionalWrite<StoredRequest>> {
    try {
      const response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.item(request.id, request.id).replace<StoredRequest>(request, {
          accessCondition: { type: 'IfMatch', condition: ifMatch },
          abortSignal,
        }),
      );
      return { ok: true, value: toVersioned(response.resource as Record<string, unknown> | undefined) };
    } catch (e) {
      if (statusOf(e) === 412) return { ok: false, reason: 'conflict' };
      if (statusOf(e) === 404) return { ok: false, reason: 'missing' };
      throw unavailable(e);
    }
  }

  async list(filter: RequestListFilter): Promise<StoredRequest[]> {
    if (!Number.isSafeInteger(filter.limit) || filter.limit < 1) {
      throw new TypeError('list limit must be a positive integer');
    }
    const by = filter.requester;
    const parameters = [
      { name: '@status', value: filter.status },
      { name: '@limit', value: filter.limit },
      ...(by
        ? [
            { name: '@issuer', value: by.issuer },
            { name: '@id', value: by.id },
          ]
        : []),
    ];
    const where = `c.status = @status${by ? ' AND c.requester.issuer = @issuer AND c.requester.id = @id' : ''}`;
    try {
      const response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.items
          .query<Record<string, unknown>>(
            { query: `SELECT TOP @limit * FROM c WHERE ${where} ORDER BY c.createdAt ASC`, parameters },
            { abortSignal },
          )
          .fetchAll(),
      );
      return response.resources.slice(0, filter.limit).map((item) => toVersioned(item).value);
    } catch (e) {
      throw unavailable(e);
    }
  }
}
