import { asNode, isBody } from './node.js';

/** Byte offsets say where text was, not what it means; they must not affect comparisons. */
const POSITION_KEYS = new Set([
  'location',
  'stmt_location',
  'stmt_len',
  'rexpr_list_start',
  'rexpr_list_end',
]);

/**
 * Deterministic text of a parse (sub)tree without source positions. With `constants`
 * set to false every literal becomes one placeholder, which is what makes a fingerprint
 * stable across constant values while still telling tables and shapes apart.
 */
export function canonical(value: unknown, options: { constants: boolean }): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, options)).join(',')}]`;
  if (!isBody(value)) return JSON.stringify(value) ?? 'null';
  if (!options.constants && asNode(value)?.kind === 'A_Const') return '"$const"';
  const keys = Object.keys(value)
    .filter((k) => !POSITION_KEYS.has(k))
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k], options)}`).join(',')}}`;
}
