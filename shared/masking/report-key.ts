/**
 * The key a column has in a masking report. The report goes into the audit record, where a
 * `__proto__` key is lost: plain assignment sets a prototype instead, and the Cosmos DB
 * emulator drops nested `__proto__` keys (which verify then sees as a changed record). So a
 * column named `__proto__` (an agent's alias) is reported as `[__proto__]`; a column really
 * named that shares its entry, which then holds the more restrictive class of the two.
 */
export const PROTO_COLUMN_KEY = '[__proto__]';

export function reportKey(column: string): string {
  return column === '__proto__' ? PROTO_COLUMN_KEY : column;
}
