import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration, parsePrincipalSpec, UsageError } from '../args.js';
import { callGateway, Unreachable } from '../http.js';
import type { CliIo } from '../io.js';
import { printAnswer, rowsTable, tableText } from '../output.js';
import { mintDevToken } from './token.js';

const HELP = `Usage:
  agentgate requests status ID [--json] [--as agent:NAME|human:NAME] [--group G]... [--token T] [--url URL]
  agentgate requests result ID [--json] [...same identity options]
  agentgate requests cancel ID [--json] [...same identity options]

The agent's side of a request held for approval (the ID is the approvalRequestId of the 202
answer, also in its statusUrl). status: GET /api/v1/requests/{id} (status, approver group,
decisions, expiry, policy reasons). result: the masked rows once the request completed, for
the requester only and only until the result expires. cancel: withdraw a pending request.
Without --token a dev token is minted for --as (default agent:cli-agent, the same agent as
"agentgate query") with the project's dev key.

Examples:
  agentgate requests status 7b0c1c8e-0000-4000-8000-000000000000
  agentgate requests result 7b0c1c8e-0000-4000-8000-000000000000 --as agent:reporting-bot

Exit codes: 0 shown, 1 refused, not found, not ready or gateway unreachable, 2 usage.`;

/** What `GET /api/v1/requests/{id}` answers (RequestView); unknown extra fields are kept. */
export const requestViewSchema = z
  .object({
    id: z.string(),
    status: z.string(),
    connection: z.string(),
    statement: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    requester: z.object({ kind: z.string(), id: z.string(), name: z.string().optional() }).passthrough(),
    approverGroup: z.string().nullable(),
    quorum: z.number(),
    maxRows: z.number(),
    estimatedRows: z.number().nullable(),
    policyIds: z.array(z.string()),
    reasons: z.array(z.string()),
    purpose: z.string().nullable(),
    votes: z.array(
      z
        .object({
          approver: z.object({ id: z.string(), name: z.string().optional() }).passthrough(),
          decision: z.string(),
          at: z.string(),
          reason: z.string().optional(),
        })
        .passthrough(),
    ),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    resultUrl: z.string().optional(),
  })
  .passthrough();

export type RequestViewBody = z.output<typeof requestViewSchema>;

const statusSchema = z.object({ requestId: z.string(), request: requestViewSchema });

const resultSchema = z.object({
  requestId: z.string(),
  columns: z.array(z.object({ name: z.string() }).passthrough()),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: z.boolean(),
  masking: z.object({ cellsMasked: z.number() }).passthrough().nullish(),
  expiresAt: z.string().optional(),
});

const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The one request id a subcommand takes. */
export function requestIdFrom(positionals: string[], what: string): string {
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0 || !ID.test(id))
    throw new UsageError(`give one request id (${what})`);
  return id;
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

export interface IdentityValues {
  as?: string | undefined;
  group?: string[] | undefined;
  role?: string[] | undefined;
  token?: string | undefined;
}

/** `--token`, else a 5-minute dev token for `--as` (the default principal and groups when absent). */
export async function tokenFor(
  io: CliIo,
  values: IdentityValues,
  fallback: { as: string; groups: string[] },
): Promise<string> {
  if (values.token !== undefined) {
    if (values.as !== undefined || values.group !== undefined || values.role !== undefined) {
      throw new UsageError('--as, --group and --role mint a dev token; not with --token');
    }
    return values.token;
  }
  const spec = parsePrincipalSpec(values.as ?? fallback.as);
  const groups = values.group ?? (values.as === undefined ? fallback.groups : []);
  return mintDevToken(io, spec, { groups, roles: values.role ?? [], ttlSeconds: parseDuration('5m') });
}

/** A request as `key: value` lines, the statement last (it may span lines). */
export function formatRequest(r: RequestViewBody): string {
  const who = (p: { id: string; name?: string | undefined }) => (p.name ? `${p.id} (${p.name})` : p.id);
  const lines = [
    `request:        ${r.id}`,
    `status:         ${r.status}`,
    `connection:     ${r.connection}`,
    `requester:      ${r.requester.kind} ${who(r.requester)}`,
    `purpose:        ${r.purpose ?? 'NULL'}`,
    `approver group: ${r.approverGroup ?? 'NULL'} (${r.quorum} approval${r.quorum === 1 ? '' : 's'} needed)`,
    `estimated rows: ${r.estimatedRows ?? 'unknown'}`,
    `row cap:        ${r.maxRows}`,
    `asked at:       ${r.createdAt}`,
    `expires at:     ${r.expiresAt}`,
    `policies:       ${r.policyIds.join(', ') || 'none'}`,
  ];
  for (const reason of r.reasons) lines.push(`reason:         ${reason}`);
  for (const v of r.votes) {
    lines.push(
      `decision:       ${v.decision} by ${who(v.approver)} at ${v.at}${v.reason ? `: ${v.reason}` : ''}`,
    );
  }
  if (r.error) lines.push(`error:          ${r.error.code}: ${r.error.message}`);
  if (r.resultUrl) lines.push(`result:         ${r.resultUrl} (agentgate requests result ${r.id})`);
  lines.push('statement:', ...r.statement.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
}

/** Runs a subcommand, turning usage mistakes into exit 2 and an unreachable gateway into 1. */
export async function guarded(io: CliIo, name: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`agentgate ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Unreachable) {
      io.stderr.write(`agentgate ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const AGENT = { as: 'agent:cli-agent', groups: [] };

export async function runRequestsCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'status' && sub !== 'result' && sub !== 'cancel') {
    io.stderr.write(`agentgate requests: unknown subcommand ${sub}\n${HELP}\n`);
    return 2;
  }
  return guarded(io, `requests ${sub}`, async () => {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: identityOptions,
    });
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    const id = requestIdFrom(positionals, 'see the 202 answer of the query');
    const token = await tokenFor(io, values, AGENT);
    const path = `/api/v1/requests/${encodeURIComponent(id)}`;
    if (sub === 'status') {
      const call = await callGateway(io, path, { token, url: values.url });
      return printAnswer(io, call, {
        command: 'requests status',
        json: values.json,
        schema: statusSchema,
        render: (body) => `${formatRequest(body.request)}\n`,
      });
    }
    if (sub === 'cancel') {
      const call = await callGateway(io, path, { method: 'DELETE', token, url: values.url });
      return printAnswer(io, call, {
        command: 'requests cancel',
        json: values.json,
        // Whatever the body, a success means the request was withdrawn.
        schema: z.unknown(),
        render: () => `request ${id} cancelled\n`,
      });
    }
    const call = await callGateway(io, `${path}/result`, { token, url: values.url });
    return printAnswer(io, call, {
      command: 'requests result',
      json: values.json,
      schema: resultSchema,
      render: (d) =>
        tableText(rowsTable(d, `request ${id}${d.expiresAt ? `; readable until ${d.expiresAt}` : ''}`)),
    });
  });
}
