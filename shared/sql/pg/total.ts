import { bodyOf, child } from './node.js';

/**
 * What cannot fail, whatever the data. A statement whose success depends on a masked value
 * tells the caller one bit of it per request (`1/(case when substr(ssn,1,1)='1' then 0 else
 * 1 end)` answers division by zero or a row), and so does a branch that chooses work that
 * can fail or take long. The provenance pass therefore counts a base column as tested when
 * its value reaches anything not named here, like a column in WHERE. This is an allowlist:
 * a function, cast or operator nobody reviewed can fail (overflow, bad input syntax, a
 * domain error, a NULL object key, an invalid pattern, an encoding) and is treated so.
 *
 * Every entry is total on every input of its argument types: errors that depend only on
 * the statement (a type mismatch) happen before any row is read, the same for every value.
 * A strict function is not called on NULL, so one that can fail on a constant argument
 * still reveals whether its data argument is NULL; such calls are total only when the
 * constant arguments are ones it never fails on.
 */

/** Functions total on any input, by name, with the argument counts reviewed. */
const TOTAL_FUNCTIONS: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['lower', [1, 1]],
  ['upper', [1, 1]],
  ['initcap', [1, 1]],
  ['length', [1, 1]],
  ['char_length', [1, 1]],
  ['character_length', [1, 1]],
  ['octet_length', [1, 1]],
  ['bit_length', [1, 1]],
  ['reverse', [1, 1]],
  ['translate', [3, 3]],
  ['replace', [3, 3]],
  ['md5', [1, 1]],
  ['concat', [0, 100]],
  ['concat_ws', [1, 100]],
  ['btrim', [1, 2]],
  ['ltrim', [1, 2]],
  ['rtrim', [1, 2]],
  ['strpos', [2, 2]],
  ['position', [2, 2]],
  ['starts_with', [2, 2]],
  ['quote_ident', [1, 1]],
  ['quote_literal', [1, 1]],
  ['quote_nullable', [1, 1]],
  ['num_nulls', [0, 100]],
  ['num_nonnulls', [0, 100]],
  ['to_json', [1, 1]],
  ['to_jsonb', [1, 1]],
  ['row_to_json', [1, 1]],
  ['json_build_array', [0, 100]],
  ['jsonb_build_array', [0, 100]],
  // Aggregates that only gather or compare what they are given.
  ['count', [0, 1]],
  ['min', [1, 1]],
  ['max', [1, 1]],
  ['array_agg', [1, 1]],
  ['string_agg', [2, 2]],
  ['json_agg', [1, 1]],
  ['jsonb_agg', [1, 1]],
  // Window functions that number rows or return one of them.
  ['row_number', [0, 0]],
  ['rank', [0, 0]],
  ['dense_rank', [0, 0]],
  ['percent_rank', [0, 0]],
  ['cume_dist', [0, 0]],
  ['first_value', [1, 1]],
  ['last_value', [1, 1]],
]);

/** Integer constant arguments a function never fails on, by position after the first. */
const CONSTANT_BOUNDS: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>> = new Map([
  // substr fails on a negative length only.
  [
    'substr',
    [
      [-1_000_000, 1_000_000],
      [0, 1_000_000],
    ],
  ],
  [
    'substring',
    [
      [-1_000_000, 1_000_000],
      [0, 1_000_000],
    ],
  ],
  ['left', [[-1_000_000, 1_000_000]]],
  ['right', [[-1_000_000, 1_000_000]]],
  // A bounded pad cannot reach the size limit.
  ['lpad', [[0, 10_000]]],
  ['rpad', [[0, 10_000]]],
]);

/** Casts that only print a value: every value of every type has a text form. */
const TOTAL_CASTS = new Set(['text', 'varchar', 'character varying']);

/** Comparisons (also as IN, NULLIF, IS DISTINCT FROM, ANY) and concatenation: no input makes them fail. */
const TOTAL_OPERATORS = new Set([
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '||',
  'BETWEEN',
  'NOT BETWEEN',
  'BETWEEN SYMMETRIC',
  'NOT BETWEEN SYMMETRIC',
]);

function integerConstant(arg: unknown): number | undefined {
  const ival = child(bodyOf(arg, 'A_Const'), 'ival');
  if (!ival) return undefined;
  // libpg-query leaves a zero ival out of the JSON.
  return typeof ival.ival === 'number' ? ival.ival : 0;
}

/** True when the call cannot fail on any value of its data arguments. */
export function isTotalCall(name: string, args: readonly unknown[]): boolean {
  const arity = TOTAL_FUNCTIONS.get(name);
  if (arity) return args.length >= arity[0] && args.length <= arity[1];
  const bounds = CONSTANT_BOUNDS.get(name);
  if (!bounds || args.length < 1 || args.length > bounds.length + 1) return false;
  return args.slice(1).every((arg, i) => {
    const n = integerConstant(arg);
    return n !== undefined && n >= bounds[i][0] && n <= bounds[i][1];
  });
}

export function isTotalCast(type: string, hasTypmod: boolean): boolean {
  return TOTAL_CASTS.has(type) && !hasTypmod;
}

/** LIKE and ILIKE fail only on a pattern that ends in its escape character. */
const LIKE_OPERATORS = new Set(['~~', '~~*', '!~~', '!~~*']);

function stringConstant(arg: unknown): string | undefined {
  const sval = child(bodyOf(arg, 'A_Const'), 'sval');
  if (!sval) return undefined;
  return typeof sval.sval === 'string' ? sval.sval : '';
}

/** True when the operator cannot fail on any value of its operands; `right` is its right operand. */
export function isTotalOperator(op: string, right: unknown): boolean {
  if (TOTAL_OPERATORS.has(op)) return true;
  if (!LIKE_OPERATORS.has(op)) return false;
  const pattern = stringConstant(right);
  return pattern !== undefined && (pattern.match(/\\*$/)?.[0].length ?? 0) % 2 === 0;
}
