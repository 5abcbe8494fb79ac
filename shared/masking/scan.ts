import { setOwn } from '../own-property.js';
import { applyToString, applyToValue, isBinary } from './apply.js';
import { BUILTIN_CLASSES, builtinIndex, compareClasses } from './classes.js';
import { detect } from './detect/detect.js';
import { isSecretKeyName } from './detect/pairs.js';
import type { Finding } from './detect/span.js';
import type { Operator, OperatorTable } from './operators.js';
import { classByName } from './suggest.js';
import type { Tokenize } from './token.js';
import type { Span } from './types.js';

/**
 * Content masking of unclassified cells: strings are scanned by the detectors, JSON values are
 * walked (and members whose key names a secret are masked whole), long integers are checked
 * for card numbers. Unchanged values are returned as they are, so clean cells cost no copy.
 */
export interface ScanContext {
  operators: OperatorTable;
  tokenize: Tokenize | undefined;
  /** Classes the caller may see in clear. */
  unmasked: ReadonlySet<string>;
  /**
   * Classes found in the current cell, one bit per index in `BUILTIN_CLASSES` (detectors only
   * report built-in classes); the caller resets it per cell. A number, not a list: a list
   * cost an allocation per masked cell.
   */
  hits: number;
  /** Every class found so far in the result, as bits, and in the order first found. */
  seen: number;
  order: string[];
  /** Operator per index in `BUILTIN_CLASSES`, looked up once rather than per finding. */
  builtinOps: Operator[];
  /**
   * Work on the current JSON value (characters of its strings and keys, one per member):
   * past `workLimit` the scan stops with CellTooLarge. The caller resets `work` per cell.
   */
  work: number;
  workLimit: number;
}

/** A value too large to scan within its bound: the caller withholds it whole. */
export class CellTooLarge extends Error {
  constructor() {
    super('value too large to scan');
  }
}

const REDACT: Operator = { kind: 'redact' };

/**
 * What a class's operator becomes for a span the scan found. The scanned text may be the
 * caller's own (a constant, a value it computed): a token of it, the same as the column's
 * token of the same value, would let it build a dictionary of tokens from names it guesses
 * (`select 'Ana Silva <a@b.co>'`). A token is the one operator whose output can be compared
 * that way, so found spans are redacted instead.
 */
function scanOperator(op: Operator): Operator {
  return op.kind === 'token' ? REDACT : op;
}

export function newScanContext(
  operators: OperatorTable,
  tokenize: Tokenize | undefined,
  unmasked: ReadonlySet<string>,
): ScanContext {
  const builtinOps = BUILTIN_CLASSES.map((c) => scanOperator(operators.forClass(c)));
  return {
    operators,
    tokenize,
    unmasked,
    hits: 0,
    seen: 0,
    order: [],
    builtinOps,
    work: 0,
    workLimit: Number.POSITIVE_INFINITY,
  };
}

function classIndex(dataClass: string): number {
  const i = builtinIndex(dataClass);
  if (i < 0) throw new TypeError(`not a built-in data class: ${dataClass}`);
  return i;
}

/** Class of the lowest bit set in `bits`: the most restrictive one. */
export function firstClass(bits: number): string {
  return BUILTIN_CLASSES[31 - Math.clz32(bits & -bits)];
}

/** JSON nested deeper than this is refused rather than half-scanned. */
const MAX_DEPTH = 64;
/** Card numbers need 13 digits; smaller integers cannot hold anything we detect. */
const MIN_SCANNED_INTEGER = 1e12;

function hit(ctx: ScanContext, dataClass: string, index = classIndex(dataClass)): void {
  const bit = 1 << index;
  ctx.hits |= bit;
  if ((ctx.seen & bit) === 0) {
    ctx.seen |= bit;
    ctx.order.push(dataClass);
  }
}

/** Most callers may see nothing in clear: the empty set is not asked. */
function visible(ctx: ScanContext, dataClass: string): boolean {
  return ctx.unmasked.size !== 0 && ctx.unmasked.has(dataClass);
}

/**
 * The operator for a span. One found through a disguise (spaced-out, reversed, encoded,
 * other digits) is not in its printed form: the part `partial` or `email` would show might
 * be the wrong part (a reversed card's first digits, an encoded card's text), so it is
 * redacted instead. Operators that show nothing of the value stay as configured.
 */
function operatorFor(span: Span, ctx: ScanContext, index: number): Operator {
  const op = ctx.builtinOps[index];
  if ((span as Finding).disguised !== true) return op;
  return op.kind === 'partial' || op.kind === 'email' ? REDACT : op;
}

/** Text with detected spans replaced; null when an operator of a span is `null`. */
export function scanString(text: string, ctx: ScanContext): string | null {
  const spans = detect(text);
  if (spans.length === 0) return text;
  // A cell that is one finding end to end (an address column, an IP column) needs no splicing.
  if (spans.length === 1 && spans[0].start === 0 && spans[0].end === text.length) {
    const dataClass = spans[0].dataClass;
    if (visible(ctx, dataClass)) return text;
    const index = classIndex(dataClass);
    hit(ctx, dataClass, index);
    return applyToString(text, operatorFor(spans[0], ctx, index), ctx.tokenize);
  }
  let out = '';
  let last = 0;
  for (const span of spans) {
    if (visible(ctx, span.dataClass)) continue;
    const index = classIndex(span.dataClass);
    const replaced = applyToString(
      text.slice(span.start, span.end),
      operatorFor(span, ctx, index),
      ctx.tokenize,
    );
    hit(ctx, span.dataClass, index);
    if (replaced === null) return null;
    out += text.slice(last, span.start) + replaced;
    last = span.end;
  }
  return last === 0 ? text : out + text.slice(last);
}

const utf8 = new TextDecoder('utf-8');

/**
 * Bytes are read as UTF-8 (bad sequences become U+FFFD) so text stored as bytea or varbinary
 * is scanned too. Part of a byte string cannot be masked safely, so a finding redacts the
 * whole cell, with the operator of the most restrictive class found.
 */
function scanBinary(value: ArrayBuffer | ArrayBufferView, ctx: ScanContext): unknown {
  const bytes =
    value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (bytes.byteLength < 3) return value;
  let worst: string | undefined;
  for (const span of detect(utf8.decode(bytes))) {
    if (visible(ctx, span.dataClass)) continue;
    hit(ctx, span.dataClass);
    if (worst === undefined || compareClasses(span.dataClass, worst) < 0) worst = span.dataClass;
  }
  return worst === undefined ? value : applyToValue(value, ctx.operators.forClass(worst), ctx.tokenize);
}

function maskSecretMember(value: unknown, ctx: ScanContext): unknown {
  if (ctx.unmasked.has('secret') || value === null || value === '' || typeof value === 'object')
    return undefined;
  hit(ctx, 'secret');
  return applyToValue(value, ctx.operators.forClass('secret'), ctx.tokenize);
}

/**
 * A member whose key says what it holds (`"ssn": "536221234"`, `"phone": 2065550123`): a bare
 * nine or ten digits have no shape the detectors can tell from any other number, and the key is
 * the context a text would have written before them (red-team round 40). Masked as that class
 * unless the caller may see it; objects and empty values are scanned as any other.
 */
function namedMember(key: string, value: unknown, ctx: ScanContext): unknown {
  if (value === null || value === '' || typeof value === 'object' || typeof value === 'boolean')
    return undefined;
  const dataClass = keyClass(key);
  if (dataClass === undefined || ctx.unmasked.has(dataClass)) return undefined;
  const masked = applyToValue(value, ctx.operators.forClass(dataClass), ctx.tokenize);
  // Already masked as that (a classified path the blob reader masked first): counted once.
  if (masked === value) return undefined;
  hit(ctx, dataClass);
  return masked;
}

const KEY_CLASSES = new Map<string, string | undefined>();

/** The class a JSON key names, remembered per key (keys repeat across a result's rows). */
function keyClass(key: string): string | undefined {
  if (key.length > 64) return undefined;
  if (!KEY_CLASSES.has(key)) {
    if (KEY_CLASSES.size > 10_000) KEY_CLASSES.clear();
    KEY_CLASSES.set(key, classByName(key));
  }
  return KEY_CLASSES.get(key);
}

function scanObject(value: object, ctx: ScanContext, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new RangeError('JSON value nested too deeply to scan');
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      spend(ctx, 1);
      const masked = scanValue(item, ctx, depth + 1);
      if (masked !== item) {
        copy ??= value.slice();
        copy[i] = masked;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Keys holding a finding, by position, and their placeholders: `[redacted:n]`, counting up
  // past any key the object already has, so keys stay unique.
  let renamed: Map<number, string> | undefined;
  let counter = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = record[key];
    spend(ctx, 1 + key.length);
    let masked = isSecretKeyName(key) ? maskSecretMember(item, ctx) : namedMember(key, item, ctx);
    if (masked === undefined) masked = scanValue(item, ctx, depth + 1);
    if (masked !== item) {
      copy ??= { ...record };
      setOwn(copy, key, masked);
    }
    if (keyHasFinding(key, ctx)) {
      renamed ??= new Map();
      let placeholder: string;
      do placeholder = `[redacted:${++counter}]`;
      while (Object.hasOwn(record, placeholder));
      renamed.set(i, placeholder);
    }
  }
  if (renamed === undefined) return copy ?? value;
  // Keys are rebuilt in their order, the masked ones under their placeholders.
  const values = copy ?? record;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) setOwn(out, renamed.get(i) ?? keys[i], values[keys[i]]);
  return out;
}

/**
 * True when a JSON key holds a finding the caller may not see (counted like one in a value).
 * Part of a key cannot be masked safely (the masked forms of two keys may clash), so such a
 * key is replaced whole.
 */
function keyHasFinding(key: string, ctx: ScanContext): boolean {
  let found = false;
  for (const span of detect(key)) {
    if (visible(ctx, span.dataClass)) continue;
    hit(ctx, span.dataClass);
    found = true;
  }
  return found;
}

function spend(ctx: ScanContext, work: number): void {
  ctx.work += work;
  if (ctx.work > ctx.workLimit) throw new CellTooLarge();
}

export function scanValue(value: unknown, ctx: ScanContext, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
      spend(ctx, value.length);
      return scanString(value, ctx);
    case 'number': {
      if (!(Math.abs(value) >= MIN_SCANNED_INTEGER)) return value;
      // A fraction does not hide the integer part: `4111111111111111.5` is a card (round 36).
      const text =
        Number.isInteger(value) || Math.abs(value) >= 1e21 ? String(value) : String(Math.trunc(value));
      const masked = scanString(text, ctx);
      return masked === text ? value : masked;
    }
    case 'bigint': {
      const text = value.toString();
      if (text.length < 13) return value;
      const masked = scanString(text, ctx);
      return masked === text ? value : masked;
    }
    case 'boolean':
    case 'undefined':
      return value;
    case 'object':
      // A Date's text is a timestamp, which no detector reports.
      if (value === null || value instanceof Date) return value;
      if (isBinary(value)) return scanBinary(value, ctx);
      return scanObject(value, ctx, depth);
    default:
      throw new TypeError(`cannot scan a value of type ${typeof value}`);
  }
}
