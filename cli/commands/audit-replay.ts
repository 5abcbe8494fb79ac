import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parsePrincipalSpec, principalId, UsageError } from '../args.js';
import { formatTable } from '../format-table.js';
import { callGateway, reportFailure } from '../http.js';
import type { CliIo } from '../io.js';
import { counted, printReport } from '../output.js';
import { identityOptions, parseInstant, tokenFor } from './audit.js';

/** `agentgate audit replay`: one principal's session as the gateway recorded it, oldest first. */

const stepSchema = z.object({
  seq: z.number(),
  kind: z.string(),
  time: z.string(),
  actor: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

const commandSchema = z.object({
  requestId: z.string(),
  time: z.string(),
  transport: z.string(),
  action: z.string(),
  connection: z.string().nullable(),
  statement: z.string().nullable(),
  decision: z.object({ outcome: z.string(), policyIds: z.array(z.string()) }).passthrough(),
  status: z.number(),
  errorCode: z.string().nullable(),
  rows: z.number(),
  cells: z.number().nullable(),
  digest: z.string().nullable(),
  approval: z.object({ id: z.string(), steps: z.array(stepSchema) }).optional(),
  kept: z
    .object({
      replayResultId: z.string(),
      digest: z.string(),
      rows: z.number(),
      complete: z.boolean(),
      check: z.string().optional(),
      failure: z.string().optional(),
      result: z
        .object({
          columns: z.array(z.object({ name: z.string(), type: z.string() })),
          rows: z.array(z.unknown()),
        })
        .optional(),
    })
    .optional(),
});

const pageSchema = z.object({
  principal: z.string(),
  commands: z.array(commandSchema),
  continuation: z.string().optional(),
});

type Command = z.output<typeof commandSchema>;

/** Pages read at most: a replay is for one session, not a whole trail. */
const MAX_PAGES = 20;

export async function runAuditReplay(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...identityOptions,
      principal: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      rows: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.stdout.write(
      'Usage: agentgate audit replay --principal agent:NAME|human:NAME [--from TIME] [--to TIME] [--rows] [--json]\n' +
        '--rows: the kept rows of each release (connections with replay; auditors group only),\n' +
        'checked against the digest in the audit event; a copy that does not match is flagged, not shown.\n',
    );
    return 0;
  }
  if (values.principal === undefined) throw new UsageError('--principal is required');
  const q = new URLSearchParams({ principal: principalId(parsePrincipalSpec(values.principal)) });
  if (values.from !== undefined) q.set('from', parseInstant(values.from));
  if (values.to !== undefined) q.set('to', parseInstant(values.to));
  if (values.rows) q.set('rows', 'true');
  const token = await tokenFor(io, values);
  let commands: Command[] = [];
  let more = false;
  for (let page = 0; page < MAX_PAGES; page++) {
    const call = await callGateway(io, `/api/v1/audit/sessions?${q}`, { token, url: values.url });
    const parsed = pageSchema.safeParse(call.body);
    if (!call.ok || !parsed.success) return reportFailure(io, 'audit replay', call);
    // Pages go back in time: each earlier page goes in front.
    commands = [...parsed.data.commands, ...commands];
    more = parsed.data.continuation !== undefined;
    if (!parsed.data.continuation) break;
    q.set('continuation', parsed.data.continuation);
  }
  printReport(
    io,
    values.json,
    { principal: q.get('principal'), commands },
    () =>
      `${formatReplay(commands)}\n${more ? `(only the latest ${MAX_PAGES} pages; narrow with --from/--to)\n` : ''}`,
  );
  return 0;
}

export function formatReplay(commands: Command[]): string {
  const rows = commands.map((c, i) => ({
    '#': i + 1,
    time: c.time,
    requestId: c.requestId,
    action: c.action,
    decision: c.decision.outcome,
    status: c.status,
    policies: c.decision.policyIds.join(','),
    rows: c.rows,
    cells: c.cells,
    digest: c.digest ? c.digest.slice(0, 16) : null,
    statement: c.statement,
  }));
  const cols = ['#', 'time', 'requestId', 'action', 'decision', 'status', 'policies', 'rows', 'cells'];
  const out = [formatTable([...cols, 'digest', 'statement'], rows)];
  commands.forEach((c, i) => {
    if (!c.approval) return;
    out.push('', `#${i + 1} approval ${c.approval.id}:`);
    for (const s of c.approval.steps) {
      const detail = Object.entries(s.detail)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      out.push(`  ${s.time} ${s.kind}${s.actor ? ` by ${s.actor}` : ''} ${detail}`.trimEnd());
    }
  });
  commands.forEach((c, i) => {
    if (c.kept) out.push('', ...formatKept(i + 1, c.kept));
  });
  out.push('', counted(commands.length, 'command'));
  return out.join('\n');
}

/** A kept copy: what it is, whether it matched its audit event, and its rows when it did. */
function formatKept(n: number, kept: NonNullable<Command['kept']>): string[] {
  const extent = kept.complete ? `all ${kept.rows} rows` : `the first ${kept.rows} rows`;
  const check = kept.check === undefined ? '' : ` ${kept.check.toUpperCase()}`;
  const lines = [`#${n} kept ${extent}, digest ${kept.digest.slice(0, 16)}${check}`];
  if (kept.failure) lines.push(`  the copy was not written: ${kept.failure}`);
  if (kept.check === 'mismatch') lines.push('  the kept copy does not match its audit event: not shown');
  const result = kept.result;
  if (result) {
    const names = result.columns.map((col) => col.name);
    // Approved results are kept as value arrays, reads as objects: both shown by column.
    const rows = result.rows.map((r) =>
      Array.isArray(r)
        ? Object.fromEntries(names.map((name, j) => [name, r[j]]))
        : (r as Record<string, unknown>),
    );
    lines.push(formatTable(names, rows));
  }
  return lines;
}
