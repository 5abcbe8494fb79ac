import { createHash } from 'node:crypto';
import type { Container, ItemDefinition } from '@azure/cosmos';
import { digestOf } from '../audit/result-digest.js';
import { GatewayError } from '../errors.js';
import type {
  ResultClosing,
  ResultOpening,
  ResultPage,
  ResultStore,
  ResultWriter,
  StoredResult,
} from '../ports/result-store.js';
import { cosmosCanHoldId, isItemFor } from './cosmos-id.js';
import { withDeadline } from './deadline.js';
import { checkLayout, type PageSpan, pageSpan } from './result-page-span.js';
import { ResultText, ROW_MARK_EVERY } from './result-text.js';

/**
 * Raw bytes per chunk item. Base64 makes 1 MiB of it, leaving room under Cosmos' 2 MB
 * item limit for the envelope whatever the rows hold (base64 never grows with escaping).
 */
export const RESULT_CHUNK_BYTES = 768 * 1024;

/** Kept past `expiresAt` so Cosmos purges after `get` already answers null, never before. */
const TTL_MARGIN_SECONDS = 60;

export interface CosmosResultStoreOptions {
  /** Upper bound for one call, SDK retries included. */
  timeoutMs?: number;
  chunkBytes?: number;
}

/** Everything of a StoredResult but its columns and rows, which travel in the chunks. */
interface HeadItem extends ItemDefinition {
  id: string;
  resultId: string;
  kind: 'head';
  requestId: string;
  owner: StoredResult['owner'];
  truncated: boolean;
  masking: StoredResult['masking'];
  digest: string;
  createdAt: string;
  expiresAt: string;
  chunks: number;
  ttl: number;
  /** What pages are read by (see result-page-span.ts); a head written before paging lacks it. */
  rowCount?: number;
  rowMarks?: number[];
  markEvery?: number;
  bytes?: number;
  chunkBytes?: number;
}

interface ChunkItem extends ItemDefinition {
  id: string;
  resultId: string;
  kind: 'chunk';
  index: number;
  data: string;
  sha256: string;
  ttl: number;
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('store_unavailable', 'The result store is unavailable.', { cause });
}

function corrupt(detail: string): GatewayError {
  return new GatewayError('internal', 'A stored result failed its integrity check.', {
    cause: new Error(detail),
  });
}

function statusOf(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a page carries of its result besides rows and columns. */
function headFields(head: HeadItem): Omit<StoredResult, 'rows' | 'columns'> {
  return {
    id: head.resultId,
    requestId: head.requestId,
    owner: head.owner,
    truncated: head.truncated,
    masking: head.masking,
    digest: head.digest,
    createdAt: head.createdAt,
    expiresAt: head.expiresAt,
  };
}

function chunkId(resultId: string, index: number): string {
  return `${resultId}.chunk.${index}`;
}

function ttlOf(result: Pick<StoredResult, 'createdAt' | 'expiresAt'>): number {
  const lifetimeMs = Date.parse(result.expiresAt) - Date.parse(result.createdAt);
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) {
    throw new TypeError('a result must expire after it was created');
  }
  return Math.ceil(lifetimeMs / 1000) + TTL_MARGIN_SECONDS;
}

function writeFailure(e: unknown): GatewayError {
  if (statusOf(e) === 409) {
    return new GatewayError('conflict', 'A result with this id already exists.', { cause: e });
  }
  return unavailable(e);
}

/**
 * Results in the Cosmos DB `results` container, partitioned by result id so one result is
 * one logical partition: a head item with the metadata, and the JSON of `{columns, rows}`
 * cut into chunk items. The head is written last, so a result is visible only when whole.
 * Every item carries a TTL so Cosmos purges it; `get` answers null after `expiresAt`
 * whether or not that has happened yet, and refuses a result whose bytes no longer match.
 */
export class CosmosResultStore implements ResultStore {
  readonly #container: Container;
  readonly #timeoutMs: number;
  readonly #chunkBytes: number;

  constructor(container: Container, options: CosmosResultStoreOptions = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#chunkBytes = options.chunkBytes ?? RESULT_CHUNK_BYTES;
    if (
      !Number.isSafeInteger(this.#chunkBytes) ||
      this.#chunkBytes < 1 ||
      this.#chunkBytes > RESULT_CHUNK_BYTES
    ) {
      throw new TypeError(`chunkBytes must be between 1 and ${RESULT_CHUNK_BYTES}`);
    }
  }

  /**
   * Writes the result's text chunk by chunk as rows arrive, so at most one chunk of it is held
   * here; the head, written on commit, makes it visible. Stored exactly as `put` stores it.
   */
  open(opening: ResultOpening): ResultWriter {
    return new CosmosResultWriter(this.#container, opening, this.#timeoutMs, this.#chunkBytes);
  }

  /** Written as the writer writes it, so a result put whole pages like a streamed one. */
  async put(result: StoredResult): Promise<void> {
    const writer = this.open(result);
    try {
      await writer.append(result.rows);
      await writer.commit({ truncated: result.truncated, masking: result.masking });
    } catch (e) {
      await writer.abort().catch(() => undefined);
      throw e;
    }
  }

  async get(id: string, now: Date): Promise<StoredResult | null> {
    if (!cosmosCanHoldId(id)) return null;
    let head: HeadItem | undefined;
    let chunks: Array<ChunkItem | undefined>;
    try {
      const read = await withDeadline(this.#timeoutMs, async (abortSignal) => {
        const headItem = await this.#read<HeadItem>(id, id, abortSignal);
        if (headItem === undefined || now.getTime() >= Date.parse(headItem.expiresAt)) {
          return { head: undefined, chunks: [] };
        }
        if (headItem.kind !== 'head' || !Number.isSafeInteger(headItem.chunks) || headItem.chunks < 1) {
          throw corrupt('the head item is malformed');
        }
        const indices = Array.from({ length: headItem.chunks }, (_, i) => i);
        const found = await Promise.all(
          indices.map((i) => this.#read<ChunkItem>(chunkId(id, i), id, abortSignal)),
        );
        return { head: headItem, chunks: found };
      });
      head = read.head;
      chunks = read.chunks;
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw unavailable(e);
    }
    if (head === undefined) return null;
    const parts: Buffer[] = [];
    for (const [index, chunk] of chunks.entries()) {
      if (chunk === undefined) throw corrupt(`chunk ${index} is missing`);
      const slice = Buffer.from(chunk.data, 'base64');
      if (chunk.index !== index || sha256(slice) !== chunk.sha256)
        throw corrupt(`chunk ${index} was altered`);
      parts.push(slice);
    }
    let payload: Pick<StoredResult, 'columns' | 'rows'>;
    try {
      payload = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      throw corrupt('the reassembled result is not JSON');
    }
    // Per-chunk hashes live beside the data they cover; the digest is what the audit trail names.
    if (digestOf({ columns: payload.columns, rows: payload.rows }) !== head.digest) {
      throw corrupt('the reassembled result does not match its digest');
    }
    return {
      id: head.resultId,
      requestId: head.requestId,
      owner: head.owner,
      columns: payload.columns,
      rows: payload.rows,
      truncated: head.truncated,
      masking: head.masking,
      digest: head.digest,
      createdAt: head.createdAt,
      expiresAt: head.expiresAt,
    };
  }

  /**
   * A page read from the chunks that hold it, each checked against its hash; the whole
   * result's digest needs every row, so it is checked by `get` only. A head without paging
   * layout (written before it) is read whole.
   */
  async getPage(id: string, now: Date, offset: number, limit: number): Promise<ResultPage | null> {
    if (!cosmosCanHoldId(id)) return null;
    const head = await this.#head(id, now);
    if (head === undefined) return null;
    const layout = checkLayout(head);
    if (layout === null) {
      if (head.rowMarks !== undefined) throw corrupt('the head item is malformed');
      const whole = await this.get(id, now);
      if (whole === null) return null;
      const { rows, ...rest } = whole;
      return { ...rest, rows: rows.slice(offset, offset + limit), offset, rowCount: rows.length };
    }
    const span = pageSpan(layout, offset, limit);
    const rows = span === null ? [] : await this.#pageRows(id, head, span);
    const columns = await this.#columns(id, head);
    return { ...headFields(head), columns, rows, offset, rowCount: layout.rowCount };
  }

  async #head(id: string, now: Date): Promise<HeadItem | undefined> {
    let head: HeadItem | undefined;
    try {
      head = await withDeadline(this.#timeoutMs, (abortSignal) => this.#read<HeadItem>(id, id, abortSignal));
    } catch (e) {
      throw unavailable(e);
    }
    if (head === undefined || now.getTime() >= Date.parse(head.expiresAt)) return undefined;
    if (head.kind !== 'head' || !Number.isSafeInteger(head.chunks) || head.chunks < 1) {
      throw corrupt('the head item is malformed');
    }
    return head;
  }

  /** Chunks `first` .. `last`, each checked against its hash, as one buffer. */
  async #readChunks(id: string, head: HeadItem, first: number, last: number): Promise<Buffer> {
    if (first < 0 || last >= head.chunks || last < first) throw corrupt('a page lies outside the result');
    const indices = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    let found: Array<ChunkItem | undefined>;
    try {
      found = await withDeadline(this.#timeoutMs, (abortSignal) =>
        Promise.all(indices.map((i) => this.#read<ChunkItem>(chunkId(id, i), id, abortSignal))),
      );
    } catch (e) {
      throw unavailable(e);
    }
    return Buffer.concat(
      found.map((chunk, k) => {
        const index = first + k;
        if (chunk === undefined) throw corrupt(`chunk ${index} is missing`);
        const slice = Buffer.from(chunk.data, 'base64');
        if (chunk.index !== index || sha256(slice) !== chunk.sha256)
          throw corrupt(`chunk ${index} was altered`);
        return slice;
      }),
    );
  }

  async #pageRows(id: string, head: HeadItem, span: PageSpan): Promise<unknown[][]> {
    const chunkBytes = head.chunkBytes as number;
    const bytes = await this.#readChunks(id, head, span.firstChunk, span.lastChunk);
    const base = span.firstChunk * chunkBytes;
    let rows: unknown;
    try {
      rows = JSON.parse(`[${bytes.subarray(span.from - base, span.to - base).toString('utf8')}]`);
    } catch {
      throw corrupt('a page of the result is not JSON');
    }
    if (!Array.isArray(rows) || rows.length < span.skip + span.take)
      throw corrupt('a page of the result is short');
    return rows.slice(span.skip, span.skip + span.take) as unknown[][];
  }

  /** The columns, from the text before the first row (in the first chunk, or the first few). */
  async #columns(id: string, head: HeadItem): Promise<StoredResult['columns']> {
    const firstRow = head.rowMarks?.[0] ?? (head.bytes as number) - 2;
    const chunkBytes = head.chunkBytes as number;
    const bytes = await this.#readChunks(id, head, 0, Math.floor(Math.max(0, firstRow - 1) / chunkBytes));
    const opening = bytes.subarray(0, firstRow).toString('utf8');
    const prefix = '{"columns":';
    const suffix = ',"rows":[';
    if (!opening.startsWith(prefix) || !opening.endsWith(suffix))
      throw corrupt('the result text is malformed');
    try {
      return JSON.parse(opening.slice(prefix.length, -suffix.length));
    } catch {
      throw corrupt('the columns of the result are not JSON');
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await withDeadline(this.#timeoutMs, async (abortSignal) => {
        // The head goes first: from then on `get` answers null, even if a chunk delete fails.
        await this.#delete(id, id, abortSignal);
        const { resources } = await this.#container.items
          .query<{ id: string }>(
            { query: 'SELECT c.id FROM c WHERE c.resultId = @id', parameters: [{ name: '@id', value: id }] },
            { partitionKey: id, abortSignal },
          )
          .fetchAll();
        await Promise.all(resources.map((item) => this.#delete(item.id, id, abortSignal)));
      });
    } catch (e) {
      throw unavailable(e);
    }
  }

  async #read<T extends ItemDefinition>(
    itemId: string,
    partition: string,
    abortSignal: AbortSignal,
  ): Promise<T | undefined> {
    try {
      const response = await this.#container.item(itemId, partition).read<T>({ abortSignal });
      if (response.statusCode === 404 || !isItemFor(response.resource, itemId)) return undefined;
      return response.resource;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async #delete(itemId: string, partition: string, abortSignal: AbortSignal): Promise<void> {
    try {
      await this.#container.item(itemId, partition).delete({ abortSignal });
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
  }
}

/** One result written in pieces: full chunks go out as they fill, the head last. */
class CosmosResultWriter implements ResultWriter {
  readonly #container: Container;
  readonly #opening: ResultOpening;
  readonly #timeoutMs: number;
  readonly #chunkBytes: number;
  readonly #ttl: number;
  readonly #text = new ResultText();
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;
  #done = false;

  constructor(container: Container, opening: ResultOpening, timeoutMs: number, chunkBytes: number) {
    this.#container = container;
    this.#opening = opening;
    this.#timeoutMs = timeoutMs;
    this.#chunkBytes = chunkBytes;
    this.#ttl = ttlOf(opening);
    this.#add(this.#text.open(opening.columns));
  }

  async append(rows: readonly unknown[][]): Promise<void> {
    if (this.#done) throw new TypeError('rows appended to a closed result');
    this.#add(this.#text.rows(rows));
    await this.#flush(false);
  }

  async commit(closing: ResultClosing): Promise<{ digest: string; rows: number }> {
    if (this.#done) throw new TypeError('a result is committed once');
    this.#done = true;
    const closed = this.#text.close();
    this.#add(closed.text);
    await this.#flush(true);
    const o = this.#opening;
    const head: HeadItem = {
      id: o.id,
      resultId: o.id,
      kind: 'head',
      requestId: o.requestId,
      owner: o.owner,
      truncated: closing.truncated,
      masking: closing.masking,
      digest: closed.digest,
      createdAt: o.createdAt,
      expiresAt: o.expiresAt,
      chunks: this.#written,
      ttl: this.#ttl,
      rowCount: closed.rows,
      rowMarks: [...this.#text.marks],
      markEvery: ROW_MARK_EVERY,
      bytes: this.#text.bytes,
      chunkBytes: this.#chunkBytes,
    };
    await this.#create(head);
    return { digest: closed.digest, rows: closed.rows };
  }

  async abort(): Promise<void> {
    this.#done = true;
    this.#pending = [];
    const id = this.#opening.id;
    const written = Array.from({ length: this.#written }, (_, i) => chunkId(id, i));
    try {
      await withDeadline(this.#timeoutMs, async (abortSignal) => {
        await Promise.all(
          written.map((itemId) =>
            this.#container
              .item(itemId, id)
              .delete({ abortSignal })
              .catch((e: unknown) => {
                if (statusOf(e) !== 404) throw e;
              }),
          ),
        );
      });
    } catch (e) {
      // The chunks' TTL purges them anyway; without a head they are never read.
      throw unavailable(e);
    }
  }

  #add(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  /** Writes every full chunk, and with `all` the rest too (at least one chunk per result). */
  async #flush(all: boolean): Promise<void> {
    if (this.#pendingBytes < this.#chunkBytes && !all) return;
    let bytes = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    while (bytes.length >= this.#chunkBytes || (all && (bytes.length > 0 || this.#written === 0))) {
      const slice = bytes.subarray(0, this.#chunkBytes);
      bytes = bytes.subarray(slice.length);
      const chunk: ChunkItem = {
        id: chunkId(this.#opening.id, this.#written),
        resultId: this.#opening.id,
        kind: 'chunk',
        index: this.#written,
        data: slice.toString('base64'),
        sha256: sha256(slice),
        ttl: this.#ttl,
      };
      await this.#create(chunk);
      this.#written++;
    }
    if (bytes.length > 0) {
      // A copy, so the rest does not keep the whole concatenation alive.
      this.#pending.push(Buffer.from(bytes));
      this.#pendingBytes = bytes.length;
    }
  }

  async #create(item: ItemDefinition): Promise<void> {
    try {
      await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.items.create(item, { abortSignal }),
      );
    } catch (e) {
      throw writeFailure(e);
    }
  }
}
