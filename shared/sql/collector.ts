import type { Effect, Engine, OutputColumn, StatementFacts } from '../types.js';
import { worstEffect } from './effect.js';

/**
 * Calls whose value may be one input row's value: aggregates (`max(city) filter (where id % 100
 * = k)` a hundred times over is a hundred customers per row; a `sum` over a group or a filter
 * of one row is that row's amount) and window functions (`lag(city, 19) over w`, or any
 * aggregate over a frame of one other row). Each may bring one more row into a result row, so a
 * result row carries at most (1 + their count) rows of each copy of a table (red-team round
 * 25). Counts, ranks and truth values give no row's value.
 */
const ROW_VALUE_CALLS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'bit_and',
  'bit_or',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'regr_avgx',
  'regr_avgy',
  'mode',
  'percentile_disc',
  'percentile_cont',
  'any_value',
  'lag',
  'lead',
  'first_value',
  'last_value',
  'nth_value',
]);

/** Calls that give no row's value even over a window frame. */
const NO_ROW_VALUE = new Set([
  'count',
  'row_number',
  'rank',
  'dense_rank',
  'percent_rank',
  'cume_dist',
  'ntile',
  'bool_and',
  'bool_or',
  'every',
  'regr_count',
]);

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
  /** Calls that give one row another row's value (see ROW_VALUE_CALLS). */
  private rowValueCalls = 0;
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

  /** A call; `windowed` when it has an OVER clause (any aggregate over a frame may select a row). */
  addFunction(name: string, dangerous: boolean, windowed = false): void {
    const bare = name.slice(name.lastIndexOf('.') + 1);
    if (ROW_VALUE_CALLS.has(bare) || (windowed && !NO_ROW_VALUE.has(bare))) this.rowValueCalls++;
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
      rowValueCalls: this.rowValueCalls,
      tableReads: Object.fromEntries([...this.reads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      fingerprint,
      paramCount: this.paramCount,
    };
  }
}
