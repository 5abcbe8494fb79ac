import type { ProvenanceFacts, StatementFacts } from '../types.js';

/**
 * Folds the provenance pass into the statement's facts: outputs by position with what each
 * reads, whole-row references counted as `SELECT *` of their tables, and the columns a
 * whole-row reference tests added to the predicate columns.
 */
export function withProvenance(facts: StatementFacts, provenance: ProvenanceFacts): StatementFacts {
  const starTables = [...new Set([...facts.starTables, ...provenance.wholeRowTables])].sort();
  return {
    ...facts,
    selectStar: facts.selectStar || provenance.wholeRowTables.length > 0,
    starTables,
    // A value that can make the statement fail is tested by it, as a filter would test it;
    // so is one it computes on, whose cost can depend on it.
    predicateColumns: [
      ...new Set([
        ...facts.predicateColumns,
        ...provenance.predicateColumns,
        ...provenance.failureColumns,
        ...provenance.computedColumns,
      ]),
    ].sort(),
    outputs: provenance.outputs.map((o) => ({ name: o.name, sources: o.sources, direct: o.direct })),
    provenance,
  };
}
