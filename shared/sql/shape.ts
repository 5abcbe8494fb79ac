import { GatewayError } from '../errors.js';

/**
 * Bounds on a parse tree's shape, checked in one iterative pass before anything walks the tree
 * recursively or sends the statement to the target. The size cap bounds the parser; it does
 * not bound what comes after it:
 * - the analysis visits a node once per level above it in places, so its cost grows with the
 *   tree's depth times its size (red-team round 18: 5,200 `union all` terms, 99 KB, held the
 *   event loop for 8 s, and the whole gateway with it, before the depth refusal);
 * - the planner's search grows with the relations and CTEs it must place (a 2,000-way
 *   self-join or a chain of 3,000 CTEs never finished EXPLAIN, holding a connection to the
 *   statement timeout).
 * Every limit is far above what an ordinary read needs: a report that joins twenty tables, a
 * union of a dozen branches, a 5,000-value IN list (15,000 nodes, 10 levels deep) all pass.
 */
export const STATEMENT_SHAPE_LIMITS = {
  /** Nesting of the parse tree's objects: about 2 per chained operator, 3 per subquery. */
  depth: 500,
  /** The sum over all nodes of their depth: the work of a pass that revisits each level. */
  pathLength: 1_500_000,
  /** Tables, functions, subqueries and table samples in FROM clauses, in the whole statement. */
  relations: 64,
  /** WITH entries in the whole statement. */
  ctes: 32,
  /** UNION, INTERSECT and EXCEPT operators in the whole statement. */
  setOperations: 127,
  /** Subqueries in expressions (IN, EXISTS, ANY, scalar). */
  subqueries: 64,
} as const;

export type ShapeLimit = keyof typeof STATEMENT_SHAPE_LIMITS;

/** How a dialect's tree names the things that are counted; anything else only adds to depth. */
export interface ShapeCounter {
  /** Which counted thing this object is, if any. */
  classify(value: Readonly<Record<string, unknown>>): Exclude<ShapeLimit, 'depth' | 'pathLength'> | undefined;
}

const WORDS: Record<ShapeLimit, string> = {
  depth: 'is nested more deeply',
  pathLength: 'is larger and more deeply nested',
  relations: 'reads more tables, functions or subqueries in FROM',
  ctes: 'defines more WITH queries',
  setOperations: 'combines more queries with UNION, INTERSECT or EXCEPT',
  subqueries: 'has more subqueries in expressions',
};

function refuse(limit: ShapeLimit): never {
  const max = STATEMENT_SHAPE_LIMITS[limit];
  throw new GatewayError(
    'statement_refused',
    `The statement ${WORDS[limit]} than the gateway analyses (at most ${max}); split it into smaller statements.`,
    { details: { limit, max } },
  );
}

/**
 * Walks the tree with an explicit stack (so no input can overflow ours) and refuses it as
 * soon as one bound is passed, so a refused tree costs no more than the bound.
 */
export function checkStatementShape(tree: unknown, counter: ShapeCounter): void {
  const counts = { relations: 0, ctes: 0, setOperations: 0, subqueries: 0 };
  let pathLength = 0;
  const stack: Array<[unknown, number]> = [[tree, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (depth > STATEMENT_SHAPE_LIMITS.depth) refuse('depth');
    pathLength += depth;
    if (pathLength > STATEMENT_SHAPE_LIMITS.pathLength) refuse('pathLength');
    const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
    if (!Array.isArray(value)) {
      const kind = counter.classify(value as Record<string, unknown>);
      if (kind !== undefined) {
        counts[kind] += 1;
        if (counts[kind] > STATEMENT_SHAPE_LIMITS[kind]) refuse(kind);
      }
    }
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, depth + 1]);
  }
}
