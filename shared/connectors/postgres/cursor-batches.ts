import type { QueryResult as PgQueryResult } from 'pg';
import type { RowBatch, SourceColumn, StreamSummary } from '../connector.js';
import { shiftPosition } from './errors.js';
import { oneStatement, type Statement } from './read-only-transaction.js';
import { columnsFromFields, type PgResultColumn } from './result-shape.js';

const CURSOR = 'agentgate_rows';
const MAX_BATCH_ROWS = 100_000;

export function checkBatchRows(batchRows: number): number {
  // Interpolated into FETCH, which takes no bind parameters.
  if (!Number.isInteger(batchRows) || batchRows < 1 || batchRows > MAX_BATCH_ROWS) {
    throw new TypeError(`batchRows must be an integer between 1 and ${MAX_BATCH_ROWS}`);
  }
  return batchRows;
}

/** What the batch loop needs of its read session. */
export interface CursorIo {
  /** Sends one statement on the session's client (pipelined where the client pipelines). */
  run(statement: Statement): Promise<PgQueryResult>;
  /** Awaits one round trip under the session's deadline, mapping target failures. */
  step<T>(work: () => Promise<T>): Promise<T>;
  /** The session's BEGIN, answered before the cursor's statement may run. */
  began: Promise<unknown> | undefined;
  /** The result's source columns, on the session's own client (a pool of one has no other). */
  resolveSources(columns: readonly PgResultColumn[]): Promise<Array<SourceColumn | null>>;
}

export interface CursorRead {
  sql: string;
  params: readonly unknown[];
  /** Rows handed over at most; one more is fetched to learn whether the result was cut. */
  limit: number;
  batchRows: number;
  onBatch(batch: RowBatch<PgResultColumn>): Promise<void>;
}

/**
 * DECLARE, then FETCH FORWARD n until the cursor runs dry or limit + 1 rows were taken. The
 * next FETCH is sent before the current batch goes to `onBatch`, so the server produces one
 * batch while the gateway masks and stores the one before: at most two batches are held.
 * `onBatch` runs outside the session's step, so its own failure reaches the caller unchanged.
 */
export async function fetchInBatches(io: CursorIo, read: CursorRead): Promise<StreamSummary<PgResultColumn>> {
  const wanted = read.limit + 1;
  const declare = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR `;
  const fetch = (n: number) => io.run(oneStatement(`FETCH FORWARD ${n} FROM ${CURSOR}`, [], 'array'));
  const declared = io.run(oneStatement(`${declare}${read.sql}`, read.params));
  let asked = Math.min(read.batchRows, wanted);
  let pending = fetch(asked);
  await io.step(async () => {
    await io.began;
    await declared.catch((e: unknown) => {
      throw shiftPosition(e, declare.length);
    });
  });
  let columns: PgResultColumn[] | undefined;
  let taken = 0;
  for (;;) {
    const fetched = pending;
    const result = await io.step(() => fetched);
    const got = result.rows as unknown[][];
    const kept = Math.max(0, Math.min(got.length, read.limit - taken));
    const more = got.length === asked && taken + got.length < wanted;
    taken += got.length;
    if (more) {
      asked = Math.min(read.batchRows, wanted - taken);
      pending = fetch(asked);
    }
    const rows = kept < got.length ? got.slice(0, kept) : got;
    if (columns === undefined) {
      const described = columnsFromFields(result.fields ?? []);
      columns = described;
      const sources = await io.step(() => io.resolveSources(described));
      await read.onBatch({ columns, rows, sources });
    } else if (kept > 0) await read.onBatch({ columns, rows });
    if (!more) break;
  }
  return { columns, rows: Math.min(taken, read.limit), truncated: taken > read.limit };
}
