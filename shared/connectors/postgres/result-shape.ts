import type { FieldDef } from 'pg';
import type { ResultColumn, Row } from '../../types.js';

/**
 * Turns the wire-level result (RowDescription + array rows) into the gateway's QueryResult
 * shape. Rows arrive as arrays so that two columns with the same name (`select a.id, b.id`)
 * both survive; object rows from `pg` would keep only the last one, silently.
 */

/** Built-in type OIDs the gateway names; anything else is reported as `oid:<n>`. */
const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'bool'],
  [17, 'bytea'],
  [18, 'char'],
  [19, 'name'],
  [20, 'int8'],
  [21, 'int2'],
  [23, 'int4'],
  [25, 'text'],
  [26, 'oid'],
  [114, 'json'],
  [700, 'float4'],
  [701, 'float8'],
  [1042, 'bpchar'],
  [1043, 'varchar'],
  [1082, 'date'],
  [1083, 'time'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1186, 'interval'],
  [1700, 'numeric'],
  [2950, 'uuid'],
  [3802, 'jsonb'],
]);

export function typeName(oid: number): string {
  return TYPE_NAMES.get(oid) ?? `oid:${oid}`;
}

/**
 * Later duplicates get `_2`, `_3`, ... (skipping names already taken) so every value keeps
 * a distinct key; tableId/columnId still point at the true source for masking.
 */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((original) => {
    let name = original;
    for (let k = 2; used.has(name); k++) name = `${original}_${k}`;
    used.add(name);
    return name;
  });
}

/** A result column with PostgreSQL's RowDescription origin, which only this adapter reads. */
export interface PgResultColumn extends ResultColumn {
  /** Source table OID (0 when not a plain column). */
  tableId: number;
  /** Source attribute number (0 when not a plain column). */
  columnId: number;
}

export function columnsFromFields(fields: readonly FieldDef[]): PgResultColumn[] {
  const names = uniqueColumnNames(fields.map((f) => f.name));
  return fields.map((f, i) => ({
    name: names[i] as string,
    type: typeName(f.dataTypeID),
    tableId: f.tableID,
    columnId: f.columnID,
  }));
}

/** Object.fromEntries defines own properties, so a column named `__proto__` stays data. */
export function rowsFromArrays(columns: readonly ResultColumn[], rows: readonly unknown[][]): Row[] {
  const names = columns.map((c) => c.name);
  // Assigning `__proto__` would set the prototype: such a column is defined, as data.
  if (names.includes('__proto__'))
    return rows.map((values) => Object.fromEntries(names.map((n, i) => [n, values[i]])));
  // A loop, not Object.fromEntries over pairs: this runs per cell of every read.
  return rows.map((values) => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i];
    return row;
  });
}
