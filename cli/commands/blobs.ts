import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration, parsePrincipalSpec, UsageError } from '../args.js';
import { callGateway, Unreachable } from '../http.js';
import type { CliIo } from '../io.js';
import { printAnswer, rowsTable, tableText } from '../output.js';
import { mintDevToken } from './token.js';

const HELP = `Usage: agentgate blobs ls CONNECTION [PREFIX] [--continuation C]
       agentgate blobs cat CONNECTION PATH [--offset N] [--length N] [--row-offset N] [--max-rows N]
       common: [--as agent:NAME|human:NAME] [--group G]... [--role R]... [--token T] [--url URL] [--json]

ls lists the exposed folders of a blob connection (no PREFIX), or one page of a folder
("container/folder/"). cat reads one blob ("container/path") through the gateway: parsed,
masked and audited; a read over the connection's byte threshold is held for approval.
The gateway and the token are found as for "agentgate query".

Examples:
  agentgate blobs ls demo-files demo-files/exports/
  agentgate blobs cat demo-files demo-files/logs/support.log --max-rows 5

Exit codes: 0 success, 1 refused or failed (the error says why), 2 usage.`;

const listed = z.object({
  requestId: z.string(),
  entries: z.array(z.object({ kind: z.string(), path: z.string(), size: z.number().optional() })),
  continuation: z.string().nullable(),
});

const read = z.object({
  requestId: z.string(),
  format: z.string(),
  columns: z.array(z.object({ name: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: z.boolean(),
  masking: z.object({ cellsMasked: z.number() }).passthrough(),
});

const OPTIONS = {
  as: { type: 'string' },
  group: { type: 'string', multiple: true },
  role: { type: 'string', multiple: true },
  token: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  continuation: { type: 'string' },
  offset: { type: 'string' },
  length: { type: 'string' },
  'row-offset': { type: 'string' },
  'max-rows': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function tokenFor(io: CliIo, values: Values): Promise<string> {
  if (values.token) return values.token;
  return mintDevToken(io, parsePrincipalSpec(values.as ?? 'agent:cli-agent'), {
    groups: values.group ?? [],
    roles: values.role ?? [],
    ttlSeconds: parseDuration('5m'),
  });
}

function queryString(entries: Array<[string, string | undefined]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of entries) if (v !== undefined) q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : '';
}

function listText(body: z.infer<typeof listed>): string {
  return tableText({
    columns: ['kind', 'path', 'size'],
    rows: body.entries.map((e) => ({ kind: e.kind, path: e.path, size: e.size ?? '' })),
    footer: body.continuation ? [`(more: --continuation '${body.continuation}')`] : [],
  });
}

export async function runBlobsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [verb, connection, target] = positionals;
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if ((verb !== 'ls' && verb !== 'cat') || !connection || (verb === 'cat' && !target)) {
    io.stderr.write('agentgate blobs: give ls CONNECTION [PREFIX] or cat CONNECTION PATH (see --help)\n');
    return 2;
  }
  let token: string;
  try {
    token = await tokenFor(io, values);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`agentgate blobs: ${e.message}\n`);
    return 2;
  }
  const base = `/api/v1/connections/${encodeURIComponent(connection)}/blobs`;
  const path =
    verb === 'ls'
      ? `${base}${queryString([
          ['prefix', target],
          ['continuation', values.continuation],
        ])}`
      : `${base}/content${queryString([
          ['path', target],
          ['offset', values.offset],
          ['length', values.length],
          ['rowOffset', values['row-offset']],
          ['maxRows', values['max-rows']],
        ])}`;
  let call: Awaited<ReturnType<typeof callGateway>>;
  try {
    call = await callGateway(io, path, { method: 'GET', token, url: values.url });
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    io.stderr.write(`agentgate blobs: ${e.message}\n`);
    return 1;
  }
  const out = { command: `blobs ${verb}`, json: values.json };
  if (verb === 'ls') return printAnswer(io, call, { ...out, schema: listed, render: listText });
  return printAnswer(io, call, {
    ...out,
    schema: read,
    render: (body) => tableText(rowsTable(body, `request ${body.requestId}`, body.format)),
  });
}
