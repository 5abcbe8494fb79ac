import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_DOCS, ERROR_STATUS, type ErrorCode } from '../shared/errors.js';

/**
 * Writes the error tables of the docs from the errors module (`shared/errors.ts`), so the
 * codes, statuses and meanings are written down once. `docs/operations.md` gets the full
 * table, README the codes per status; each between its markers. `--check` changes nothing
 * and exits 1 when a file is out of date (the test does the same in memory).
 */

export interface GeneratedBlock {
  /** Repository-relative path of the file holding the block. */
  file: string;
  /** The marker name: `<!-- NAME:begin ... -->` ... `<!-- NAME:end -->`. */
  marker: string;
  render: () => string;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Codes ordered by status, then name, so a reader scans the table by status. */
function codesByStatus(): ErrorCode[] {
  return (Object.keys(ERROR_STATUS) as ErrorCode[]).sort(
    (a, b) => ERROR_STATUS[a] - ERROR_STATUS[b] || a.localeCompare(b),
  );
}

/** A markdown table padded to its widest cell, the way the hand-written tables are. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const all = [header, ...rows].map((r) => r.map(cell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => r[i].length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(all[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...all.slice(1).map(line),
  ].join('\n');
}

/** Every code with its status, what it means and what to do. */
export function renderErrorTable(): string {
  return markdownTable(
    ['code', 'status', 'meaning', 'what to do'],
    codesByStatus().map((code) => [
      `\`${code}\``,
      String(ERROR_STATUS[code]),
      ERROR_DOCS[code].meaning,
      ERROR_DOCS[code].action,
    ]),
  );
}

/** The codes grouped under their status, for the README's API section. */
export function renderStatusSummary(): string {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codesByStatus()) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return markdownTable(
    ['status', 'codes'],
    [...byStatus].map(([status, codes]) => [String(status), codes.map((c) => `\`${c}\``).join(', ')]),
  );
}

export const BLOCKS: readonly GeneratedBlock[] = [
  { file: 'docs/operations.md', marker: 'error-table', render: renderErrorTable },
  { file: 'README.md', marker: 'error-codes', render: renderStatusSummary },
];

/** `text` with the block between its markers replaced; throws when the markers are missing. */
export function replaceBlock(text: string, marker: string, body: string): string {
  const begin = new RegExp(`<!-- ${marker}:begin[^>]*-->\\n`);
  const end = `<!-- ${marker}:end -->`;
  const start = begin.exec(text);
  const stop = text.indexOf(end);
  if (!start || stop < start.index) throw new Error(`markers <!-- ${marker}:begin/end --> not found`);
  const from = start.index + start[0].length;
  return `${text.slice(0, from)}${body}\n${text.slice(stop)}`;
}

/** Each file's text as the generator would write it (the files on disk untouched). */
export function regenerate(read: (file: string) => string = (f) => readFileSync(ROOT + f, 'utf8')) {
  return BLOCKS.map((b) => {
    const current = read(b.file);
    return { file: b.file, current, wanted: replaceBlock(current, b.marker, b.render()) };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { file, current, wanted } of regenerate()) {
    if (current === wanted) continue;
    stale++;
    if (check) console.error(`${file}: the error table is out of date (npm run docs:errors)`);
    else writeFileSync(ROOT + file, wanted);
  }
  process.exitCode = check && stale > 0 ? 1 : 0;
}
