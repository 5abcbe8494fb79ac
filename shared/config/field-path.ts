/**
 * Classification keys of blob connections name a field, or a path into nested JSON:
 *
 *   card_number              the top-level field `card_number` (a CSV column)
 *   customer.card.number     `number` inside `card` inside `customer`
 *   items[].pan              `pan` of every element of the array `items`
 *   matrix[][]               every element of every array inside `matrix`
 *   "user.email"             the top-level field whose name is `user.email` (quoted: JSON string)
 *   meta."a.b".pan           quoted segments may sit anywhere in a path
 *
 * An unquoted `.` always separates segments, so a key never means two things: a field whose
 * name holds `.`, `[`, `]`, `"` or spaces is written quoted. `[]` matches array elements only
 * (there are no indexes: a position in an export is not a classification).
 */

export interface PathSegment {
  name: string;
  /** How many `[]` follow the name: array levels whose every element is walked. */
  each: number;
}

const BARE = /^[\p{L}\p{N}_\-$@]+$/u;

/** The segments of a key, or a message saying why it is not a valid path. */
export function parseFieldPath(key: string): PathSegment[] | string {
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < key.length) {
    let name: string;
    if (key[i] === '"') {
      // A JSON string literal, so escapes mean what they mean in JSON.
      let end = i + 1;
      while (end < key.length && key[end] !== '"') end += key[end] === '\\' ? 2 : 1;
      if (end >= key.length) return 'unterminated quoted segment';
      try {
        name = JSON.parse(key.slice(i, end + 1)) as string;
      } catch {
        return 'invalid quoted segment';
      }
      if (name === '') return 'empty quoted segment';
      i = end + 1;
    } else {
      let end = i;
      while (end < key.length && key[end] !== '.' && key[end] !== '[') end++;
      name = key.slice(i, end);
      if (name === '') return 'empty segment';
      if (!BARE.test(name)) return `segment "${name}" must be quoted (letters, digits, _ - $ @ unquoted)`;
      i = end;
    }
    let each = 0;
    while (key.startsWith('[]', i)) {
      each++;
      i += 2;
    }
    if (i < key.length && key[i] === '[') return 'only [] (every element) may follow a segment';
    segments.push({ name, each });
    if (i === key.length) break;
    if (key[i] !== '.') return `unexpected "${key[i]}"`;
    i++;
    if (i === key.length) return 'trailing "."';
  }
  if (segments.length === 0) return 'empty path';
  return segments;
}

/** One spelling per path (quotes only where needed), to find a path written twice. */
export function canonicalPath(segments: readonly PathSegment[]): string {
  return segments
    .map((s) => (BARE.test(s.name) ? s.name : JSON.stringify(s.name)) + '[]'.repeat(s.each))
    .join('.');
}

/** A path that is one plain top-level field: a column, classified as columns always were. */
export function topLevelField(segments: readonly PathSegment[]): string | undefined {
  return segments.length === 1 && segments[0]?.each === 0 ? segments[0].name : undefined;
}
