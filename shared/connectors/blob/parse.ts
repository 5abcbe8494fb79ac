import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { GatewayError } from '../../errors.js';
import type { Row } from '../../types.js';

/** How a blob's content is answered: parsed rows for the typed formats, nothing else for agents. */
export type BlobFormat = 'csv' | 'json' | 'ndjson' | 'text' | 'binary';

const BY_TYPE: Record<string, BlobFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'text/plain': 'text',
};

const BY_EXTENSION: Record<string, BlobFormat> = {
  csv: 'csv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  txt: 'text',
  log: 'text',
};

/**
 * The format from the content type, or from the extension when the type says nothing
 * specific (`application/octet-stream`, absent). Anything else is binary.
 */
export function formatOf(name: string, contentType: string | null): BlobFormat {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const byType = Object.hasOwn(BY_TYPE, type) ? BY_TYPE[type] : undefined;
  if (byType) return byType;
  if (type !== '' && type !== 'application/octet-stream') return 'binary';
  const dot = name.lastIndexOf('.');
  const ext = dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
  return (Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext] : undefined) ?? 'binary';
}

/** Longest record or line parsed; more is refused rather than buffered. */
export const MAX_RECORD_BYTES = 1_000_000;

function unparseable(format: BlobFormat, cause?: unknown): GatewayError {
  return new GatewayError('query_failed', `The blob could not be read as ${format}; nothing was released.`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Lines of a byte stream, bounded in length; a range that starts mid-line drops its first part. */
export async function* linesOf(body: Readable, options: { dropFirst: boolean }): AsyncGenerator<string> {
  let rest = '';
  let dropping = options.dropFirst;
  body.setEncoding('utf8');
  for await (const chunk of body as AsyncIterable<string>) {
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const line = rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
      if (!dropping) yield line;
      dropping = false;
      nl = rest.indexOf('\n');
    }
    if (rest.length > MAX_RECORD_BYTES) throw unparseable('text');
  }
  if (rest.length > 0 && !dropping) yield rest.replace(/\r$/, '');
}

/** CSV records keyed by the header (read from the stream, or given when reading from an offset). */
async function* csvRows(source: Readable, header: string[] | undefined): AsyncGenerator<Row> {
  const parser = parseCsv({
    columns: header ?? true,
    bom: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    // A duplicated header would silently overwrite one column with another.
    group_columns_by_name: false,
  });
  source.on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<Row>) yield record;
  } catch (e) {
    throw e instanceof GatewayError ? e : unparseable('csv', e);
  } finally {
    source.destroy();
  }
}

/** A range that ends inside the blob: the bytes after its last newline are a cut record. */
async function* dropLastPartial(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of body) {
    const nl = chunk.lastIndexOf(10);
    if (nl < 0) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes > MAX_RECORD_BYTES) throw unparseable('text');
      continue;
    }
    yield Buffer.concat([...pending, chunk.subarray(0, nl + 1)]);
    pending = [chunk.subarray(nl + 1)];
    pendingBytes = pending[0].length;
  }
}

/** The stream a parser reads: the cut first and last records of a range dropped. */
export function trimmed(body: Readable, cut: { first: boolean; last: boolean }): Readable {
  if (!cut.first && !cut.last) return body;
  let source: AsyncIterable<Buffer> = body;
  if (cut.first) source = dropFirstLine(body);
  if (cut.last) source = dropLastPartial(source);
  return Readable.from(source, { objectMode: false });
}

async function* dropFirstLine(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let dropping = true;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (!dropping) {
      yield chunk;
      continue;
    }
    const nl = chunk.indexOf(10);
    if (nl >= 0) {
      dropping = false;
      yield chunk.subarray(nl + 1);
    }
  }
}

function ndjsonRow(line: string): Row {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw unparseable('ndjson', e);
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Row) : { value };
}

/** A whole JSON document (bounded by the caller's byte cap): an array of rows, or one row. */
async function* jsonRows(body: Readable, maxBytes: number): AsyncGenerator<Row> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw unparseable('json');
    chunks.push(chunk);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw unparseable('json', e);
  }
  for (const item of Array.isArray(doc) ? doc : [doc]) {
    yield item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Row) : { value: item };
  }
}

export interface RowsOptions {
  /** The read starts inside the blob: its first partial line or record is dropped. */
  midway: boolean;
  /** The read ends inside the blob: its last partial line or record is dropped. */
  cutEnd: boolean;
  /** CSV read from an offset: the header, read apart from the start of the blob. */
  header?: string[];
  /** JSON documents are parsed whole: the most bytes one may have. */
  maxDocumentBytes: number;
}

/** Rows of typed content as they arrive; text is one row per line (`line`, `text`). */
export async function* rowsOf(format: BlobFormat, raw: Readable, options: RowsOptions): AsyncGenerator<Row> {
  const body = format === 'json' ? raw : trimmed(raw, { first: options.midway, last: options.cutEnd });
  switch (format) {
    case 'csv':
      yield* csvRows(body, options.header);
      return;
    case 'ndjson':
      for await (const line of linesOf(body, { dropFirst: false })) {
        if (line.trim() !== '') yield ndjsonRow(line);
      }
      return;
    case 'text': {
      let n = 0;
      for await (const text of linesOf(body, { dropFirst: false })) yield { line: ++n, text };
      return;
    }
    case 'json':
      yield* jsonRows(body, options.maxDocumentBytes);
      return;
    case 'binary':
      throw new GatewayError('unsupported_media_type', 'Binary content is not parsed.');
  }
}

/** The header of a CSV blob: its first record, read from a short range at its start. */
export async function csvHeader(body: Readable): Promise<string[]> {
  const parser = parseCsv({
    bom: true,
    to_line: 1,
    max_record_size: MAX_RECORD_BYTES,
    relax_column_count: true,
  });
  body.on('error', (e) => parser.destroy(e));
  body.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<string[]>) return record;
  } catch (e) {
    throw unparseable('csv', e);
  } finally {
    body.destroy();
  }
  throw unparseable('csv');
}
