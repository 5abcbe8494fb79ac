import type { ContextValue, StatementFacts } from '../types.js';

export interface QueryContextExtra {
  /** Engine estimate of the rows the statement returns; null when unknown. */
  estimatedRows: number | null;
  requestedMaxRows: number;
  purpose?: string;
  now: Date;
  predicateOnMasked: boolean;
  maskedColumnsInPredicates: string[];
  onBehalfOf: boolean;
  /** Tables and columns read that the connection does not expose. */
  unexposed?: string[];
  /** Where `estimatedRows` comes from. */
  rowsSource?: 'none' | 'estimate' | 'actual';
  /** How the statement came (`rest`, `mcp`); empty when it is decided apart from a request. */
  transport?: string;
}

/**
 * The context record of `query` and `export`, exactly as `QueryContext` in the schema.
 * Unknowns get the sentinels the schema documents (limit 0, estimatedRows -1, purpose ''),
 * because Cedar records here have no optional attributes.
 */
export function queryContext(facts: StatementFacts, extra: QueryContextExtra): Record<string, ContextValue> {
  return {
    effect: facts.effect,
    statementCount: toLong(facts.statementCount, 0),
    tables: unique(facts.tables),
    functions: unique(facts.functions),
    dangerousFunctions: unique(facts.dangerousFunctions),
    selectStar: facts.selectStar,
    starTables: unique(facts.starTables),
    hasWhere: facts.hasWhere,
    whereTriviallyTrue: facts.whereTriviallyTrue,
    hasLimit: facts.limit !== null,
    limit: facts.limit === null ? 0 : toLong(facts.limit, 0),
    into: facts.into,
    estimatedRows: extra.estimatedRows === null ? -1 : toLong(extra.estimatedRows, -1),
    requestedMaxRows: toLong(extra.requestedMaxRows, 0),
    predicateOnMasked: extra.predicateOnMasked,
    maskedColumnsInPredicates: unique(extra.maskedColumnsInPredicates),
    purpose: extra.purpose ?? '',
    hour: extra.now.getUTCHours(),
    onBehalfOf: extra.onBehalfOf,
    unexposed: unique(extra.unexposed ?? []),
    violations: unique((facts.provenance?.violations ?? []).map((v) => v.rule)),
    rowPreserving: facts.provenance?.rowPreserving ?? false,
    rowsSource: extra.rowsSource ?? (extra.estimatedRows === null ? 'none' : 'estimate'),
    transport: extra.transport ?? '',
  };
}

/**
 * Cedar Longs are integers. Estimates round up (a larger estimate is the cautious one);
 * a value that is not a finite number becomes the schema's "unknown" sentinel.
 */
function toLong(value: number, unknown: number): number {
  if (!Number.isFinite(value)) return unknown;
  return Math.min(Math.max(Math.ceil(value), Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
