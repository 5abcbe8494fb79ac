import { PLAN_UNREADABLE, type PlanSources, type SourceColumn } from '../connectors/connector.js';
import { type Catalog, isFreeTextType } from '../sql/catalog.js';
import type { ProvenanceOutput, ResultColumn } from '../types.js';
import { compareClasses } from './classes.js';
import type { ColumnPlan } from './types.js';

/**
 * Masking plans from complete provenance, matched to result columns by position:
 * - a direct reference to a classified column gets its class operator;
 * - a direct reference to anything else gets the content scan;
 * - a value computed from a classified or free-text column (any function, cast, operator,
 *   aggregate or JSON building) is redacted whole unless the caller may see every class it
 *   reads: transforms defeat content scans, so a derived value is never "scanned only";
 * - an output the analyser could not follow, or a result whose shape does not match the
 *   analysis, is withheld whole.
 */

/** Class of free text: the content scan for a direct reference, redaction once derived. */
export const FREE_TEXT_CLASS = 'text.free';
/** Class of what could not be traced; its category `secret` is never unmasked. */
export const UNPROVEN_CLASS = 'secret.unproven';
/** A column reviewed as harmless: derived values of it need no redaction. */
export const PUBLIC_CLASS = 'public';

export interface ProvenancePlanInput {
  columns: ResultColumn[];
  sources: Array<SourceColumn | null>;
  outputs: ProvenanceOutput[];
  classification: Record<string, string>;
  catalog: Catalog;
  /**
   * What the target's own plan says each result column reads (see PlanSources). A class it
   * shows that the analysis did not count is added, and the column is then treated as derived
   * (redacted whole): the two disagree, so the analysis is not trusted to call it direct.
   */
  planSources?: PlanSources;
}

export function typeOf(catalog: Catalog, qualified: string): string | undefined {
  const dot = qualified.lastIndexOf('.');
  const table = catalog.tables.get(qualified.slice(0, dot));
  const column = qualified.slice(dot + 1);
  return table?.columns.find((c) => c.name === column)?.type;
}

/** Classes a base column stands for; free text unless classified or of a harmless type. */
function classesOfSource(qualified: string, input: ProvenancePlanInput): string[] {
  const cls = input.classification[qualified];
  if (cls === PUBLIC_CLASS) return [];
  if (cls !== undefined) return [cls];
  const type = typeOf(input.catalog, qualified);
  return type === undefined || isFreeTextType(type) ? [FREE_TEXT_CLASS] : [];
}

function withheld(column: string): ColumnPlan {
  return {
    kind: 'classified',
    column,
    dataClass: UNPROVEN_CLASS,
    candidates: [UNPROVEN_CLASS],
    via: 'expression',
  };
}

export function planFromProvenance(input: ProvenancePlanInput): ColumnPlan[] {
  const { columns, outputs } = input;
  if (outputs.length !== columns.length) return columns.map((c) => withheld(c.name));
  return columns.map((column, i) => {
    const out = outputs[i];
    if (out.opaque || input.planSources?.[i]?.includes(PLAN_UNREADABLE)) return withheld(column.name);
    const classes = new Set<string>();
    for (const s of out.sources) for (const c of classesOfSource(s, input)) classes.add(c);
    const src = input.sources[i];
    if (src) {
      const engineClass = input.classification[`${src.schema}.${src.table}.${src.column}`];
      if (engineClass !== undefined && engineClass !== PUBLIC_CLASS) classes.add(engineClass);
    }
    const unseen = planClassesNotIn(classes, input.planSources?.[i], input);
    for (const c of unseen) classes.add(c);
    const direct = out.direct && out.sources.length === 1 && unseen.length === 0;
    if (direct) {
      classes.delete(FREE_TEXT_CLASS);
      if (classes.size === 0) return { kind: 'scan', column: column.name };
      const candidates = [...classes].sort(compareClasses);
      return { kind: 'classified', column: column.name, dataClass: candidates[0], candidates, via: 'source' };
    }
    if (classes.size === 0) return { kind: 'scan', column: column.name };
    const candidates = [...classes].sort(compareClasses);
    return {
      kind: 'classified',
      column: column.name,
      dataClass: candidates[0],
      candidates,
      via: 'expression',
    };
  });
}

/**
 * Classes of the plan's sources for one column that the analysis's classes lack. Only base
 * columns the catalog knows count (a partition or an unknown name says nothing), and a whole
 * row stands for every column of its table.
 */
function planClassesNotIn(
  classes: ReadonlySet<string>,
  planned: readonly string[] | undefined,
  input: ProvenancePlanInput,
): string[] {
  if (planned === undefined || planned.length === 0) return [];
  const unseen = new Set<string>();
  const add = (qualified: string) => {
    if (typeOf(input.catalog, qualified) === undefined) return;
    for (const c of classesOfSource(qualified, input)) if (!classes.has(c)) unseen.add(c);
  };
  for (const q of planned) {
    if (!q.endsWith('.*')) {
      add(q);
      continue;
    }
    const table = q.slice(0, -2);
    for (const column of input.catalog.tables.get(table)?.columns ?? []) add(`${table}.${column.name}`);
  }
  return [...unseen];
}
