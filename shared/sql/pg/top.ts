import type { FactsCollector } from '../collector.js';
import { type Body, child, text } from './node.js';
import { constantTruth, constValue } from './truth.js';

/**
 * Facts about the outermost query only: its WHERE and its LIMIT. Set operations
 * (UNION...) have a WHERE only when every branch has one; one always-true branch is enough
 * to read everything.
 */
export function recordWhere(kind: string, body: Body, facts: FactsCollector): void {
  const wheres = branchWheres(kind, body);
  facts.hasWhere = wheres.length > 0 && wheres.every((w) => w !== undefined);
  facts.whereTriviallyTrue = wheres.some((w) => w !== undefined && constantTruth(w) === true);
}

function branchWheres(kind: string, body: Body, into: unknown[] = []): unknown[] {
  if (kind !== 'SelectStmt' || text(body, 'op') === 'SETOP_NONE' || text(body, 'op') === undefined) {
    if (kind === 'SelectStmt' || kind === 'UpdateStmt' || kind === 'DeleteStmt') into.push(body.whereClause);
    return into;
  }
  // Into one array: spreading each level's branches again is quadratic in a long UNION chain.
  branchWheres('SelectStmt', child(body, 'larg') ?? {}, into);
  return branchWheres('SelectStmt', child(body, 'rarg') ?? {}, into);
}

/** A constant LIMIT / FETCH FIRST; LIMIT ALL, parameters and expressions give null. */
export function recordLimit(body: Body, facts: FactsCollector): void {
  if (text(body, 'limitOption') !== 'LIMIT_OPTION_COUNT') return;
  const value = constValue(body.limitCount);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) facts.limit = Math.floor(value);
}
