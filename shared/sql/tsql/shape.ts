import type { ShapeCounter } from '../shape.js';

/**
 * What the shape check counts in a node-sql-parser (T-SQL) tree: a FROM item names a `table`
 * (a column reference also does, and is not one); a subquery is an `ast` with its `tableList`;
 * a WITH entry has a `name` and a `stmt`; a set operation is a `set_op` joining `_next`.
 */
export const TSQL_SHAPE: ShapeCounter = {
  classify(value) {
    if (typeof value.set_op === 'string' && value.set_op !== '') return 'setOperations';
    if ('stmt' in value && 'name' in value) return 'ctes';
    if ('ast' in value && 'tableList' in value) return 'subqueries';
    if (typeof value.table === 'string' && value.type !== 'column_ref' && 'as' in value) return 'relations';
    return undefined;
  },
};
