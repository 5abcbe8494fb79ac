import { GatewayError } from '../errors.js';
import { setOwn } from '../own-property.js';
import type { Row } from '../types.js';
import { applyToValue, REDACTED } from './apply.js';
import { BUILTIN_CLASSES, compareClasses } from './classes.js';
import { ColumnMemo, MIN_REMEMBERED_LENGTH } from './memo.js';
import { buildOperatorTable, type Operator, type OperatorTable, revealRank } from './operators.js';
import { reportKey } from './report-key.js';
import { CellTooLarge, firstClass, newScanContext, type ScanContext, scanString, scanValue } from './scan.js';
import { createTokenizer, type Tokenize } from './token.js';
import type { ColumnPlan, Masker, MaskerOptions, MaskingReport, MaskResultInput } from './types.js';

/**
 * The masker: built once from configuration (operator specs checked, key loaded), then
 * applied to each result. Classified columns are masked whole; every other value, including
 * keys the plan does not know, is content-scanned. Any failure withholds the whole result.
 */

type MaskAction = { kind: 'mask'; dataClass: string; op: Operator };
type Action = { kind: 'clear' } | MaskAction | { kind: 'scan' };

const SCAN: Action = { kind: 'scan' };
const CLEAR: Action = { kind: 'clear' };
const REDACT_WHOLE: Operator = { kind: 'redact' };

/** Among the classes the caller may not see, the one whose operator reveals least. */
function chooseClass(
  candidates: string[],
  unmasked: ReadonlySet<string>,
  ops: OperatorTable,
): string | undefined {
  let best: string | undefined;
  for (const c of candidates) {
    if (unmasked.has(c)) continue;
    if (best === undefined) {
      best = c;
      continue;
    }
    const diff = revealRank(ops.forClass(c)) - revealRank(ops.forClass(best));
    if (diff < 0 || (diff === 0 && compareClasses(c, best) < 0)) best = c;
  }
  return best;
}

/** One action per column name; a name planned twice (joins) gets the union of its classes. */
function actionsFor(
  plan: ColumnPlan[],
  unmasked: ReadonlySet<string>,
  ops: OperatorTable,
): Map<string, Action> {
  const candidates = new Map<string, string[]>();
  const derived = new Set<string>();
  for (const p of plan) {
    const list = candidates.get(p.column) ?? [];
    if (p.kind === 'classified') {
      list.push(...p.candidates, p.dataClass);
      if (p.via === 'expression') derived.add(p.column);
    }
    candidates.set(p.column, list);
  }
  const actions = new Map<string, Action>();
  for (const [column, classes] of candidates) {
    if (classes.length === 0) {
      actions.set(column, SCAN);
      continue;
    }
    const dataClass = chooseClass(classes, unmasked, ops);
    if (dataClass === undefined) {
      // A derived value the caller may see in clear is still free content: scan it.
      actions.set(column, derived.has(column) ? SCAN : CLEAR);
      continue;
    }
    // A value computed from a masked column is not that value: showing part of it, or a
    // token of it, can reveal the column by inference (`case when card_number like '4%'
    // then 'yes' else 'no' end`). Derived columns are redacted whole unless nulled.
    const op = ops.forClass(dataClass);
    actions.set(column, {
      kind: 'mask',
      dataClass,
      op: derived.has(column) && op.kind !== 'null' ? REDACT_WHOLE : op,
    });
  }
  return actions;
}

/** What a result has shown of one content-scanned column so far. */
interface ColumnState {
  memo: ColumnMemo;
  /** Classes found in the column, as `ScanContext.hits` bits. */
  found: number;
  /** The column is of a decimal type: its cells' fractional digits are not scanned. */
  decimal: boolean;
  /** The column is a timestamptz: a cell in the one form the connector gives is no text. */
  instant: boolean;
}

/**
 * Result types whose text is a decimal number. The digits after its point are an
 * arithmetic result's, not an identifier's: `avg(amount)` prints 16 to 20 of them, and one
 * value in ten or so held a Luhn-valid 16-digit run that was masked as a card number. A
 * number stored in such a column (a misfiled card or SSN) is its integer part, which is
 * scanned as before; moving one into the fraction takes a computation over the column,
 * which the provenance and the server's plan then see.
 */
const DECIMAL_TYPES: ReadonlySet<string> = new Set(['numeric', 'float4', 'float8', 'decimal', 'money']);
const DECIMAL_TEXT = /^[+-]?\d*\.\d+$/;

/**
 * What the PostgreSQL connector gives for a timestamptz cell (shared/connectors/postgres/
 * wire-types.ts): an instant's ISO form, fixed width. Its digits are a date and a time, which no
 * detector reads as anything, and scanning a thousand distinct ones was about 7% of a
 * 1,000-row read. Putting a value into such a column is a computation the provenance and the
 * server's plan see; a cell of any other form is scanned as text.
 */
const INSTANT_TYPES: ReadonlySet<string> = new Set(['timestamptz']);
const INSTANT_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function failed(cause: unknown, column: string | undefined): GatewayError {
  return new GatewayError('masking_failed', 'Masking failed; the result was withheld.', {
    cause,
    details: column === undefined ? undefined : { column },
  });
}

/** What every result is masked with: built once per masker. */
interface MaskerConfig {
  readonly operators: OperatorTable;
  readonly tokenize: Tokenize | undefined;
  readonly sliceMs: number;
}

/**
 * One result being masked. The per-cell steps are small module functions over this state
 * rather than closures over a long function's locals: V8 inlines them into the row loop.
 */
interface ResultState {
  readonly tokenize: Tokenize | undefined;
  readonly ctx: ScanContext;
  readonly actions: Map<string, Action>;
  readonly byClass: Record<string, number>;
  readonly columns: Record<string, string>;
  // Driver rows share one key order; remembering it turns the per-cell map lookup into a
  // string identity check. A row with other keys just falls back to the map.
  readonly shapeKeys: string[];
  readonly shapeActions: Action[];
  readonly shapeStates: ColumnState[];
  readonly states: Map<string, ColumnState>;
  readonly decimalColumns: ReadonlySet<string>;
  readonly instantColumns: ReadonlySet<string>;
  /** Characters one scanned cell may hold (see MAX_SCANNED_PER_ROW). */
  readonly cellBound: number;
  // Scanned cells per built-in class, added to `byClass` at the end; the keys are put in
  // when a class is first found, so `byClass` lists classes in the order they were met.
  readonly scanCounts: Int32Array;
  ordered: number;
  cellsMasked: number;
}

function resultState(config: MaskerConfig, input: MaskResultInput): ResultState {
  const actions = actionsFor(input.plan, input.unmasked, config.operators);
  for (const c of input.columns) if (!actions.has(c.name)) actions.set(c.name, SCAN);
  const columns: Record<string, string> = {};
  for (const [name, action] of actions)
    if (action.kind === 'mask') columns[reportKey(name)] = action.dataClass;
  return {
    tokenize: config.tokenize,
    ctx: newScanContext(config.operators, config.tokenize, input.unmasked),
    actions,
    byClass: {},
    columns,
    shapeKeys: [],
    shapeActions: [],
    shapeStates: [],
    states: new Map(),
    cellBound: cellBoundFor(actions),
    decimalColumns: new Set(input.columns.filter((c) => DECIMAL_TYPES.has(c.type)).map((c) => c.name)),
    instantColumns: new Set(input.columns.filter((c) => INSTANT_TYPES.has(c.type)).map((c) => c.name)),
    scanCounts: new Int32Array(BUILTIN_CLASSES.length),
    ordered: 0,
    cellsMasked: 0,
  };
}

/** The `k`th key of a row is not the one remembered there: look it up and remember it. */
function learnKey(s: ResultState, k: number, key: string): void {
  s.shapeKeys[k] = key;
  s.shapeActions[k] = s.actions.get(key) ?? SCAN;
  let state = s.states.get(key);
  if (state === undefined) {
    state = {
      memo: new ColumnMemo(),
      found: 0,
      decimal: s.decimalColumns.has(key),
      instant: s.instantColumns.has(key),
    };
    s.states.set(key, state);
  }
  s.shapeStates[k] = state;
}

function maskCell(value: unknown, action: MaskAction, s: ResultState): unknown {
  // A derived value redacted whole hides even whether it was NULL: NULL against
  // [REDACTED] would be a yes/no answer about the masked column.
  // The report counts such a cell either way, or its count would give the answer away.
  const whole = action.op === REDACT_WHOLE;
  const masked = whole ? REDACTED : applyToValue(value, action.op, s.tokenize);
  if (whole || (value !== null && value !== undefined)) {
    s.cellsMasked++;
    s.byClass[action.dataClass] = (s.byClass[action.dataClass] ?? 0) + 1;
  }
  return masked;
}

/**
 * Characters (of text cells, and of JSON cells' strings and keys) scanned in one row at most.
 * The scan runs on the event loop at a few MB/s on the costliest text (red-team round 9: a
 * 32 MB cell of `a at b dot co` held every other request for 8 s). The loop gets a turn
 * between rows (maskResultInSlices), so no row may cost more than a fraction of a second.
 *
 * Each scanned column gets an equal share, and a cell past its share is withheld whole,
 * unscanned. The bound was once spent cell by cell, so whether a cell was withheld hung on
 * the length of the cells before it: an agent padded a row with a literal next to a ticket's
 * body and read the body's exact length (and so a masked address's) from where the pad
 * turned [REDACTED] (red-team round 44). A share depends on the column count alone.
 */
export const MAX_SCANNED_PER_ROW = 2 * 1024 * 1024;

/** A scanned cell's share of MAX_SCANNED_PER_ROW: the result's columns that are scanned. */
function cellBoundFor(actions: ReadonlyMap<string, Action>): number {
  let scanned = 0;
  for (const action of actions.values()) if (action.kind === 'scan') scanned++;
  return Math.floor(MAX_SCANNED_PER_ROW / Math.max(1, scanned));
}

function scanCell(value: unknown, key: string, state: ColumnState, s: ResultState): unknown {
  const ctx = s.ctx;
  let masked: unknown;
  // Strings are nearly every cell: going straight to the text scan keeps this call site
  // monomorphic instead of passing through the type switch.
  if (typeof value === 'string') {
    if (state.instant && value.length === 24 && INSTANT_TEXT.test(value)) return value;
    if (value.length > s.cellBound) return withholdCell(key, s);
    if (state.decimal && DECIMAL_TEXT.test(value)) masked = scanIntegerPart(value, ctx);
    else if (state.memo.active && value.length >= MIN_REMEMBERED_LENGTH) masked = state.memo.scan(value, ctx);
    else masked = scanString(value, ctx);
  } else {
    ctx.work = 0;
    ctx.workLimit = s.cellBound;
    try {
      masked = scanValue(value, ctx);
    } catch (e) {
      if (!(e instanceof CellTooLarge)) throw e;
      return withholdCell(key, s);
    }
  }
  if (ctx.hits !== 0) countHits(key, state, s);
  return masked;
}

/** A cell too large to scan, withheld whole and counted as unproven. */
function withholdCell(key: string, s: ResultState): string {
  s.ctx.hits = 0;
  s.cellsMasked++;
  s.byClass[UNSCANNED_CLASS] = (s.byClass[UNSCANNED_CLASS] ?? 0) + 1;
  const column = reportKey(key);
  const had = s.columns[column];
  if (had === undefined || compareClasses(UNSCANNED_CLASS, had) < 0) s.columns[column] = UNSCANNED_CLASS;
  return REDACTED;
}

/** What a withheld, unscanned cell is reported as: its category `secret` is never unmasked. */
const UNSCANNED_CLASS = 'secret.unproven';

/** A decimal number's text with its integer part scanned and its fraction kept as it is. */
function scanIntegerPart(value: string, ctx: ScanContext): string | null {
  const dot = value.indexOf('.');
  const head = value.slice(0, dot);
  const masked = scanString(head, ctx);
  // A null operator (the cell goes null) holds for the whole cell, fraction and all.
  if (masked === null) return null;
  return masked === head ? value : `${masked}${value.slice(dot)}`;
}

/** Counts the classes a scanned cell held (`ctx.hits`), then clears them for the next cell. */
function countHits(key: string, state: ColumnState, s: ResultState): void {
  const ctx = s.ctx;
  const hits = ctx.hits;
  s.cellsMasked++;
  for (let bits = hits; bits !== 0; bits &= bits - 1) s.scanCounts[31 - Math.clz32(bits & -bits)]++;
  for (; s.ordered < ctx.order.length; s.ordered++) s.byClass[ctx.order[s.ordered]] ??= 0;
  // Built-in classes rank by bit: the lowest bit found is the most restrictive.
  if ((hits & ~state.found) !== 0) {
    state.found |= hits;
    s.columns[reportKey(key)] = firstClass(state.found);
  }
  ctx.hits = 0;
}

/**
 * Masks input[from...] into `rows` until done or until `until` (performance.now()) has
 * passed after a row; answers where it stopped.
 */
function maskRowsFrom(input: Row[], rows: Row[], from: number, s: ResultState, until: number): number {
  const { shapeKeys, shapeActions, shapeStates } = s;
  let column: string | undefined;
  let r = from;
  try {
    for (; r < input.length; r++) {
      const row = input[r];
      // Copy on first change only: clean rows are handed on as they are, never modified.
      let out: Row | undefined;
      let k = 0;
      for (const key in row) {
        column = key;
        if (shapeKeys[k] !== key) learnKey(s, k, key);
        const action = shapeActions[k];
        const state = shapeStates[k];
        k++;
        if (action.kind === 'clear') continue;
        const value = row[key];
        const masked = action.kind === 'mask' ? maskCell(value, action, s) : scanCell(value, key, state, s);
        if (masked !== value) {
          out ??= { ...row };
          setOwn(out, key, masked);
        }
      }
      rows[r] = out ?? row;
      if (until !== Number.POSITIVE_INFINITY && performance.now() > until) return r + 1;
    }
  } catch (e) {
    throw failed(e, column);
  }
  return r;
}

function finished(s: ResultState, rows: Row[]): { rows: Row[]; report: MaskingReport } {
  const { byClass, scanCounts } = s;
  for (let i = 0; i < scanCounts.length; i++) {
    if (scanCounts[i] !== 0) byClass[BUILTIN_CLASSES[i]] += scanCounts[i];
  }
  return { rows, report: { columns: s.columns, cellsMasked: s.cellsMasked, byClass } };
}

function maskResult(config: MaskerConfig, input: MaskResultInput): { rows: Row[]; report: MaskingReport } {
  const s = resultState(config, input);
  const rows: Row[] = new Array(input.rows.length);
  maskRowsFrom(input.rows, rows, 0, s, Number.POSITIVE_INFINITY);
  return finished(s, rows);
}

/**
 * Milliseconds of masking between two turns of the event loop. A result of large cells takes
 * seconds to scan; in slices, the requests that arrive meanwhile are still answered.
 */
export const MASK_SLICE_MS = 20;

async function maskResultInSlices(
  config: MaskerConfig,
  input: MaskResultInput,
): Promise<{ rows: Row[]; report: MaskingReport }> {
  const s = resultState(config, input);
  const rows: Row[] = new Array(input.rows.length);
  let from = 0;
  for (;;) {
    from = maskRowsFrom(input.rows, rows, from, s, performance.now() + config.sliceMs);
    if (from >= input.rows.length) return finished(s, rows);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function maskValue(config: MaskerConfig, value: unknown, dataClass: string): unknown {
  try {
    return applyToValue(value, config.operators.forClass(dataClass), config.tokenize);
  } catch (e) {
    throw failed(e, undefined);
  }
}

function maskText(config: MaskerConfig, text: string, unmasked: ReadonlySet<string>): string | null {
  try {
    return scanString(text, newScanContext(config.operators, config.tokenize, unmasked));
  } catch (e) {
    throw failed(e, undefined);
  }
}

export function createMasker(options: MaskerOptions = {}): Masker {
  const tokenize = options.tokenKey === undefined ? undefined : createTokenizer(options.tokenKey);
  const config: MaskerConfig = {
    operators: buildOperatorTable(options.operators ?? {}, tokenize !== undefined),
    tokenize,
    sliceMs: options.sliceMs ?? MASK_SLICE_MS,
  };
  return {
    maskResult: (input) => maskResult(config, input),
    maskResultInSlices: (input) => maskResultInSlices(config, input),
    maskValue: (value, dataClass) => maskValue(config, value, dataClass),
    maskText: (text, unmasked = new Set()) => maskText(config, text, unmasked),
  };
}
