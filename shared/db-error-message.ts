/**
 * Database error messages can carry data: `invalid input syntax for type integer: "Ada
 * Lovelace"` is how `select full_name::int from customers` would leak a name past masking.
 * Quoted text the caller wrote (identifiers, literals of their own statement) is kept so the
 * message still helps fix the query; quoted text that is not in the statement came from
 * the data and is withheld.
 */
const QUOTED = /"((?:[^"\\]|\\.|"")*)"/g;

export const WITHHELD = '[withheld]';

export function withholdDataInDbMessage(message: string, statement: string): string {
  const haystack = statement.toLowerCase();
  return message.replace(QUOTED, (whole, inner: string) =>
    inner.length > 0 && haystack.includes(inner.toLowerCase()) ? whole : `"${WITHHELD}"`,
  );
}
