import type { ShapeCounter } from '../shape.js';

const RELATIONS = new Set([
  'RangeVar',
  'RangeFunction',
  'RangeSubselect',
  'RangeTableFunc',
  'RangeTableSample',
]);
const SET_OPERATIONS = new Set(['SETOP_UNION', 'SETOP_INTERSECT', 'SETOP_EXCEPT']);

/**
 * What the shape check counts in a libpg-query tree: node wrappers (`{ "RangeVar": {...} }`)
 * name relations, CTEs and subqueries; a SELECT body whose `op` is a set operation is one
 * UNION, INTERSECT or EXCEPT (bodies under `larg` and `rarg` come without a wrapper).
 */
export const PG_SHAPE: ShapeCounter = {
  classify(value) {
    const op = value.op;
    if (typeof op === 'string' && SET_OPERATIONS.has(op)) return 'setOperations';
    let only: string | undefined;
    for (const key in value) {
      if (only !== undefined) return undefined;
      only = key;
    }
    if (only === undefined) return undefined;
    if (RELATIONS.has(only)) return 'relations';
    if (only === 'CommonTableExpr') return 'ctes';
    if (only === 'SubLink') return 'subqueries';
    return undefined;
  },
};
