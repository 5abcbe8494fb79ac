import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { BlobClassification } from '../config/blob-connection.js';
import { canonicalPath, type PathSegment, parseFieldPath, topLevelField } from '../config/field-path.js';
import { GatewayError } from '../errors.js';
import { compareClasses } from '../masking/classes.js';
import { lookalikeFolded } from '../masking/detect/normalise.js';
import { type ColumnPlan, classByName, type Masker, type MaskingReport } from '../masking/index.js';
import { FREE_TEXT_CLASS, PUBLIC_CLASS } from '../masking/provenance-plan.js';
import type { Row } from '../types.js';
import { ContentKeys } from './blob-keys.js';

/** Counts the bytes that pass (what was read from the storage account). */
export class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** Classes a class name stands for in a plan: none for `text.free` and `public` (scanned). */
function planned(cls: string | undefined): string[] {
  return cls === undefined || cls === FREE_TEXT_CLASS || cls === PUBLIC_CLASS ? [] : [cls];
}

/** A classification key parsed; a malformed one never passes config load (a field then). */
function pathOf(key: string): PathSegment[] {
  const parsed = parseFieldPath(key);
  return typeof parsed === 'string' ? [{ name: key, each: 0 }] : parsed;
}

/**
 * The column a key classifies: a top-level field; in flat content (CSV, text), where no value
 * nests, a dotted path also names the column spelled that way.
 */
function columnOf(key: string, flat: boolean): string | undefined {
  const segments = pathOf(key);
  const top = topLevelField(segments);
  if (top !== undefined) return top;
  return flat && segments.every((s) => s.each === 0) ? segments.map((s) => s.name).join('.') : undefined;
}

/**
 * A field name as a classification matches it: case, width, spaces and punctuation aside. A
 * file's header is written by whoever exported it (`Full_Name`, `EMAIL`, `phone `, `ssn_` for
 * the classified `full_name`, `email`, `phone`, `ssn`; red-team round 33), and two columns
 * that match one key are both masked, which errs on the side of masking.
 */
function looseName(name: string): string {
  // Look-alike letters of other scripts read as the Latin ones (`full_nаme` with a Cyrillic а).
  return lookalikeFolded(name)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * The classification of content read as lines of text: fields cannot be told apart in a line,
 * so a classification that names fields (a CSV's columns, stored as text/plain) classes every
 * line as the field class that reveals least (red-team round 36 read a classified name column
 * in clear through a CSV stored as text).
 */
export function classesForText(classes: readonly BlobClassification[]): BlobClassification[] {
  return classes.map((c) => {
    const named = [...Object.values(c.fields), ...(c.whole === undefined ? [] : [c.whole])]
      .flatMap(planned)
      .sort(compareClasses);
    return named.length === 0 ? c : { whole: named[0], fields: {} };
  });
}

/**
 * The masking plan of a batch: a column named by a matching pattern is masked with its class
 * (several matching patterns give several candidates; the masker picks the one that reveals
 * least); a whole-content class covers every column; everything else is content-scanned,
 * exactly as for SQL columns that are not classified. Nested paths are masked before the
 * plan runs (maskNested); the column holding them is still scanned.
 */
export function blobPlan(
  classes: readonly BlobClassification[],
  columns: Iterable<string>,
  exempt: ReadonlySet<string> = new Set(),
  flat = true,
): ColumnPlan[] {
  const names = new Set(columns);
  const byColumn = new Map<string, string[]>();
  for (const c of classes) {
    for (const [key, cls] of Object.entries(c.fields)) {
      const column = columnOf(key, flat);
      if (column === undefined) continue;
      names.add(column);
      const spelled = looseName(column);
      byColumn.set(spelled, [...(byColumn.get(spelled) ?? []), ...planned(cls)]);
    }
  }
  const plan: ColumnPlan[] = [];
  for (const column of names) {
    const candidates = [
      ...(byColumn.get(looseName(column)) ?? []),
      ...classes.flatMap((c) => (exempt.has(column) ? [] : planned(c.whole))),
    ];
    // A field no classification names, but whose name says what it holds (`ssn`, `email`), is
    // masked as that: a JSON number `{"ssn": 123456789}` has no shape the detectors could
    // know (red-team round 33). The caller's posture still decides per class.
    const named = candidates.length === 0 && !exempt.has(column) ? classByName(column) : undefined;
    if (named !== undefined)
      plan.push({ kind: 'classified', column, dataClass: named, candidates: [named], via: 'source' });
    else if (candidates.length === 0) plan.push({ kind: 'scan', column });
    else plan.push({ kind: 'classified', column, dataClass: candidates[0], candidates, via: 'source' });
  }
  return plan;
}

/** A classified path into nested JSON, with the class that reveals least of its candidates. */
interface NestedPath {
  segments: PathSegment[];
  name: string;
  dataClass: string;
}

/** The nested paths of the matching classifications (none for flat content). */
export function nestedPaths(classes: readonly BlobClassification[]): NestedPath[] {
  const byPath = new Map<string, { segments: PathSegment[]; candidates: string[] }>();
  for (const c of classes) {
    for (const [key, cls] of Object.entries(c.fields)) {
      const segments = pathOf(key);
      if (topLevelField(segments) !== undefined) continue;
      const name = canonicalPath(segments);
      const entry = byPath.get(name) ?? { segments, candidates: [] };
      entry.candidates.push(...planned(cls));
      byPath.set(name, entry);
    }
  }
  return [...byPath].flatMap(([name, e]) => {
    const [dataClass] = [...e.candidates].sort(compareClasses);
    return dataClass === undefined ? [] : [{ segments: e.segments, name, dataClass }];
  });
}

/** Applies `leaf` at every value the path reaches from `node` (mutating `node`). */
function walk(
  node: unknown,
  segments: readonly PathSegment[],
  i: number,
  leaf: (v: unknown) => unknown,
): unknown {
  if (i === segments.length) return leaf(node);
  const s = segments[i] as PathSegment;
  if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, s.name))
    return node;
  const obj = node as Record<string, unknown>;
  const each = (v: unknown, levels: number): unknown => {
    if (levels === 0) return walk(v, segments, i + 1, leaf);
    if (!Array.isArray(v)) return v;
    for (let k = 0; k < v.length; k++) v[k] = each(v[k], levels - 1);
    return v;
  };
  obj[s.name] = each(obj[s.name], s.each);
  return node;
}

/**
 * Classified paths into nested objects and arrays masked with their class (unless the caller
 * may see it in clear), anchored at the top of each row: the same key at another depth is not
 * the classified field (the content detectors still scan it). Rows a path reaches are copied;
 * the others pass as they are.
 */
export function maskNested(
  rows: Row[],
  paths: readonly NestedPath[],
  masker: Masker,
  unmasked: ReadonlySet<string>,
  report: MaskingReport,
): Row[] {
  const active = paths.filter((p) => !unmasked.has(p.dataClass));
  if (active.length === 0) return rows;
  return rows.map((row) => {
    if (!active.some((p) => Object.hasOwn(row, (p.segments[0] as PathSegment).name))) return row;
    const copy = structuredClone(row);
    for (const p of active) {
      walk(copy, p.segments, 0, (value) => {
        if (value === null || value === undefined) return value;
        report.cellsMasked++;
        report.byClass[p.dataClass] = (report.byClass[p.dataClass] ?? 0) + 1;
        report.columns[p.name] = p.dataClass;
        return masker.maskValue(value, p.dataClass);
      });
    }
    return copy;
  });
}

function mergeReport(into: MaskingReport, more: MaskingReport): void {
  Object.assign(into.columns, more.columns);
  into.cellsMasked += more.cellsMasked;
  for (const [cls, n] of Object.entries(more.byClass)) into.byClass[cls] = (into.byClass[cls] ?? 0) + n;
}

export interface MaskRowsInput {
  rows: AsyncIterable<Row>;
  classes: readonly BlobClassification[];
  /** Columns the whole-content class does not cover (the line number of text). */
  exempt?: ReadonlySet<string>;
  /** Rows are flat (CSV, text): no nested paths; a dotted key names the column spelled so. */
  flat?: boolean;
  masker: Masker;
  unmasked: ReadonlySet<string>;
  /** Rows skipped before the first one released. */
  rowOffset: number;
  maxRows: number;
  /** Bytes of the JSON rows released at most; the read stops before the row that passes it. */
  maxBytes: number;
  /** Where each masked row goes as JSON text (a response, or a stream for an approved export). */
  emit(rowJson: string, row: Row): void;
  /** Awaited after each batch is emitted: where a stream writes it out (its backpressure). */
  flushed?: () => Promise<void>;
  batchRows?: number;
  /** The names fields are released under (blob-keys.ts); one per read, shared with its columns. */
  keys?: ContentKeys;
}

export interface MaskedRows {
  columns: Array<{ name: string; type: string }>;
  rowCount: number;
  /** More rows were there than the caps let out. */
  truncated: boolean;
  /** Bytes of the JSON rows array as released (`[`, commas and `]` included). */
  bytes: number;
  report: MaskingReport;
}

/**
 * Masks rows as they are parsed, a batch at a time, so memory holds one batch and whatever
 * the caller keeps: the same masker, detectors and operators as SQL results. Any failure
 * is `masking_failed` and the caller releases nothing.
 */
export async function maskRows(input: MaskRowsInput): Promise<MaskedRows> {
  const report: MaskingReport = { columns: {}, cellsMasked: 0, byClass: {} };
  const flat = input.flat ?? true;
  const nested = flat ? [] : nestedPaths(input.classes);
  const columns = new Map<string, string>();
  const state = { skipped: 0, count: 0, bytes: 2, truncated: false };
  let batch: Row[] = [];
  const flush = (): boolean => {
    const keys = new Set<string>();
    for (const row of batch) for (const k of Object.keys(row)) keys.add(k);
    for (const k of keys) if (!columns.has(k)) columns.set(k, 'text');
    let masked: { rows: Row[]; report: MaskingReport };
    try {
      const rows =
        nested.length === 0 ? batch : maskNested(batch, nested, input.masker, input.unmasked, report);
      masked = input.masker.maskResult({
        columns: [...keys].map((name) => ({ name, type: 'text' })),
        rows,
        plan: blobPlan(input.classes, keys, input.exempt, flat),
        unmasked: input.unmasked,
      });
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw new GatewayError('masking_failed', 'The content could not be masked; nothing was released.', {
        cause: e,
      });
    }
    batch = [];
    mergeReport(report, masked.report);
    for (const row of masked.rows) {
      const json = JSON.stringify(row);
      const add = Buffer.byteLength(json) + (state.count > 0 ? 1 : 0);
      if (state.count >= input.maxRows || state.bytes + add > input.maxBytes) {
        state.truncated = true;
        return false;
      }
      state.bytes += add;
      state.count++;
      input.emit(json, row);
    }
    return true;
  };
  const size = input.batchRows ?? 500;
  const keys = input.keys ?? new ContentKeys(input.masker, input.unmasked);
  for await (const row of keys.rows(input.rows)) {
    if (state.skipped < input.rowOffset) {
      state.skipped++;
      continue;
    }
    // One row past the cap is parsed (never masked), so "truncated" says there was more.
    if (state.count >= input.maxRows) {
      state.truncated = true;
      break;
    }
    batch.push(row);
    // Batches end at the row cap, so the report counts only what is released.
    if (batch.length >= Math.min(size, input.maxRows - state.count)) {
      const more = flush();
      await input.flushed?.();
      if (!more) break;
    }
  }
  if (batch.length > 0 && !state.truncated) {
    flush();
    await input.flushed?.();
  }
  keys.report(report);
  return {
    columns: [...columns].map(([name, type]) => ({ name, type })),
    rowCount: state.count,
    truncated: state.truncated,
    bytes: state.bytes,
    report,
  };
}

/**
 * The released-result digest (shared/audit/result-digest.ts) computed as rows are released,
 * for an export whose rows are never held together: `columns` must be known before the first
 * row (a CSV header, the lines of a text blob).
 */
export class StreamingDigest {
  private readonly hash = createHash('sha256');
  private first = true;
  constructor(columns: ReadonlyArray<{ name: string; type: string }>) {
    this.hash.update(`{"columns":${JSON.stringify(columns)},"rows":[`);
  }
  row(json: string): void {
    this.hash.update(this.first ? json : `,${json}`);
    this.first = false;
  }
  digest(): string {
    return this.hash.update(']}').digest('hex');
  }
}
