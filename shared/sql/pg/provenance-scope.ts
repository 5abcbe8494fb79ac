import type { Field } from './provenance-model.js';

/** A relation in FROM: a base table, a subquery, a CTE or a function. */
export interface Rel {
  /** The name that qualifies its columns: the alias, else the relation's own name. */
  alias: string;
  /** `schema.table` of a base table. */
  table?: string;
  /** True when the FROM item named an alias (then only the alias qualifies columns). */
  explicitAlias: boolean;
  fields: Field[];
  /** A relation the pass refused (not exposed); references to it add no further violations. */
  unknown?: boolean;
  /** A subquery with no FROM, VALUES or set operation: one row for each row it is joined to. */
  single?: boolean;
  /**
   * A FROM function of one column (`unnest(a) as t(f)`): its bare name is the scalar value,
   * with no fields, so `(t).f` is the call `f(value)` (red-team round 44: `(t).ts_stat` and
   * `(t).pg_read_file` ran any function of one argument, read as the column `f`).
   */
  scalar?: boolean;
}

/** One query level: its FROM relations, what `*` expands to, USING columns and CTEs. */
export class Level {
  readonly rels: Rel[] = [];
  /** Columns of `*` in the server's order (USING columns first, once, per join). */
  readonly star: Field[] = [];
  readonly using = new Map<string, Field>();
  readonly ctes = new Map<string, Field[]>();

  constructor(readonly parent?: Level) {}

  findCte(name: string): Field[] | undefined {
    for (let level: Level | undefined = this; level; level = level.parent) {
      const cte = level.ctes.get(name);
      if (cte) return cte;
    }
    return undefined;
  }

  /** The relation a qualifier names, innermost level first. */
  findRel(qualifier: readonly string[]): Rel | undefined {
    const name = qualifier[qualifier.length - 1];
    const schema = qualifier.length === 2 ? qualifier[0] : undefined;
    for (let level: Level | undefined = this; level; level = level.parent) {
      const found = level.rels.find((r) =>
        schema === undefined ? r.alias === name : !r.explicitAlias && r.table === `${schema}.${name}`,
      );
      if (found) return found;
    }
    return undefined;
  }

  /**
   * This level as PostgreSQL shows it to a part of its FROM clause: only `rels` of its own
   * relations (none for a subquery that is not LATERAL, the join's inputs for an ON clause)
   * and the USING columns among them, with its CTEs and every outer level. Without this a decoy column of an earlier FROM item
   * would answer for a name the server resolves further out.
   */
  restrictedTo(rels: readonly Rel[], using: ReadonlyMap<string, Field> = new Map()): Level {
    const view = new Level(this.parent);
    view.rels.push(...rels);
    for (const [name, cte] of this.ctes) view.ctes.set(name, cte);
    for (const [name, field] of using) view.using.set(name, field);
    return view;
  }

  /** True when a refused relation is in scope: its columns are unknown, not missing. */
  hasUnknown(): boolean {
    for (let level: Level | undefined = this; level; level = level.parent) {
      if (level.rels.some((r) => r.unknown)) return true;
    }
    return false;
  }
}
