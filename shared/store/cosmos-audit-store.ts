import type { Container, SqlParameter, SqlQuerySpec } from '@azure/cosmos';
import type { AuditRecord } from '../audit/record.js';
import { GatewayError } from '../errors.js';
import { auditDay } from './audit-keys.js';
import { validateSearch } from './audit-search.js';
import type { AuditFilter, AuditPage, AuditStore } from './audit-store.js';
import { decodeContinuation, encodeContinuation } from './continuation.js';
import { withDeadline } from './deadline.js';

const ADAPTER = 'cosmos';

/** Fields Cosmos adds (and our partition key), never part of an AuditRecord. */
const STORAGE_FIELDS = new Set(['_rid', '_etag', '_ts', '_self', '_attachments', 'day']);

export interface CosmosAuditStoreOptions {
  /**
   * Upper bound for one append or search, retries included. The SDK's own retries on
   * network errors can run for minutes; the gateway must refuse data long before that.
   */
  timeoutMs?: number;
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('audit_unavailable', 'The audit store is unavailable.', { cause });
}

function statusOf(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

function toRecord(item: Record<string, unknown>): AuditRecord {
  const record: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!STORAGE_FIELDS.has(k)) record[k] = v;
  return record as unknown as AuditRecord;
}

/** Values only ever travel as parameters: filter text never becomes query text. */
function buildQuery(filter: AuditFilter): SqlQuerySpec {
  const where: string[] = [];
  const parameters: SqlParameter[] = [];
  const add = (clause: string, name: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(clause);
    parameters.push({ name, value });
  };
  add('c.principal.id = @principal', '@principal', filter.principal);
  add('c.connection = @connection', '@connection', filter.connection);
  add('c.decision.outcome = @decision', '@decision', filter.decision);
  add('c.requestId = @requestId', '@requestId', filter.requestId);
  add('c.transport = @transport', '@transport', filter.transport);
  add('ARRAY_CONTAINS(c.facts.tables, @table)', '@table', filter.table);
  add('c.fingerprint = @fingerprint', '@fingerprint', filter.fingerprint);
  add('(c.requestId = @approval OR c.approvalRequestId = @approval)', '@approval', filter.approvalRequestId);
  add('c.time >= @from', '@from', filter.from);
  add('c.time < @to', '@to', filter.to);
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return { query: `SELECT * FROM c${clause} ORDER BY c.time DESC`, parameters };
}

/**
 * Audit records in the Cosmos DB `audit` container, partitioned by UTC day. Appends are
 * creates, never upserts: a record, once written, cannot be replaced through this adapter.
 * Ids are unique within a day partition (Cosmos scopes ids per partition).
 */
export class CosmosAuditStore implements AuditStore {
  readonly #container: Container;
  readonly #timeoutMs: number;

  constructor(container: Container, options: CosmosAuditStoreOptions = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async append(record: AuditRecord): Promise<void> {
    const day = auditDay(record);
    try {
      // A create that lands after the deadline leaves a record for a refused request: fail closed.
      await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.items.create({ ...record, day }, { abortSignal }),
      );
    } catch (e) {
      if (statusOf(e) === 409) {
        throw new GatewayError('conflict', 'An audit record with this id already exists.', { cause: e });
      }
      throw unavailable(e);
    }
  }

  async search(filter: AuditFilter, page: { limit: number; continuation?: string }): Promise<AuditPage> {
    const valid = validateSearch(filter, page);
    const position =
      valid.continuation === undefined
        ? undefined
        : decodeContinuation(ADAPTER, valid.filter, valid.continuation);
    try {
      const response = await withDeadline(this.#timeoutMs, async (abortSignal) => {
        const iterator = this.#container.items.query<Record<string, unknown>>(buildQuery(valid.filter), {
          maxItemCount: valid.limit,
          continuationToken: position,
          abortSignal,
        });
        // A cross-partition query may answer a round with no items yet more to come.
        let round = await iterator.fetchNext();
        while (round.resources.length === 0 && round.hasMoreResults && !abortSignal.aborted) {
          round = await iterator.fetchNext();
        }
        return round;
      });
      const records = response.resources.map(toRecord);
      const next = response.continuationToken;
      return next ? { records, continuation: encodeContinuation(ADAPTER, valid.filter, next) } : { records };
    } catch (e) {
      // Cosmos refuses a forged inner token with 400; that is the caller's fault, not an outage.
      if (position !== undefined && statusOf(e) === 400) {
        throw new GatewayError('bad_request', 'invalid continuation token', { cause: e });
      }
      throw unavailable(e);
    }
  }
}
