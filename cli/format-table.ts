/** How a missing value prints, apart from an empty string (which prints as ""). */
export const NULL_CELL = 'NULL';

/** Renders rows as a plain-text table for terminals; long cells are cut, not wrapped. */
export function formatTable(columns: string[], rows: Array<Record<string, unknown>>, maxWidth = 40): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return NULL_CELL;
    if (v === '') return '""';
    // A string that reads NULL is quoted so it never passes for a missing value.
    if (v === NULL_CELL) return `"${NULL_CELL}"`;
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    const flat = s.replace(/\s+/g, ' ');
    return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 1)}…` : flat;
  };
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join(' | ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)].join('\n');
}
