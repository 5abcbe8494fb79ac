import type { Readable } from 'node:stream';
import { resultDigest } from '../audit/result-digest.js';
import { type BlobConnectionConfig, classificationFor } from '../config/blob-connection.js';
import { type BlobFormat, csvHeader, rowsOf } from '../connectors/blob/parse.js';
import type { BlobPath } from '../connectors/blob/path.js';
import type { BlobConnector, BlobRange } from '../connectors/blob/port.js';
import type { Masker, MaskingReport } from '../masking/index.js';
import type { Row } from '../types.js';
import { ByteCounter, classesForText, maskRows } from './blob-content.js';

/** A CSV header is looked for in this many bytes at the start of the blob. */
const HEADER_BYTES = 65_536;

export interface ReadRun {
  connector: BlobConnector;
  connection: BlobConnectionConfig;
  path: BlobPath;
  range: BlobRange;
  etag: string | null;
  /** The blob's size, to tell a range that ends inside it. */
  size: number;
  format: BlobFormat;
  masker: Masker;
  unmasked: ReadonlySet<string>;
  rowOffset: number;
  maxRows: number;
}

export interface ReadResult {
  columns: Array<{ name: string; type: string }>;
  rows: Row[];
  rowCount: number;
  truncated: boolean;
  /** Bytes fetched from the storage account. */
  bytesRead: number;
  /** Bytes of the JSON rows released, and their digest (shared/audit/result-digest.ts). */
  bytes: number;
  digest: string;
  masking: MaskingReport;
  versionId: string | null;
}

/** The header of a CSV read from an offset: the blob's first record, from a short range. */
export async function headerOf(
  run: Pick<ReadRun, 'connector' | 'path' | 'etag'>,
): Promise<{ header: string[]; bytes: number }> {
  const read = await run.connector.read(run.path, { offset: 0, count: HEADER_BYTES }, run.etag);
  const counter = new ByteCounter();
  read.body.pipe(counter);
  try {
    return { header: await csvHeader(counter), bytes: counter.bytes };
  } finally {
    read.body.destroy();
  }
}

/**
 * Reads typed content (CSV, JSON, NDJSON, text) as a stream: parsed, masked a batch at a
 * time, and stopped at the row cap or the response's byte cap, so memory holds one
 * response's worth however large the blob. The version read is the one decided on (ETag).
 */
export async function readTyped(run: ReadRun): Promise<ReadResult> {
  const midway = run.range.offset > 0;
  const head = run.format === 'csv' && midway ? await headerOf(run) : undefined;
  const read = await run.connector.read(run.path, run.range, run.etag);
  const counter = new ByteCounter();
  const body: Readable = read.body.pipe(counter);
  read.body.on('error', (e) => counter.destroy(e));
  const jsons: string[] = [];
  const rows: Row[] = [];
  try {
    const masked = await maskRows({
      rows: rowsOf(run.format, body, {
        midway,
        cutEnd: run.range.count !== undefined && run.range.offset + run.range.count < run.size,
        ...(head ? { header: head.header } : {}),
        maxDocumentBytes: run.connection.approvalBytes,
      }),
      classes:
        run.format === 'text'
          ? classesForText(classificationFor(run.connection, run.path.name))
          : classificationFor(run.connection, run.path.name),
      ...(run.format === 'text' ? { exempt: new Set(['line']) } : {}),
      flat: run.format === 'csv' || run.format === 'text',
      masker: run.masker,
      unmasked: run.unmasked,
      rowOffset: run.rowOffset,
      maxRows: run.maxRows,
      maxBytes: run.connection.maxResponseBytes,
      emit: (json, row) => {
        jsons.push(json);
        rows.push(row);
      },
    });
    return {
      columns: masked.columns,
      rows,
      rowCount: masked.rowCount,
      truncated: masked.truncated,
      bytesRead: counter.bytes + (head?.bytes ?? 0),
      bytes: masked.bytes,
      digest: resultDigest(masked.columns, `[${jsons.join(',')}]`),
      masking: masked.report,
      versionId: read.versionId,
    };
  } finally {
    read.body.destroy();
    counter.destroy();
  }
}

/**
 * Binary content, for a principal a policy lets read it: the bytes as base64, unmasked (no
 * detector can see into them), bounded by the response cap.
 */
export async function readBinary(run: ReadRun): Promise<ReadResult> {
  const read = await run.connector.read(run.path, run.range, run.etag);
  const chunks: Buffer[] = [];
  let size = 0;
  let fetched = 0;
  let truncated = false;
  // base64 grows by a third: keep the encoded text within the response cap.
  const cap = Math.floor((run.connection.maxResponseBytes * 3) / 4) - 64;
  try {
    for await (const chunk of read.body as AsyncIterable<Buffer>) {
      fetched += chunk.length;
      const room = cap - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    read.body.destroy();
  }
  const row = { base64: Buffer.concat(chunks).toString('base64') };
  const columns = [{ name: 'base64', type: 'bytes' }];
  const json = JSON.stringify([row]);
  return {
    columns,
    rows: [row],
    rowCount: 1,
    truncated,
    bytesRead: fetched,
    bytes: Buffer.byteLength(json),
    digest: resultDigest(columns, json),
    masking: { columns: {}, cellsMasked: 0, byClass: {} },
    versionId: read.versionId,
  };
}
