import type { Effect, Engine, OutputColumn, StatementFacts } from '../types.js';
import { worstEffect } from './effect.js';

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

  addFunction(name: string, dangerous: boolean): void {
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
      outputs: this.outputs,
      fingerprint,
      paramCount: this.paramCount,
    };
  }
}
