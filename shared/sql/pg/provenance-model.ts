/**
 * The values the provenance pass reasons about. A `Prov` is what one value may reveal: the
 * base columns it reads, whether it is exactly one of them (`direct`), whether it carries
 * many rows in one cell (`rows`), and whether the pass could not follow it (`opaque`).
 */
export interface Prov {
  src: ReadonlySet<string>;
  direct: boolean;
  rows: boolean;
  opaque: boolean;
  /**
   * Computing it can fail or run a subquery: a branch that chooses whether it is computed
   * (also through a CTE or subquery column, which PostgreSQL may inline) decides a failure.
   */
  fails: boolean;
  /**
   * Exactly one plain summary's output (`count(*)`, `sum(amount)`, not windowed, packing
   * nothing): a summand as plain as a base column, so `avg(n)` over per-customer counts packs
   * no rows (red-team round 28). Anything computed from it is not (derived drops it).
   */
  summary?: boolean;
}

/** One column of a relation or composite value. */
export interface Field {
  name: string;
  prov: Prov;
  /** False for a base column the connection does not expose. */
  exposed: boolean;
  /** `schema.table.column` of a base column, for messages. */
  qualified?: string;
  /**
   * The pass is not sure the server gives the column this name (an unaliased expression, a
   * function's column in FROM): a reference to any name in its scope may mean it, so lookups
   * trace it too.
   */
  unsureName?: boolean;
}

/** An expression's value; `fields` is set for composites (whole rows, ROW(...)). */
export interface Value {
  prov: Prov;
  fields?: Field[];
}

export const EMPTY: Prov = Object.freeze({
  src: new Set<string>(),
  direct: false,
  rows: false,
  opaque: false,
  fails: false,
});
export const OPAQUE: Prov = Object.freeze({
  src: new Set<string>(),
  direct: false,
  rows: false,
  opaque: true,
  fails: false,
});

/** The provenance of a value computed from others: never direct. */
export function derived(...provs: Prov[]): Prov {
  if (provs.length === 0) return EMPTY;
  const src = new Set<string>();
  let rows = false;
  let opaque = false;
  let fails = false;
  for (const p of provs) {
    for (const s of p.src) src.add(s);
    rows ||= p.rows;
    opaque ||= p.opaque;
    fails ||= p.fails;
  }
  return { src, direct: false, rows, opaque, fails };
}

/** Two branches that produce the same output (UNION, USING): direct only when both are. */
export function merged(a: Prov, b: Prov): Prov {
  const d = derived(a, b);
  return { ...d, direct: a.direct && b.direct };
}

/** A composite value read as one: every field counts. */
export function flatten(value: Value): Prov {
  if (!value.fields) return value.prov;
  return derived(value.prov, ...value.fields.map((f) => f.prov));
}

/** A value whose computation can fail or run a subquery. */
export function failing(p: Prov): Prov {
  return p.fails ? p : { ...p, fails: true };
}

export function withRows(p: Prov): Prov {
  return { ...p, direct: false, rows: true };
}

export function sameProv(a: Prov, b: Prov): boolean {
  if (
    a.direct !== b.direct ||
    a.rows !== b.rows ||
    a.opaque !== b.opaque ||
    a.fails !== b.fails ||
    a.src.size !== b.src.size
  ) {
    return false;
  }
  for (const s of a.src) if (!b.src.has(s)) return false;
  return true;
}
