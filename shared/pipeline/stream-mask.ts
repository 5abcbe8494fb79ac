import { DEFAULT_BATCH_ROWS, type RowBatch, type StreamSummary } from '../connectors/connector.js';
import { compareClasses } from '../masking/classes.js';
import type { ColumnPlan, MaskingReport } from '../masking/index.js';
import type { ResultColumn, Row } from '../types.js';
import { executeAndMask, type RunInput, withPlanSources } from './execute.js';
import { maskingFailed, maskingPlan } from './mask.js';

/** Where a streamed, masked read goes: its columns first (once), then each batch in order. */
export interface MaskedSink {
  begin(columns: Array<{ name: string; type: string }>): Promise<void>;
  /** Masked rows as arrays in the order of the columns given to `begin`. */
  rows(rows: unknown[][]): Promise<void>;
}

export interface StreamRunInput extends Omit<RunInput, 'afterExecute'> {
  sink: MaskedSink;
  /** Rows per cursor FETCH (DEFAULT_BATCH_ROWS unless given). */
  batchRows?: number;
}

export interface StreamedResult {
  columns: Array<{ name: string; type: string }>;
  rows: number;
  truncated: boolean;
  report: MaskingReport;
}

/** A failure of masking or of the sink: never the target's, so never shown as one. */
class OwnFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Stage 5+6 for a large read: the statement is read in cursor batches, each batch masked
 * with the requester's posture and handed to the sink before the next is taken in, so
 * memory is bounded by the batch. A connector without streamed reads is read whole (its
 * own cap bounds it) and handed over in batches. Any failure part-way throws; whatever the
 * sink has taken by then must be discarded by its owner.
 */
export async function streamAndMask(input: StreamRunInput): Promise<StreamedResult> {
  const { connector, connection: conn, facts } = input;
  const options = {
    maxRows: input.maxRows,
    statementTimeoutMs: conn.statementTimeoutMs,
    plainQuery: facts.statementKinds.every((kind) => kind === 'SelectStmt'),
    batchRows: input.batchRows ?? DEFAULT_BATCH_ROWS,
  };
  const session = connector.openRead?.(conn.statementTimeoutMs);
  if (!session?.stream) {
    await session?.end();
    return readWhole(input, options.batchRows);
  }
  const batches = batchMasker(await withPlanSources(input, session));
  const summary = await input.clock.run('execute', async () => {
    try {
      return await (session.stream as NonNullable<typeof session.stream>)(
        input.sql,
        input.params,
        options,
        batches.take,
      );
    } catch (e) {
      if (e instanceof OwnFailure) throw e.error;
      return input.onTargetError(e);
    }
  });
  return { ...batches.done(summary), rows: summary.rows, truncated: summary.truncated };
}

/** Masks each batch under one plan (made from the first batch's columns) and hands it on. */
function batchMasker(input: StreamRunInput) {
  let plan: ColumnPlan[] | undefined;
  let names: string[] = [];
  const report: MaskingReport = { columns: {}, cellsMasked: 0, byClass: {} };
  const take = async (batch: RowBatch): Promise<void> => {
    try {
      const columns = batch.columns as ResultColumn[];
      if (plan === undefined) {
        plan = await maskingPlan(input, columns, batch.sources).catch((e: unknown) => {
          throw maskingFailed(e);
        });
        names = columns.map((c) => c.name);
        await input.sink.begin(columns.map((c) => ({ name: c.name, type: c.type })));
      }
      const masked = await maskBatch(input, columns, names, plan, batch.rows);
      mergeReport(report, masked.report);
      await input.sink.rows(masked.rows);
    } catch (e) {
      throw new OwnFailure(e);
    }
  };
  const done = (summary: StreamSummary) => ({
    columns: summary.columns.map((c) => ({ name: c.name, type: c.type })),
    report,
  });
  return { take, done };
}

async function maskBatch(
  input: StreamRunInput,
  columns: ResultColumn[],
  names: readonly string[],
  plan: ColumnPlan[],
  arrays: unknown[][],
): Promise<{ rows: unknown[][]; report: MaskingReport }> {
  const n = names.length;
  const objects: Row[] = new Array(arrays.length);
  for (let r = 0; r < arrays.length; r++) {
    const values = arrays[r] as unknown[];
    // No prototype: a column named `__proto__` is plain data.
    const row: Row = Object.create(null);
    for (let i = 0; i < n; i++) row[names[i] as string] = values[i];
    objects[r] = row;
  }
  let masked: { rows: Row[]; report: MaskingReport };
  try {
    masked = await input.masker.maskResultInSlices({ columns, rows: objects, plan, unmasked: input.clear });
  } catch (e) {
    throw maskingFailed(e);
  }
  const rows: unknown[][] = new Array(masked.rows.length);
  for (let r = 0; r < masked.rows.length; r++) {
    const row = masked.rows[r] as Row;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = row[names[i] as string];
    rows[r] = out;
  }
  return { rows, report: masked.report };
}

/** A report over many batches: counts add up; a column keeps the most restrictive class seen. */
export function mergeReport(into: MaskingReport, more: MaskingReport): void {
  for (const [column, cls] of Object.entries(more.columns)) {
    const had = into.columns[column];
    if (had === undefined || compareClasses(cls, had) < 0) into.columns[column] = cls;
  }
  into.cellsMasked += more.cellsMasked;
  for (const [cls, n] of Object.entries(more.byClass)) into.byClass[cls] = (into.byClass[cls] ?? 0) + n;
}

async function readWhole(input: StreamRunInput, batchRows: number): Promise<StreamedResult> {
  const masked = await executeAndMask(input);
  const columns = masked.result.columns.map((c) => ({ name: c.name, type: c.type }));
  const rows = masked.rows.map((row) => columns.map((c) => row[c.name]));
  await input.sink.begin(columns);
  for (let i = 0; i < rows.length || i === 0; i += batchRows) {
    await input.sink.rows(rows.slice(i, i + batchRows));
  }
  return { columns, rows: rows.length, truncated: masked.result.truncated, report: masked.report };
}
