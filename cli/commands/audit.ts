import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration, parsePrincipalSpec, principalId, UsageError } from '../args.js';
import { callGateway, Unreachable } from '../http.js';
import type { CliIo } from '../io.js';
import { counted, printAnswer, tableText } from '../output.js';
import { mintDevToken } from './token.js';

const HELP = `Usage:
  agentgate audit search [--principal agent:NAME|human:NAME] [--connection ID]
                       [--decision allow|deny|approval|error] [--from TIME] [--to TIME]
                       [--table SCHEMA.TABLE] [--fingerprint FP] [--approval REQUEST_ID]
                       [--transport rest|mcp|queue|timer] [--limit N] [--continuation TOKEN]
                       [--json] [--as human:NAME] [--group G]... [--token T] [--url URL]
                       (audit list is the same command)
  agentgate audit show REQUEST_ID [--json] [--as human:NAME] [--group G]... [--token T] [--url URL]
  agentgate audit replay --principal agent:NAME|human:NAME [--from TIME] [--to TIME] [--json] ...
  agentgate audit verify ...   (checks the audit trail; see agentgate audit verify --help)

search: the audit trail of the running gateway (GET /api/v1/audit), newest first, as a table;
--json prints the API's answer. --table matches the tables a statement read, as recorded
(public.customers); --approval gives every event of one approval and the request that asked.
When there are more records the next page's --continuation token is printed. TIME is ISO-8601 (2026-12-01T09:00:00Z) or a duration back
from now (15m, 2h, 7d). --limit from 1 to 200 (default 50).
replay: one principal's commands in time order (GET /api/v1/audit/sessions): decision, policy
ids, rows, cells, the digest of what was released, and each approval's steps.
show: every audit event of one request (GET /api/v1/audit/{requestId}): who asked and how they
were recognised, the decision with policy ids and reasons, estimate, masking, timings.

The audit trail is for people: without --token a dev token is minted for --as (default
human:cli-auditor in group auditors) with the project's dev key.

Examples:
  agentgate audit list --principal agent:reporting-bot --decision deny --from 2h
  agentgate audit show 7b0c1c8e-0000-4000-8000-000000000000

Exit codes: 0 shown, 1 refused, not found or gateway unreachable, 2 usage.`;

const recordSchema = z
  .object({
    requestId: z.string(),
    time: z.string(),
    principal: z.object({ id: z.string() }).passthrough().nullable(),
    connection: z.string().nullable(),
    action: z.string(),
    // Approval and maintenance events have no statement or decision of their own.
    kind: z.string().optional(),
    statement: z.string().nullable().optional(),
    decision: z
      .object({ outcome: z.string(), policyIds: z.array(z.string()), reasons: z.array(z.string()) })
      .optional(),
    status: z.number().optional(),
    errorCode: z.string().nullable().optional(),
    rowsReturned: z.number().optional(),
  })
  .passthrough();

const listSchema = z.object({
  requestId: z.string(),
  records: z.array(recordSchema),
  continuation: z.string().optional(),
});

const showSchema = z.object({
  requestId: z.string(),
  events: z.array(z.record(z.string(), z.unknown())).min(1),
});

/** Hook for `audit verify`: its module is written apart and may not be there yet. */
const VERIFY_MODULE = './audit-verify.js';

interface AuditCommandDeps {
  /** Loads `runAuditVerify`; tests replace it. Default: a dynamic import of `audit-verify.ts`. */
  loadVerify?: () => Promise<((argv: string[], io: CliIo) => Promise<number>) | undefined>;
}

async function defaultLoadVerify(): Promise<((argv: string[], io: CliIo) => Promise<number>) | undefined> {
  // Checked first so that a missing module is a clean message, not a stack trace.
  const url = new URL(VERIFY_MODULE.replace(/\.js$/, '.ts'), import.meta.url);
  if (!existsSync(url) && !existsSync(new URL(VERIFY_MODULE, import.meta.url))) return undefined;
  const mod = (await import(VERIFY_MODULE)) as {
    runAuditVerify?: (argv: string[], io: CliIo) => Promise<number>;
  };
  return mod.runAuditVerify;
}

export async function runAuditCommand(
  argv: string[],
  io: CliIo,
  deps: AuditCommandDeps = {},
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  try {
    switch (sub) {
      case 'list':
      case 'search':
        return await runList(rest, io);
      case 'show':
        return await runShow(rest, io);
      case 'replay':
        return await (await import('./audit-replay.js')).runAuditReplay(rest, io);
      case 'verify': {
        const verify = await (deps.loadVerify ?? defaultLoadVerify)();
        if (verify === undefined) {
          io.stderr.write('agentgate audit verify: not available in this version\n');
          return 1;
        }
        return await verify(rest, io);
      }
      default:
        io.stderr.write(`agentgate audit: unknown subcommand ${sub}\n${HELP}\n`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`agentgate audit ${sub}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Unreachable) {
      io.stderr.write(`agentgate audit ${sub}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

export const identityOptions = {
  as: { type: 'string' },
  group: { type: 'string', multiple: true },
  role: { type: 'string', multiple: true },
  token: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function tokenFor(
  io: CliIo,
  values: {
    as?: string | undefined;
    group?: string[] | undefined;
    role?: string[] | undefined;
    token?: string | undefined;
  },
): Promise<string> {
  if (values.token !== undefined) return values.token;
  const spec = parsePrincipalSpec(values.as ?? 'human:cli-auditor');
  const groups = values.group ?? (values.as === undefined ? ['auditors'] : []);
  return mintDevToken(io, spec, { groups, roles: values.role ?? [], ttlSeconds: parseDuration('5m') });
}

/** An ISO instant, or a duration back from now. */
export function parseInstant(text: string, now: Date = new Date()): string {
  if (/^[1-9][0-9]*[smhd]$/.test(text)) {
    return new Date(now.getTime() - parseDuration(text, 366 * 86_400) * 1000).toISOString();
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`time "${text}": use ISO-8601 (2026-12-01T09:00:00Z) or a duration such as 2h`);
  }
  return new Date(ms).toISOString();
}

/** The query string of `GET /api/v1/audit` for the CLI's filters. */
export function auditQuery(
  values: {
    principal?: string | undefined;
    connection?: string | undefined;
    decision?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    limit?: string | undefined;
    table?: string | undefined;
    fingerprint?: string | undefined;
    approval?: string | undefined;
    transport?: string | undefined;
    continuation?: string | undefined;
  },
  now: Date = new Date(),
): URLSearchParams {
  const q = new URLSearchParams();
  if (values.principal !== undefined) q.set('principal', principalId(parsePrincipalSpec(values.principal)));
  if (values.connection !== undefined) q.set('connection', values.connection);
  if (values.decision !== undefined) {
    if (!['allow', 'deny', 'approval', 'error'].includes(values.decision)) {
      throw new UsageError('--decision must be allow, deny, approval or error');
    }
    q.set('decision', values.decision);
  }
  if (values.from !== undefined) q.set('from', parseInstant(values.from, now));
  if (values.to !== undefined) q.set('to', parseInstant(values.to, now));
  if (values.limit !== undefined) {
    if (!/^[0-9]{1,3}$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 200) {
      throw new UsageError('--limit must be a whole number from 1 to 200');
    }
    q.set('limit', values.limit);
  }
  if (values.transport !== undefined && !['rest', 'mcp', 'queue', 'timer'].includes(values.transport)) {
    throw new UsageError('--transport must be rest, mcp, queue or timer');
  }
  const passed: Array<[string, string | undefined]> = [
    ['table', values.table],
    ['fingerprint', values.fingerprint],
    ['approvalRequestId', values.approval],
    ['transport', values.transport],
    ['continuation', values.continuation],
  ];
  for (const [name, value] of passed) if (value !== undefined) q.set(name, value);
  return q;
}

async function runList(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...identityOptions,
      principal: { type: 'string' },
      connection: { type: 'string' },
      decision: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      table: { type: 'string' },
      fingerprint: { type: 'string' },
      approval: { type: 'string' },
      transport: { type: 'string' },
      continuation: { type: 'string' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const query = auditQuery(values);
  const token = await tokenFor(io, values);
  const call = await callGateway(io, `/api/v1/audit${query.size > 0 ? `?${query}` : ''}`, {
    token,
    url: values.url,
  });
  return printAnswer(io, call, {
    command: 'audit list',
    json: values.json,
    schema: listSchema,
    render: (body) =>
      tableText({
        columns: [
          'time',
          'requestId',
          'principal',
          'action',
          'connection',
          'decision',
          'status',
          'error',
          'rows',
          'policies',
          'statement',
        ],
        rows: body.records.map((r) => ({
          time: r.time,
          requestId: r.requestId,
          principal: r.principal?.id ?? null,
          action: r.kind === undefined || r.kind === 'request' ? r.action : `${r.action} (${r.kind})`,
          connection: r.connection,
          decision: r.decision?.outcome ?? null,
          status: r.status ?? null,
          error: r.errorCode ?? null,
          rows: r.rowsReturned ?? null,
          policies: r.decision?.policyIds.join(',') ?? null,
          statement: r.statement ?? null,
        })),
        footer: `(${counted(body.records.length, 'record')}${body.continuation ? `; more with --continuation ${body.continuation}` : ''})`,
      }),
  });
}

async function runShow(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: identityOptions });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0 || !/^[A-Za-z0-9._:-]{1,128}$/.test(id)) {
    throw new UsageError('give one request id (see agentgate audit list)');
  }
  const token = await tokenFor(io, values);
  const call = await callGateway(io, `/api/v1/audit/${encodeURIComponent(id)}`, { token, url: values.url });
  return printAnswer(io, call, {
    command: 'audit show',
    json: values.json,
    schema: showSchema,
    render: (body) => `${formatTrace(body.requestId, body.events)}\n`,
  });
}

/**
 * The trace as indented `key: value` lines, one block per event: readable in a terminal
 * whatever fields the events carry, nested objects flattened with dotted keys.
 */
export function formatTrace(requestId: string, events: Array<Record<string, unknown>>): string {
  const out = [`request ${requestId}: ${events.length} event${events.length === 1 ? '' : 's'}`];
  events.forEach((event, i) => {
    const kind =
      typeof event.kind === 'string' ? event.kind : typeof event.type === 'string' ? event.type : 'event';
    out.push('', `[${i + 1}] ${kind}`);
    for (const [key, value] of flatten(event)) out.push(`  ${key}: ${value}`);
  });
  return out.join('\n');
}

function flatten(value: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      lines.push(...flatten(v as Record<string, unknown>, key));
    } else if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object')) {
      v.forEach((x, i) => {
        if (x !== null && typeof x === 'object')
          lines.push(...flatten(x as Record<string, unknown>, `${key}[${i}]`));
        else lines.push([`${key}[${i}]`, show(x)]);
      });
    } else {
      lines.push([key, show(v)]);
    }
  }
  return lines;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v === '') return '""';
  if (Array.isArray(v)) return v.length === 0 ? '[]' : v.map((x) => String(x)).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
