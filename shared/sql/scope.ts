import type { OutputColumn } from '../types.js';

/**
 * Name resolution for one query level. A relation is either a base table (`table`) or a
 * derived one (subquery, CTE, function) that exposes `outputs` already traced to base columns.
 */
export interface Relation {
  /** Lower-case name that qualifies columns: the alias, else the relation's own name. */
  alias: string;
  /** `schema.table` of a base table. */
  table?: string;
  /** Output columns of a derived relation; empty for functions, whose columns read no table. */
  outputs?: OutputColumn[];
}

export interface Cte {
  /** Undefined while a recursive CTE's own body is being walked. */
  outputs: OutputColumn[] | undefined;
  /** The base-table reads of its body, added at each reference (see FactsCollector). */
  reads?: ReadonlyMap<string, number>;
}

export class Scope {
  readonly relations: Relation[] = [];
  readonly ctes = new Map<string, Cte>();

  constructor(readonly parent?: Scope) {}

  findCte(name: string): Cte | undefined {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      const cte = scope.ctes.get(name);
      if (cte) return cte;
    }
    return undefined;
  }

  /** Relations a qualified reference (`alias.col` or `schema.table.col`) points at. */
  findQualified(qualifier: string[]): Relation[] {
    const name = qualifier[qualifier.length - 1];
    const schema = qualifier.length >= 2 ? qualifier[qualifier.length - 2] : undefined;
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      const found = scope.relations.filter((r) =>
        schema === undefined ? r.alias === name : r.table === `${schema}.${name}`,
      );
      if (found.length > 0) return found;
    }
    return [];
  }

  /**
   * Relations an unqualified column may belong to: the innermost level that has any. The
   * analyser does not know the catalogue, so with several candidates every one of them is
   * returned; a derived relation is only kept when it could expose a column of that name.
   */
  candidatesFor(column: string): Relation[] {
    const level = this.nearestLevel();
    if (level.length <= 1) return level;
    return level.filter(
      (r) => r.table !== undefined || (r.outputs ?? []).some((o) => o.name === column || o.name === '*'),
    );
  }

  /** The innermost non-empty list of relations: where `*` and unresolved names look. */
  nearestLevel(): Relation[] {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      if (scope.relations.length > 0) return scope.relations;
    }
    return [];
  }
}
