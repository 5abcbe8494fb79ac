import { GatewayError } from '../errors.js';
import type { Row } from '../types.js';
import { applyToValue, REDACTED } from './apply.js';
import { BUILTIN_CLASSES, compareClasses } from './classes.js';
import { ColumnMemo, MIN_REMEMBERED_LENGTH } from './memo.js';
import { buildOperatorTable, type Operator, type OperatorTable, revealRank } from './operators.js';
import { firstClass, newScanContext, scanString, scanValue, setOwn } from './scan.js';
import { createTokenizer } from './token.js';
import type { ColumnPlan, Masker, MaskerOptions, MaskingReport, MaskResultInput } from './types.js';

/**
 * The masker: built once from configuration (operator specs checked, key loaded), then
 * applied to each result. Classified columns are masked whole; every other value, including
 * keys the plan does not know, is content-scanned. Any failure withholds the whole result.
 */

type Action = { kind: 'clear' } | { kind: 'mask'; dataClass: string; op: Operator } | { kind: 'scan' };

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
}

function failed(cause: unknown, column: string | undefined): GatewayError {
  return new GatewayError('masking_failed', 'Masking failed; the result was withheld.', {
    cause,
    details: column === undefined ? undefined : { column },
  });
}

export function createMasker(options: MaskerOptions = {}): Masker {
  const tokenize = options.tokenKey === undefined ? undefined : createTokenizer(options.tokenKey);
  const operators = buildOperatorTable(options.operators ?? {}, tokenize !== undefined);

  function maskResult(input: MaskResultInput): { rows: Row[]; report: MaskingReport } {
    const actions = actionsFor(input.plan, input.unmasked, operators);
    for (const c of input.columns) if (!actions.has(c.name)) actions.set(c.name, SCAN);
    const ctx = newScanContext(operators, tokenize, input.unmasked);
    const byClass: Record<string, number> = {};
    const columns: Record<string, string> = {};
    for (const [name, action] of actions) if (action.kind === 'mask') columns[name] = action.dataClass;
    // Driver rows share one key order; remembering it turns the per-cell map lookup into a
    // string identity check. A row with other keys just falls back to the map.
    const shapeKeys: string[] = [];
    const shapeActions: Action[] = [];
    const states = new Map<string, ColumnState>();
    const shapeStates: ColumnState[] = [];
    // Scanned cells per built-in class, added to `byClass` at the end; the keys are put in
    // when a class is first found, so `byClass` lists classes in the order they were met.
    const scanCounts = new Int32Array(BUILTIN_CLASSES.length);
    let ordered = 0;
    let cellsMasked = 0;
    let column: string | undefined;
    const rows: Row[] = new Array(input.rows.length);
    try {
      for (let r = 0; r < input.rows.length; r++) {
        const row = input.rows[r];
        // Copy on first change only: clean rows are handed on as they are, never modified.
        let out: Row | undefined;
        let k = 0;
        for (const key in row) {
          column = key;
          let action: Action;
          if (shapeKeys[k] === key) action = shapeActions[k];
          else {
            action = actions.get(key) ?? SCAN;
            shapeKeys[k] = key;
            shapeActions[k] = action;
            let state = states.get(key);
            if (state === undefined) {
              state = { memo: new ColumnMemo(), found: 0 };
              states.set(key, state);
            }
            shapeStates[k] = state;
          }
          const state = shapeStates[k];
          k++;
          if (action.kind === 'clear') continue;
          const value = row[key];
          let masked: unknown;
          if (action.kind === 'mask') {
            // A derived value redacted whole hides even whether it was NULL: NULL against
            // [REDACTED] would be a yes/no answer about the masked column.
            masked = action.op === REDACT_WHOLE ? REDACTED : applyToValue(value, action.op, tokenize);
            if (value !== null && value !== undefined) {
              cellsMasked++;
              byClass[action.dataClass] = (byClass[action.dataClass] ?? 0) + 1;
            }
          } else {
            // Strings are nearly every cell: going straight to the text scan keeps this call site
            // monomorphic instead of passing through the type switch.
            if (typeof value !== 'string') masked = scanValue(value, ctx);
            else if (state.memo.active && value.length >= MIN_REMEMBERED_LENGTH)
              masked = state.memo.scan(value, ctx);
            else masked = scanString(value, ctx);
            const hits = ctx.hits;
            if (hits !== 0) {
              cellsMasked++;
              for (let bits = hits; bits !== 0; bits &= bits - 1) scanCounts[31 - Math.clz32(bits & -bits)]++;
              for (; ordered < ctx.order.length; ordered++) byClass[ctx.order[ordered]] ??= 0;
              // Built-in classes rank by bit: the lowest bit found is the most restrictive.
              if ((hits & ~state.found) !== 0) {
                state.found |= hits;
                columns[key] = firstClass(state.found);
              }
              ctx.hits = 0;
            }
          }
          if (masked !== value) {
            out ??= { ...row };
            setOwn(out, key, masked);
          }
        }
        rows[r] = out ?? row;
      }
    } catch (e) {
      throw failed(e, column);
    }
    for (let i = 0; i < scanCounts.length; i++) {
      if (scanCounts[i] !== 0) byClass[BUILTIN_CLASSES[i]] += scanCounts[i];
    }
    return { rows, report: { columns, cellsMasked, byClass } };
  }

  function maskValue(value: unknown, dataClass: string): unknown {
    try {
      return applyToValue(value, operators.forClass(dataClass), tokenize);
    } catch (e) {
      throw failed(e, undefined);
    }
  }

  function maskText(text: string, unmasked: ReadonlySet<string> = new Set()): string | null {
    try {
      return scanString(text, newScanContext(operators, tokenize, unmasked));
    } catch (e) {
      throw failed(e, undefined);
    }
  }

  return { maskResult, maskValue, maskText };
}
