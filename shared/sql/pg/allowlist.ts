import { isDangerousFunction } from './dangerous.js';

/**
 * What an agent's statement may call on PostgreSQL, in one reviewed place. Anything not
 * named here is refused, so a function nobody thought about (a new extension, a catalog
 * helper, something that runs SQL text) never runs for an agent. Nothing that runs SQL
 * text, touches files, large objects, locks, settings, other backends or sleeps is here,
 * and the dangerous list in `dangerous.ts` can never be allowed back by a connection.
 *
 * The kind says how a call shapes provenance and volume:
 * - scalar: one value from its arguments (a derived value);
 * - count: a number that reveals no argument value;
 * - summary: one value summarising many rows (sum, min, ...);
 * - collection: many rows' values carried in one cell (string_agg, array_agg, ...);
 * - ordered: an ordered-set aggregate whose value is one of the sorted inputs;
 * - window: a window function over the rows of a partition;
 * - srf: returns a set of rows.
 */
export type FunctionKind = 'scalar' | 'count' | 'summary' | 'collection' | 'ordered' | 'window' | 'srf';

const SCALAR = [
  // strings
  'lower',
  'upper',
  'initcap',
  'length',
  'char_length',
  'character_length',
  'octet_length',
  'bit_length',
  'substr',
  'substring',
  'left',
  'right',
  'lpad',
  'rpad',
  'ltrim',
  'rtrim',
  'btrim',
  'replace',
  'translate',
  'reverse',
  'repeat',
  'concat',
  'concat_ws',
  'format',
  'position',
  'strpos',
  'split_part',
  'starts_with',
  'overlay',
  'md5',
  'ascii',
  'chr',
  'quote_ident',
  'quote_literal',
  'quote_nullable',
  'regexp_replace',
  'regexp_match',
  'regexp_like',
  'regexp_count',
  'regexp_instr',
  'regexp_substr',
  'string_to_array',
  'array_to_string',
  'to_hex',
  'encode',
  'decode',
  'convert_to',
  'convert_from',
  'normalize',
  'is_normalized',
  'similar_to_escape',
  'sha256',
  'sha512',
  // numbers
  'abs',
  'ceil',
  'ceiling',
  'floor',
  'round',
  'trunc',
  'sign',
  'mod',
  'power',
  'pow',
  'sqrt',
  'cbrt',
  'exp',
  'ln',
  'log',
  'log10',
  'div',
  'width_bucket',
  'pi',
  'degrees',
  'radians',
  'gcd',
  'lcm',
  'scale',
  'random',
  // formatting and conversion
  'to_char',
  'to_number',
  'to_date',
  'to_timestamp',
  // dates and times (no clock_timestamp/timeofday: they time the statement itself)
  'now',
  'date_trunc',
  'date_part',
  'extract',
  'date_bin',
  'age',
  'make_date',
  'make_time',
  'make_timestamp',
  'make_timestamptz',
  'make_interval',
  'justify_days',
  'justify_hours',
  'justify_interval',
  'isfinite',
  'timezone',
  // conditionals
  'num_nulls',
  'num_nonnulls',
  // JSON builders and accessors
  'json_build_object',
  'jsonb_build_object',
  'json_build_array',
  'jsonb_build_array',
  'to_json',
  'to_jsonb',
  'row_to_json',
  'array_to_json',
  'json_object',
  'jsonb_object',
  'json_extract_path',
  'json_extract_path_text',
  'jsonb_extract_path',
  'jsonb_extract_path_text',
  'json_typeof',
  'jsonb_typeof',
  'json_array_length',
  'jsonb_array_length',
  'jsonb_strip_nulls',
  'json_strip_nulls',
  'jsonb_pretty',
  'jsonb_set',
  'jsonb_insert',
  // arrays
  'array_length',
  'cardinality',
  'array_position',
  'array_positions',
  'array_append',
  'array_prepend',
  'array_cat',
  'array_remove',
  'array_replace',
  'array_upper',
  'array_lower',
  'array_ndims',
  // identifiers
  'gen_random_uuid',
] as const;

/** Summarising aggregates (exported for shared/sql/row-carriers.ts). */
export const SUMMARY = [
  'sum',
  'avg',
  'min',
  'max',
  'bool_and',
  'bool_or',
  'every',
  'bit_and',
  'bit_or',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'corr',
  'covar_pop',
  'covar_samp',
  'regr_avgx',
  'regr_avgy',
  'regr_count',
  'regr_intercept',
  'regr_r2',
  'regr_slope',
  'regr_sxx',
  'regr_sxy',
  'regr_syy',
] as const;

export const COLLECTION = [
  'array_agg',
  'string_agg',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
] as const;

export const ORDERED = ['percentile_cont', 'percentile_disc', 'mode'] as const;

const WINDOW = [
  'row_number',
  'rank',
  'dense_rank',
  'percent_rank',
  'cume_dist',
  'ntile',
  'lag',
  'lead',
  'first_value',
  'last_value',
  'nth_value',
] as const;

const SRF = [
  'unnest',
  'generate_series',
  'generate_subscripts',
  'json_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements',
  'jsonb_array_elements_text',
  'json_each',
  'json_each_text',
  'jsonb_each',
  'jsonb_each_text',
  'json_object_keys',
  'jsonb_object_keys',
  'regexp_split_to_table',
  'regexp_matches',
  'string_to_table',
] as const;

const BUILTIN: ReadonlyMap<string, FunctionKind> = new Map<string, FunctionKind>([
  ...SCALAR.map((n) => [n, 'scalar'] as const),
  ['count', 'count'],
  ...SUMMARY.map((n) => [n, 'summary'] as const),
  ...COLLECTION.map((n) => [n, 'collection'] as const),
  ...ORDERED.map((n) => [n, 'ordered'] as const),
  ...WINDOW.map((n) => [n, 'window'] as const),
  ...SRF.map((n) => [n, 'srf'] as const),
]);

/** Output column names of set-returning functions in FROM that return more than one column. */
export const SRF_COLUMNS: ReadonlyMap<string, readonly string[]> = new Map([
  ['json_each', ['key', 'value']],
  ['json_each_text', ['key', 'value']],
  ['jsonb_each', ['key', 'value']],
  ['jsonb_each_text', ['key', 'value']],
]);

/**
 * Types a cast may name. A cast runs the type's input and output functions (and, for a type
 * someone created, a function they wrote), so it is an allowlist like the functions.
 */
const CAST_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'smallint',
  'integer',
  'int',
  'bigint',
  'numeric',
  'decimal',
  'float4',
  'float8',
  'real',
  'double precision',
  'text',
  'varchar',
  'bpchar',
  'char',
  'character',
  'character varying',
  'bool',
  'boolean',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'json',
  'jsonb',
  'bytea',
]);

/** Operators an agent may use: arithmetic, comparison, text, pattern, JSON and array. */
const OPERATORS = new Set([
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '|/',
  '||/',
  '@',
  '&',
  '|',
  '#',
  '~',
  '<<',
  '>>',
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '||',
  '~~',
  '~~*',
  '!~~',
  '!~~*',
  '~*',
  '!~',
  '!~*',
  '->',
  '->>',
  '#>',
  '#>>',
  '@>',
  '<@',
  '?',
  '?|',
  '?&',
  '&&',
  '#-',
  'BETWEEN',
  'NOT BETWEEN',
  'BETWEEN SYMMETRIC',
  'NOT BETWEEN SYMMETRIC',
]);

export function isAllowedOperator(name: string): boolean {
  return OPERATORS.has(name);
}

export function isAllowedCastType(name: string): boolean {
  return CAST_TYPES.has(name);
}

export interface FunctionOverrides {
  /** Extra functions this connection allows (schema-qualified for functions outside pg_catalog). */
  allow?: Readonly<Record<string, FunctionKind>>;
  /** Functions this connection refuses although the shipped list allows them. */
  deny?: readonly string[];
}

/** The function list of one connection: the shipped list, its overrides, never the dangerous ones. */
export interface FunctionPolicy {
  kindOf(name: string): FunctionKind | undefined;
}

export function functionPolicy(overrides: FunctionOverrides = {}): FunctionPolicy {
  const deny = new Set((overrides.deny ?? []).map((n) => n.toLowerCase()));
  const allow = new Map(Object.entries(overrides.allow ?? {}));
  for (const name of allow.keys()) {
    if (isDangerousFunction(name)) throw new TypeError(`function ${name} can never be allowed for agents`);
  }
  return {
    kindOf(name) {
      // Exact: a quoted "UPPER" is another function than upper to PostgreSQL.
      const n = name.toLowerCase();
      if (deny.has(n) || isDangerousFunction(n)) return undefined;
      return allow.get(name) ?? BUILTIN.get(name);
    },
  };
}

export const DEFAULT_FUNCTIONS: FunctionPolicy = functionPolicy();
