import type { Readable } from 'node:stream';
import type { ExecutedDetail, OpenResult, StreamedRun } from '../approvals/execute-approved.js';
import { classificationFor } from '../config/blob-connection.js';
import { rowsOf } from '../connectors/blob/parse.js';
import { GatewayError } from '../errors.js';
import type { Row } from '../types.js';
import { ByteCounter, classesForText, maskRows } from './blob-content.js';
import { ContentKeys } from './blob-keys.js';
import { headerOf, type ReadRun, readBinary } from './blob-read.js';

/** Most distinct top-level fields an NDJSON or JSON export may have (its columns). */
export const MAX_STREAMED_COLUMNS = 4096;

export type StreamRun = ReadRun;

/** One pass over the pinned version's bytes: the parsed rows, and how many bytes came. */
async function* pass(
  run: StreamRun,
  head: string[] | undefined,
  counted: (bytes: number) => void,
): AsyncGenerator<Row> {
  const midway = run.range.offset > 0;
  // The approved version (`If-Match`), never whatever is there now.
  const read = await run.connector.read(run.path, run.range, run.etag, { idle: true });
  const counter = new ByteCounter();
  let failed: unknown;
  read.body.on('error', (e) => {
    failed = e;
    counter.destroy(e);
  });
  const body: Readable = read.body.pipe(counter);
  let last = 0;
  const tally = () => {
    counted(counter.bytes - last);
    last = counter.bytes;
  };
  try {
    for await (const row of rowsOf(run.format, body, {
      midway,
      cutEnd: run.range.count !== undefined && run.range.offset + run.range.count < run.size,
      ...(head ? { header: head } : {}),
      maxDocumentBytes: run.connection.approvalBytes,
    })) {
      tally();
      yield row;
    }
    tally();
  } catch (e) {
    tally();
    // The storage account failing part-way is not the content's fault.
    if (failed !== undefined)
      throw new GatewayError('target_unavailable', 'The blob could not be read to its end.', {
        cause: failed,
      });
    throw e;
  } finally {
    read.body.destroy();
    counter.destroy();
  }
}

/**
 * The columns of an NDJSON or JSON export, in order of first appearance: rows need not share
 * their fields, and a stored result names its columns before its first row, so one parsing
 * pass (no masking, nothing kept but the names) comes first. Both passes read the same
 * version: the read is pinned by `If-Match`.
 */
async function fieldsOf(run: StreamRun, counted: (bytes: number) => void): Promise<string[]> {
  const names = new Set<string>();
  for await (const row of pass(run, undefined, counted)) {
    for (const k of Object.keys(row)) names.add(k);
    if (names.size > MAX_STREAMED_COLUMNS)
      throw new GatewayError('query_failed', `The content has more than ${MAX_STREAMED_COLUMNS} fields.`);
  }
  return [...names];
}

/**
 * An approved read streamed whole into the result store: parsed, masked a batch at a time
 * and appended to the result's writer as each batch is masked (the writer computes the
 * digest of exactly what it stores), so memory holds one batch however large the blob.
 * Capped by the rows approved (`run.maxRows`), not by the response cap of direct reads.
 * `detail.blob` says what was read so far, for the audit of a run that fails part-way.
 * Binary content is one base64 cell and keeps the response cap (readBinary).
 */
export async function streamApprovedRead(
  run: StreamRun,
  open: OpenResult,
  detail: ExecutedDetail,
): Promise<StreamedRun> {
  const blob = detail.blob;
  const counted = (bytes: number) => {
    if (blob) blob.bytesRead += bytes;
  };
  if (run.format === 'binary') {
    const read = await readBinary({ ...run, rowOffset: 0 });
    counted(read.bytesRead);
    await open(read.columns).append(read.rows.map((r) => read.columns.map((c) => r[c.name] ?? null)));
    return { columns: read.columns, truncated: read.truncated, masking: read.masking, bytes: read.bytes };
  }
  let head: string[] | undefined;
  if (run.format === 'csv' && run.range.offset > 0) {
    const h = await headerOf(run);
    counted(h.bytes);
    head = h.header;
  }
  // The fields are named as the rows will be (blob-keys.ts), by the same instance.
  const keys = new ContentKeys(run.masker, run.unmasked);
  const known =
    run.format === 'ndjson' || run.format === 'json'
      ? (await fieldsOf(run, counted)).map((k) => keys.nameOf(k))
      : undefined;
  let columns: Array<{ name: string; type: string }> | undefined;
  let named = new Set<string>();
  let writer: ReturnType<OpenResult> | undefined;
  let pending: unknown[][] = [];
  const masked = await maskRows({
    rows: pass(run, head, counted),
    classes:
      run.format === 'text'
        ? classesForText(classificationFor(run.connection, run.path.name))
        : classificationFor(run.connection, run.path.name),
    ...(run.format === 'text' ? { exempt: new Set(['line']) } : {}),
    flat: run.format === 'csv' || run.format === 'text',
    masker: run.masker,
    unmasked: run.unmasked,
    keys,
    rowOffset: run.rowOffset,
    maxRows: run.maxRows,
    maxBytes: Number.MAX_SAFE_INTEGER,
    emit: (_json, row) => {
      // CSV and text rows all carry the same fields: the first row's are the columns.
      if (!columns) {
        columns = (known ?? Object.keys(row)).map((name) => ({ name, type: 'text' }));
        named = new Set(columns.map((c) => c.name));
      }
      for (const k of Object.keys(row))
        if (!named.has(k))
          throw new GatewayError(
            'internal',
            'A row has a field the result does not name; nothing was released.',
          );
      pending.push(columns.map((c) => row[c.name] ?? null));
    },
    flushed: async () => {
      if (pending.length === 0 || !columns) return;
      writer ??= open(columns);
      const batch = pending;
      pending = [];
      await writer.append(batch);
    },
  });
  return {
    columns: columns ?? (known ?? []).map((name) => ({ name, type: 'text' })),
    truncated: masked.truncated,
    masking: masked.report,
    bytes: masked.bytes,
  };
}
