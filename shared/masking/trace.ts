import type { SourceColumn } from '../connectors/connector.js';
import type { OutputColumn, ResultColumn, StatementFacts } from '../types.js';
import { compareClasses } from './classes.js';
import type { ColumnPlan } from './types.js';

/**
 * Decides per result column whether it is classified data (masked whole) or free content
 * (scanned). Sources, in order of trust: the engine's own answer (RowDescription table and
 * column ids), then the statement analysis (`facts.outputs`: what each output expression
 * reads, `*` expanded over the star tables). Anything a column may read counts: an
 * expression over a classified column is classified.
 */
export interface TraceInput {
  columns: ResultColumn[];
  /** Resolved per column from tableId/columnId, same order as `columns`; null when unknown. */
  sources: Array<SourceColumn | null>;
  facts: StatementFacts | null;
  /** `schema.table.column` -> data class. */
  classification: Record<string, string>;
}

type Via = 'source' | 'expression' | 'star';

function isStar(o: OutputColumn): boolean {
  return o.name === '*' || o.name.endsWith('.*');
}

class Classifier {
  private readonly byColumn = new Map<string, string>();
  private readonly byTable = new Map<string, string[]>();

  constructor(classification: Record<string, string>) {
    for (const [key, cls] of Object.entries(classification)) {
      // `public` marks a column reviewed as harmless: no class to mask.
      if (cls === 'public') continue;
      const k = key.toLowerCase();
      this.byColumn.set(k, cls);
      const table = k.slice(0, k.lastIndexOf('.'));
      const list = this.byTable.get(table) ?? [];
      list.push(cls);
      this.byTable.set(table, list);
    }
  }

  /** Classes of `schema.table.column`; `schema.table.*` (a whole-row reference) reads them all. */
  classesOf(qualified: string): string[] {
    const k = qualified.toLowerCase();
    if (k.endsWith('.*')) return this.byTable.get(k.slice(0, -2)) ?? [];
    const cls = this.byColumn.get(k);
    return cls === undefined ? [] : [cls];
  }
}

/** Tables a `*` output expands over: its `schema.table.*` sources, else every star table. */
function starTables(o: OutputColumn, facts: StatementFacts): string[] {
  const tables = new Set<string>();
  for (const src of o.sources)
    tables.add(src.endsWith('.*') ? src.slice(0, -2) : src.slice(0, src.lastIndexOf('.')));
  return tables.size > 0 ? [...tables] : facts.starTables;
}

/** Output expressions that may have produced column `index` (named `name`). */
function matchOutputs(
  facts: StatementFacts,
  columns: ResultColumn[],
  index: number,
): { outputs: OutputColumn[]; stars: OutputColumn[] } {
  const outs = facts.outputs;
  const name = columns[index].name;
  const starAt = outs.map((o, i) => (isStar(o) ? i : -1)).filter((i) => i >= 0);
  if (starAt.length === 0) {
    if (outs.length === columns.length) return { outputs: [outs[index]], stars: [] };
    return { outputs: outs.filter((o) => o.name === name), stars: [] };
  }
  if (starAt.length === 1) {
    // Outputs before the star line up from the left, those after it from the right.
    const first = starAt[0];
    const after = outs.length - first - 1;
    if (columns.length >= outs.length - 1) {
      if (index < first) return { outputs: [outs[index]], stars: [] };
      if (index >= columns.length - after)
        return { outputs: [outs[outs.length - (columns.length - index)]], stars: [] };
      return { outputs: [], stars: [outs[first]] };
    }
  }
  // Several stars: positions are ambiguous, so take every output that could be this column.
  return { outputs: outs.filter((o) => !isStar(o) && o.name === name), stars: starAt.map((i) => outs[i]) };
}

function planFor(column: ResultColumn, index: number, input: TraceInput, classifier: Classifier): ColumnPlan {
  const found = new Map<string, Via>();
  const add = (classes: string[], via: Via) => {
    for (const c of classes) if (!found.has(c)) found.set(c, via);
  };
  const src = input.sources[index];
  if (src) add(classifier.classesOf(`${src.schema}.${src.table}.${src.column}`), 'source');
  const facts = input.facts;
  if (facts && facts.outputs.length > 0) {
    const { outputs, stars } = matchOutputs(facts, input.columns, index);
    for (const o of outputs) for (const s of o.sources) add(classifier.classesOf(s), 'expression');
    for (const o of stars) {
      for (const t of starTables(o, facts)) add(classifier.classesOf(`${t}.${column.name}`), 'star');
    }
  }
  if (found.size === 0) return { kind: 'scan', column: column.name };
  const candidates = [...found.keys()].sort(compareClasses);
  return {
    kind: 'classified',
    column: column.name,
    dataClass: candidates[0],
    candidates,
    via: found.get(candidates[0])!,
  };
}

export function traceColumns(input: TraceInput): ColumnPlan[] {
  const classifier = new Classifier(input.classification);
  return input.columns.map((column, index) => planFor(column, index, input, classifier));
}
