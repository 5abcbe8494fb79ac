import { createHash } from 'node:crypto';

/**
 * The digest the audit trail names for a released result: hex SHA-256 of the JSON text of
 * `{"columns":[...],"rows":[...]}` exactly as released (keys in the result's column order).
 * Not RFC 8785: canonicalising a 1,000-row result costs about 25 ms against 4 ms for the
 * JSON text that is produced anyway to count the bytes; the result is always serialised by
 * the same code, so its text is already one per result.
 */
export function resultDigest(
  columns: ReadonlyArray<{ name: string; type: string }>,
  rowsJson: string,
): string {
  return createHash('sha256')
    .update(`{"columns":${JSON.stringify(columns)},"rows":`)
    .update(rowsJson)
    .update('}')
    .digest('hex');
}

/** The same digest over a result held as values (a stored result, a released page). */
export function digestOf(result: {
  columns: ReadonlyArray<{ name: string; type: string }>;
  rows: unknown;
}): string {
  return resultDigest(result.columns, JSON.stringify(result.rows));
}
