import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DATA_CLASS_PATTERN, dataClassProblem } from '../../shared/masking/classes.js';
import { type ColumnPlan, createMasker, type Masker } from '../../shared/masking/index.js';
import type { Row } from '../../shared/types.js';

const HELP = `Usage: agentgate mask [--classify column=class]... [--format ndjson|csv] [--key K]

Reads records from stdin and writes them masked to stdout, in the same format, with the
gateway's masking engine. Columns named with --classify are masked whole as that data class
(e.g. --classify card=pci.pan); every other value is scanned for cards, IBANs, SSNs, emails,
phones, IP addresses and secrets. --format ndjson (default): one JSON object per line;
csv: a header line, then rows (quoted fields may hold commas, quotes and newlines).
--key K is the HMAC key for the token operator (16+ characters); without it, classes whose
default is token (pii.name) are redacted. A summary goes to stderr. An unknown class is
refused with the list of valid ones.

Example:
  printf '{"card":"4111 1111 1111 1111"}\\n' | agentgate mask --classify card=pci.pan

Exit codes: 0 masked, 1 failure, 2 usage.`;

interface MaskIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A record that could not be read; reported with the line it started on. */
class BadRecord extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

// ---------- CSV ----------

/** Splits one complete CSV record (RFC 4180 quoting) into fields. */
function parseCsvRecord(text: string, line: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) throw new BadRecord(line, 'unterminated quoted field');
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text.charCodeAt(i) !== 44) throw new BadRecord(line, 'unexpected character after a closing quote');
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const value = text.slice(i, comma === -1 ? text.length : comma);
      if (value.includes('"')) throw new BadRecord(line, 'quote inside an unquoted field');
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}

function csvField(value: unknown): string {
  const text =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) || text.trim() !== text ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Yields complete CSV records with their first line number; a quoted newline joins lines. */
async function* csvRecords(lines: AsyncIterable<string>): AsyncGenerator<{ line: number; fields: string[] }> {
  let pending: string | undefined;
  let start = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (pending === undefined) {
      pending = line;
      start = lineNo;
    } else {
      pending += `\n${line}`;
    }
    // An odd number of quotes means a quoted field is still open.
    if ((pending.split('"').length - 1) % 2 === 1) continue;
    const text = pending;
    pending = undefined;
    if (text === '') continue;
    yield { line: start, fields: parseCsvRecord(text, start) };
  }
  if (pending !== undefined) throw new BadRecord(start, 'unterminated quoted field at end of input');
}

// ---------- masking ----------

function maskRecord(
  masker: Masker,
  record: Row,
  classes: Map<string, string>,
): ReturnType<Masker['maskResult']> {
  const names = Object.keys(record);
  const plan: ColumnPlan[] = names.map((column) => {
    const dataClass = classes.get(column);
    return dataClass === undefined
      ? { kind: 'scan', column }
      : { kind: 'classified', column, dataClass, candidates: [dataClass], via: 'source' };
  });
  return masker.maskResult({
    columns: names.map((name) => ({ name, type: 'text' })),
    rows: [record],
    plan,
    unmasked: new Set(),
  });
}

function parseClassify(specs: string[]): Map<string, string> {
  const classes = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const column = spec.slice(0, eq);
    const dataClass = spec.slice(eq + 1);
    if (eq <= 0 || !DATA_CLASS_PATTERN.test(dataClass)) {
      throw new Error(`--classify expects column=class with a lower-case dotted class, got "${spec}"`);
    }
    // This command has no operator table to declare custom classes in: built-in ones only.
    const problem = dataClassProblem(dataClass, new Set());
    if (problem) throw new Error(`--classify ${spec}: ${problem}`);
    classes.set(column, dataClass);
  }
  return classes;
}

export async function runMaskCommand(argv: string[], io: MaskIo): Promise<number> {
  let masker: Masker;
  let classes: Map<string, string>;
  let format: 'ndjson' | 'csv';
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        classify: { type: 'string', multiple: true },
        format: { type: 'string' },
        key: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    const f = values.format ?? 'ndjson';
    if (f !== 'ndjson' && f !== 'csv') throw new Error(`--format must be ndjson or csv, got "${f}"`);
    format = f;
    classes = parseClassify(values.classify ?? []);
    masker = createMasker(values.key === undefined ? {} : { tokenKey: values.key });
  } catch (e) {
    io.stderr.write(`agentgate mask: ${e instanceof Error ? e.message : String(e)}\n${HELP}\n`);
    return 2;
  }

  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let records = 0;
  let cells = 0;
  const byClass: Record<string, number> = {};
  const count = (report: { cellsMasked: number; byClass: Record<string, number> }) => {
    records++;
    cells += report.cellsMasked;
    for (const [c, n] of Object.entries(report.byClass)) byClass[c] = (byClass[c] ?? 0) + n;
  };
  try {
    if (format === 'ndjson') {
      let lineNo = 0;
      for await (const line of lines) {
        lineNo++;
        if (line.trim() === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(line);
        } catch {
          throw new BadRecord(lineNo, 'not valid JSON');
        }
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          throw new BadRecord(lineNo, 'expected a JSON object');
        }
        const { rows, report } = maskRecord(masker, record as Row, classes);
        await write(io.stdout, `${JSON.stringify(rows[0])}\n`);
        count(report);
      }
    } else {
      let header: string[] | undefined;
      for await (const { line, fields } of csvRecords(lines)) {
        if (!header) {
          header = fields;
          await write(io.stdout, `${header.map(csvField).join(',')}\n`);
          continue;
        }
        if (fields.length !== header.length) {
          throw new BadRecord(line, `expected ${header.length} fields, found ${fields.length}`);
        }
        const record: Row = {};
        header.forEach((name, i) => {
          record[name] = fields[i];
        });
        const { rows, report } = maskRecord(masker, record, classes);
        const masked = rows[0];
        await write(io.stdout, `${header.map((name) => csvField(masked[name])).join(',')}\n`);
        count(report);
      }
    }
  } catch (e) {
    lines.close();
    if (e instanceof BadRecord) {
      io.stderr.write(`agentgate mask: line ${e.line}: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`agentgate mask: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const summary = Object.entries(byClass)
    .map(([c, n]) => `${c}: ${n}`)
    .join(', ');
  io.stderr.write(
    `agentgate mask: ${records} records, ${cells} cells masked${summary ? ` (${summary})` : ''}\n`,
  );
  return 0;
}
