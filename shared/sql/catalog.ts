/**
 * What one connection exposes, as the analyser needs it: every exposed table with all its
 * columns in the engine's order (so that `*` and whole-row references expand exactly as
 * the server expands them), each marked exposed or not. Built from the connection's
 * exposure list and the target's own catalog; tables that are not exposed are absent.
 */
export interface CatalogColumn {
  name: string;
  /** Engine type name, lower-case (`int4`, `text`, `varchar`, ...). */
  type: string;
  /** False for a column the connection does not expose (reading it is refused). */
  exposed: boolean;
}

export interface CatalogTable {
  /** `schema.table`, lower-case. */
  name: string;
  columns: CatalogColumn[];
}

export interface Catalog {
  tables: ReadonlyMap<string, CatalogTable>;
}

/** Types whose values are not text an author wrote: they cannot hide a card number or a note. */
const NOT_FREE_TEXT = new Set([
  'int2',
  'int4',
  'int8',
  'numeric',
  'float4',
  'float8',
  'bool',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'oid',
]);

/** Text, JSON, bytes and any type not known to be harmless count as free text. */
export function isFreeTextType(type: string): boolean {
  return !NOT_FREE_TEXT.has(type.toLowerCase());
}

export function catalogOf(tables: CatalogTable[]): Catalog {
  return { tables: new Map(tables.map((t) => [t.name.toLowerCase(), t])) };
}
