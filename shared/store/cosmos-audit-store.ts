import type { Container, JSONObject, SqlParameter, SqlQuerySpec } from '@azure/cosmos';
import type { AuditRecord } from '../audit/record.js';
import { GatewayError } from '../errors.js';
import { setOwn } from '../own-property.js';
import { auditDay } from './audit-keys.js';
import { validateSearch } from './audit-search.js';
import type { AuditFilter, AuditPage, AuditStore } from './audit-store.js';
import { decodeContinuation, encodeContinuation } from './continuation.js';
import { withDeadline } from './deadline.js';
import { type BatchItemResult, type GroupCommitOptions, groupCommit } from './group-commit.js';

const ADAPTER = 'cosmos';

/** Fields Cosmos adds (and our partition key), never part of an AuditRecord. */
const STORAGE_FIELDS = new Set(['_rid', '_etag', '_ts', '_self', '_attachments', 'day']);

export interface CosmosAuditStoreOptions {
  /**
   * Upper bound for one append or search, retries included. The SDK's own retries on
   * network errors can run for minutes; the gateway must refuse data long before that.
   */
  timeoutMs?: number;
  /** Group commit of concurrent appends (see group-commit.ts); `false` writes each alone. */
  groupCommit?: GroupCommitOptions | false;
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('audit_unavailable', 'The audit store is unavailable.', { cause });
}

function statusOf(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

function toRecord(item: Record<string, unknown>): AuditRecord {
  const record: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!STORAGE_FIELDS.has(k)) setOwn(record, k, v);
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
  readonly #grouped: ((record: AuditRecord) => Promise<void>) | undefined;

  constructor(container: Container, options: CosmosAuditStoreOptions = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#grouped =
      options.groupCommit === false
        ? undefined
        : groupCommit(
            {
              one: (record) => this.#appendOne(record),
              many: (records) => this.#appendMany(records),
              groupOf: auditDay,
              conflict: () => new GatewayError('conflict', 'An audit record with this id already exists.'),
              // A rough size (JSON text) keeps a batch under Cosmos DB's 2 MB request limit.
              sizeOf: (record) => JSON.stringify(record).length,
            },
            options.groupCommit ?? {},
          );
  }

  /** Resolves once this record is durable; concurrent appends may share one batch request. */
  append(record: AuditRecord): Promise<void> {
    return this.#grouped ? this.#grouped(record) : this.#appendOne(record);
  }

  /** One transactional batch of creates in one day partition: all land, or none. */
  async #appendMany(records: AuditRecord[]): Promise<BatchItemResult[]> {
    const day = auditDay(records[0] as AuditRecord);
    let response: Awaited<ReturnType<Container['items']['batch']>>;
    try {
      response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.items.batch(
          records.map((r) => ({
            operationType: 'Create' as const,
            // Records are JSON by construction (they are stored as JSON by `create` too).
            resourceBody: { ...r, day } as unknown as JSONObject,
          })),
          day,
          { abortSignal },
        ),
      );
    } catch (e) {
      throw unavailable(e);
    }
    const results = response.result;
    if (!Array.isArray(results) || results.length !== records.length) {
      throw unavailable(new Error('the audit batch answered no result per record'));
    }
    // Transactional in Cosmos DB: one refused create (409: id taken) rolls the batch back and
    // the others answer 424 (not attempted), to be written alone. The emulator is not atomic
    // and answers 201 for what it wrote before the refusal: a 2xx is a record written either way.
    const ok = (code: number) => code >= 200 && code < 300;
    if (results.some((r) => !ok(r.statusCode) && r.statusCode !== 409 && r.statusCode !== 424)) {
      throw unavailable(
        new Error(`the audit batch was refused (${results.map((r) => r.statusCode).join(',')})`),
      );
    }
    return results.map((r) =>
      ok(r.statusCode) ? 'ok' : r.statusCode === 409 ? 'conflict' : 'not-attempted',
    );
  }

  async #appendOne(record: AuditRecord): Promise<void> {
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
