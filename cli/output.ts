import type { z } from 'zod';
import { formatTable } from './format-table.js';
import { type GatewayCall, reportFailure } from './http.js';
import type { CliIo } from './io.js';

/**
 * How commands print what they show: `--json` for scripts (the gateway's answer exactly as it
 * came, or a local report as indented JSON), a table and a summary line for people. One
 * module, so every command prints the same way and a script can rely on it.
 */

/** A table for a terminal and the lines under it. */
export interface TableOutput {
  columns: string[];
  rows: Array<Record<string, unknown>>;
  /** Widest cell before it is cut (the table's default when absent). */
  maxWidth?: number;
  /** Lines under the table: a count, where more rows are, what the figures mean. */
  footer?: string | readonly string[];
  /** Shown in place of the table when there are no rows (the header alone when absent). */
  empty?: string;
}

/** The table (or its empty message) and its footer, each line ending in a newline. */
export function tableText(table: TableOutput): string {
  const lines =
    table.rows.length === 0 && table.empty !== undefined
      ? [table.empty]
      : [formatTable(table.columns, table.rows, table.maxWidth)];
  if (typeof table.footer === 'string') lines.push(table.footer);
  else if (table.footer) lines.push(...table.footer);
  return `${lines.join('\n')}\n`;
}

/** `1 record`, `3 records`: the count with its noun, plural unless there is exactly one. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** What a result of rows says of itself (query, request result, blob read). */
export interface RowsResult {
  columns: Array<{ name: string }>;
  rows: Array<Record<string, unknown>>;
  rowCount: number;
  truncated: boolean;
  masking?: { cellsMasked: number } | null | undefined;
}

/**
 * A result's rows as a table, and under it `(N rows, truncated, M cells masked; TAIL)`;
 * `lead` goes first inside the parentheses (a blob read names its format there).
 */
export function rowsTable(result: RowsResult, tail: string, lead?: string): TableOutput {
  const masked = result.masking?.cellsMasked ?? 0;
  const what = [
    ...(lead === undefined ? [] : [lead]),
    counted(result.rowCount, 'row'),
    ...(result.truncated ? ['truncated'] : []),
    ...(masked ? [`${masked} cells masked`] : []),
  ];
  return {
    columns: result.columns.map((c) => c.name),
    rows: result.rows,
    footer: `(${what.join(', ')}; ${tail})`,
  };
}

/** `--json` of a gateway call: its body exactly as answered; exit 0 only if the call succeeded. */
export function printCallJson(io: CliIo, call: GatewayCall): number {
  io.stdout.write(`${call.text}\n`);
  return call.ok ? 0 : 1;
}

/** How a command shows one gateway answer. */
export interface AnswerOutput<S extends z.ZodType> {
  /** `approvals list`: names the command in a failure. */
  command: string;
  json: boolean | undefined;
  /** What a successful answer must be before it is rendered. */
  schema: S;
  /** The text for a terminal, each line ending in a newline (`tableText` for a table). */
  render: (body: z.output<S>) => string;
}

/**
 * Prints one gateway answer: with `--json` as answered, otherwise checked against the schema
 * and rendered. A failed call, or an answer not of the expected shape, is reported on stderr
 * and exits 1; a script never reads half a table.
 */
export function printAnswer<S extends z.ZodType>(io: CliIo, call: GatewayCall, out: AnswerOutput<S>): number {
  if (out.json) return printCallJson(io, call);
  const parsed = out.schema.safeParse(call.body);
  if (!call.ok || !parsed.success) return reportFailure(io, out.command, call);
  io.stdout.write(out.render(parsed.data));
  return 0;
}

/** A report made here (not a gateway answer): indented JSON with `--json`, else its text. */
export function printReport(io: CliIo, json: boolean | undefined, value: unknown, text: () => string): void {
  io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text());
}
