import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parsePrincipalSpec, principalId, UsageError } from '../args.js';
import { callGateway, reportFailure } from '../http.js';
import type { CliIo } from '../io.js';
import { counted, printAnswer, printCallJson, tableText } from '../output.js';
import {
  formatRequest,
  guarded,
  identityOptions,
  requestIdFrom,
  requestViewSchema,
  tokenFor,
} from './requests.js';

const HELP = `Usage:
  agentgate approvals list [--json] [--as human:NAME] [--group G]... [--token T] [--url URL]
  agentgate approvals show ID [--json] [...same identity options]
  agentgate approvals approve ID [--max-rows N] [--reason R] [--wait] [...same identity options]
  agentgate approvals deny ID [--reason R] [--wait] [...same identity options]

The approver's side of requests held for approval, against the running gateway.
list: the pending requests you may decide (GET /api/v1/approvals). show: one request in full
(who asks, statement, estimated rows, policy reasons, purpose, expiry, decisions so far).
approve / deny: POST /api/v1/approvals/{id}/decision; the gateway queues the decision and
applies it (an approved statement then runs once, masked for the requester). --max-rows may
only lower the row cap. --wait follows the request until it leaves pending (at most 60 s).

You act as a person: without --token a dev token is minted for --as (default
human:dev-approver in group data-owners, the approver group of the shipped policies) with the
project's dev key. Agents never approve, nor does the person a request is for.

Examples:
  agentgate approvals list
  agentgate approvals approve 7b0c1c8e-0000-4000-8000-000000000000 --max-rows 500 --wait
  agentgate approvals deny 7b0c1c8e-0000-4000-8000-000000000000 --reason "ask for one month only"

Exit codes: 0 shown or decision queued, 1 refused, not found or gateway unreachable, 2 usage.`;

const APPROVER = { as: 'human:dev-approver', groups: ['data-owners'] };
const listSchema = z.object({ requestId: z.string(), requests: z.array(requestViewSchema) });
const queuedSchema = z.object({ decisionId: z.string(), status: z.string() }).passthrough();
const statusSchema = z.object({ request: requestViewSchema });

export interface ApprovalsCommandDeps {
  /** Pause between status reads of --wait; tests shorten it. */
  sleep?: (ms: number) => Promise<void>;
}

export async function runApprovalsCommand(
  argv: string[],
  io: CliIo,
  deps: ApprovalsCommandDeps = {},
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  switch (sub) {
    case 'list':
      return guarded(io, 'approvals list', () => runList(rest, io));
    case 'show':
      return guarded(io, 'approvals show', () => runShow(rest, io));
    case 'approve':
    case 'deny':
      return guarded(io, `approvals ${sub}`, () => runDecide(sub, rest, io, sleep));
    default:
      io.stderr.write(`agentgate approvals: unknown subcommand ${sub}\n${HELP}\n`);
      return 2;
  }
}

async function runList(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: identityOptions });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const token = await tokenFor(io, values, APPROVER);
  const call = await callGateway(io, '/api/v1/approvals?status=pending', { token, url: values.url });
  return printAnswer(io, call, {
    command: 'approvals list',
    json: values.json,
    schema: listSchema,
    render: (body) =>
      tableText({
        columns: [
          'id',
          'connection',
          'requester',
          'estimated',
          'cap',
          'votes',
          'expires',
          'policies',
          'statement',
        ],
        rows: body.requests.map((r) => ({
          id: r.id,
          connection: r.connection,
          requester: r.requester.id,
          estimated: r.estimatedRows,
          cap: r.maxRows,
          votes: `${r.votes.filter((v) => v.decision === 'approve').length}/${r.quorum}`,
          expires: r.expiresAt,
          policies: r.policyIds.join(','),
          statement: r.statement,
        })),
        footer: `(${counted(body.requests.length, 'pending request')} you may decide)`,
      }),
  });
}

async function runShow(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: identityOptions });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const id = requestIdFrom(positionals, 'see agentgate approvals list');
  const token = await tokenFor(io, values, APPROVER);
  const call = await callGateway(io, `/api/v1/requests/${encodeURIComponent(id)}`, {
    token,
    url: values.url,
  });
  return printAnswer(io, call, {
    command: 'approvals show',
    json: values.json,
    schema: statusSchema,
    render: (body) => `${formatRequest(body.request)}\n`,
  });
}

async function runDecide(
  decision: 'approve' | 'deny',
  argv: string[],
  io: CliIo,
  sleep: (ms: number) => Promise<void>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...identityOptions,
      reason: { type: 'string' },
      wait: { type: 'boolean' },
      ...(decision === 'approve' ? { 'max-rows': { type: 'string' } } : {}),
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const id = requestIdFrom(positionals, 'see agentgate approvals list');
  const rawCap = (values as { 'max-rows'?: string })['max-rows'];
  let maxRows: number | undefined;
  if (rawCap !== undefined) {
    if (!/^[1-9][0-9]{0,6}$/.test(rawCap))
      throw new UsageError('--max-rows must be a whole number, 1 or more');
    maxRows = Number(rawCap);
  }
  const reason = values.reason;
  if (reason !== undefined && (reason.trim().length === 0 || reason.length > 2000)) {
    throw new UsageError('--reason must be 1 to 2000 characters');
  }
  const token = await tokenFor(io, values, APPROVER);
  // Whose vote --wait looks for (unknown with --token: then any vote of the same kind).
  const me =
    values.token === undefined ? principalId(parsePrincipalSpec(values.as ?? APPROVER.as)) : undefined;
  const call = await callGateway(io, `/api/v1/approvals/${encodeURIComponent(id)}/decision`, {
    method: 'POST',
    token,
    url: values.url,
    body: {
      decision,
      ...(reason === undefined ? {} : { reason }),
      ...(maxRows === undefined ? {} : { maxRows }),
    },
  });
  if (values.json && !values.wait) return printCallJson(io, call);
  const queued = queuedSchema.safeParse(call.body);
  if (!call.ok || !queued.success) {
    if (values.json) return printCallJson(io, call);
    return reportFailure(io, `approvals ${decision}`, call);
  }
  if (!values.json)
    io.stdout.write(`${decision} queued for request ${id} (decision ${queued.data.decisionId})\n`);
  if (!values.wait) return 0;
  // Follow the request until the decision is applied (or the minute is up).
  for (let i = 0; i < 120; i++) {
    const status = await callGateway(io, `/api/v1/requests/${encodeURIComponent(id)}`, {
      token,
      url: values.url,
    });
    const parsed = statusSchema.safeParse(status.body);
    if (!status.ok || !parsed.success) return reportFailure(io, `approvals ${decision}`, status);
    const r = parsed.data.request;
    const mine = r.votes.some((v) => v.decision === decision && (me === undefined || v.approver.id === me));
    const settled =
      !['pending', 'approved', 'executing'].includes(r.status) || (r.status === 'pending' && mine);
    if (settled) {
      if (values.json) return printCallJson(io, status);
      io.stdout.write(
        `request ${id} is ${r.status}${r.status === 'pending' ? ' (waiting for more approvals)' : ''}\n`,
      );
      return 0;
    }
    await sleep(500);
  }
  io.stderr.write(`agentgate approvals ${decision}: request ${id} was not settled within a minute\n`);
  return 1;
}
