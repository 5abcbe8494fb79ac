import type { Effect, Engine, OutputColumn, StatementFacts } from '../types.js';
import { worstEffect } from './effect.js';
import { type CallShape, countCarrier, type RowCarriers } from './row-carriers.js';

/**
 * Accumulates what an engine's walk finds. Both analysers fill one of these so the two
 * engines cannot drift apart in how facts are shaped, ordered or de-duplicated.
 */
export class FactsCollector {
  effect: Effect = 'read';
  statementKinds: string[] = [];
  selectStar = false;
  hasWhere = false;
  whereTriviallyTrue = false;
  limit: number | null = null;
  into = false;
  outputs: OutputColumn[] = [];
  paramCount = 0;
  private readonly tables = new Set<string>();
  private readonly columns = new Map<string, Set<string>>();
  private readonly functions = new Set<string>();
  private readonly dangerous = new Set<string>();
  private readonly starTables = new Set<string>();
  private readonly predicates = new Set<string>();
  /** Calls that may give a result row another row's value (see row-carriers.ts). */
  private readonly carriers: RowCarriers = { aggregates: 0, windows: 0 };
  /** Reads per table of the part being walked: the statement, or a CTE body apart. */
  private reads = new Map<string, number>();

  constructor(readonly engine: Engine) {}

  raise(effect: Effect): void {
    this.effect = worstEffect(this.effect, effect);
  }

  addTable(table: string): void {
    this.tables.add(table);
  }

  addColumn(table: string, column: string): void {
    this.tables.add(table);
    let set = this.columns.get(table);
    if (!set) {
      set = new Set();
      this.columns.set(table, set);
    }
    set.add(column);
  }

  addStar(table: string): void {
    this.selectStar = true;
    this.starTables.add(table);
    this.addColumn(table, '*');
  }

  /** One more reference that reads rows of `table` (a FROM item, a DML target). */
  countRead(table: string): void {
    this.reads.set(table, (this.reads.get(table) ?? 0) + 1);
  }

  /** Adds reads counted apart (a CTE's body, at each reference to it). */
  addReads(reads: ReadonlyMap<string, number> | undefined): void {
    for (const [table, n] of reads ?? []) this.reads.set(table, (this.reads.get(table) ?? 0) + n);
  }

  /** Walks `part` with its reads counted apart, and returns them beside its result. */
  readsApart<T>(part: () => T): [T, Map<string, number>] {
    const outer = this.reads;
    this.reads = new Map();
    try {
      const value = part();
      return [value, this.reads];
    } finally {
      this.reads = outer;
    }
  }

  /**
   * The branches of a set operation: a result row comes from one of them, so it carries the
   * most any one branch reads of each table, not their sum.
   */
  branches<T>(parts: Array<() => T>): T[] {
    const values: T[] = [];
    const most = new Map<string, number>();
    for (const part of parts) {
      const [value, reads] = this.readsApart(part);
      values.push(value);
      for (const [table, n] of reads) most.set(table, Math.max(most.get(table) ?? 0, n));
    }
    this.addReads(most);
    return values;
  }

  /** A call, with what the walker knows of its shape (unknown: it may select a row). */
  addFunction(
    name: string,
    dangerous: boolean,
    shape: CallShape = { windowed: false, filtered: false, conditional: true },
  ): void {
    countCarrier(this.carriers, name.slice(name.lastIndexOf('.') + 1), shape);
    this.functions.add(name);
    if (dangerous) this.dangerous.add(name);
  }

  addPredicate(qualifiedColumn: string): void {
    this.predicates.add(qualifiedColumn);
  }

  build(statementCount: number, fingerprint: string): StatementFacts {
    const sorted = (set: Iterable<string>) => [...set].sort();
    const columns: Record<string, string[]> = {};
    for (const table of sorted(this.columns.keys())) columns[table] = sorted(this.columns.get(table) ?? []);
    return {
      engine: this.engine,
      statementCount,
      effect: this.effect,
      statementKinds: this.statementKinds,
      tables: sorted(this.tables),
      columns,
      functions: sorted(this.functions),
      dangerousFunctions: sorted(this.dangerous),
      selectStar: this.selectStar,
      starTables: sorted(this.starTables),
      hasWhere: this.hasWhere,
      whereTriviallyTrue: this.whereTriviallyTrue,
      limit: this.limit,
      into: this.into,
      predicateColumns: sorted(this.predicates),
      // `plain` is the walkers' own (row carriers); the facts name what the result shows.
      outputs: this.outputs.map(({ plain: _plain, ...o }) => o),
      rowCarriers: { ...this.carriers },
      tableReads: Object.fromEntries([...this.reads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      fingerprint,
      paramCount: this.paramCount,
    };
  }
}
