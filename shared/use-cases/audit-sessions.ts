import type { AuditEvent, RequestEvent } from '../audit/event.js';
import { newTrace, type RequestStart } from '../pipeline/trace.js';
import type { AuditStore } from '../store/audit-store.js';
import type { Principal } from '../types.js';
import { conclude } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import { type KeptView, readKept, requireRowsReader } from './replay-rows.js';
import { maskForReader, requireAuditor } from './search-audit.js';

/**
 * Replay: one principal's commands in time order, each with its decision, the policies that
 * made it, what was released (rows, cells, digest) and, for a request held for approval, the
 * approval's steps and what its result released. Statements are masked with the reader's
 * posture, as in the search.
 */

export interface SessionQuery {
  principal: string;
  from?: string;
  to?: string;
  limit: number;
  continuation?: string;
  /** Show the kept rows of each release (members of `auditors` only), checked against the event. */
  rows?: boolean;
}

export interface ApprovalStep {
  seq: number;
  kind: AuditEvent['kind'];
  time: string;
  actor: string | null;
  /** What the step did, by kind: the vote, the transition, the rows and digest released. */
  detail: Record<string, unknown>;
}

export interface ReplayedCommand {
  requestId: string;
  time: string;
  transport: AuditEvent['transport'];
  action: string;
  connection: string | null;
  tool?: string;
  statement: string | null;
  fingerprint: string | null;
  decision: RequestEvent['decision'];
  status: number;
  errorCode: string | null;
  rows: number;
  cells: number | null;
  digest: string | null;
  approval?: { id: string; steps: ApprovalStep[] };
  /** The kept copy of what was released (connections with `replay`); its rows with `rows`. */
  kept?: KeptView;
}

export interface SessionPage {
  requestId: string;
  principal: string;
  commands: ReplayedCommand[];
  /** The earlier commands (pages go back in time; each page is in time order). */
  continuation?: string;
}

/** The fields that tell what a step did; everything else is the envelope. */
const STEP_FIELDS = [
  'vote',
  'reason',
  'applied',
  'refusal',
  'statusAfter',
  'from',
  'to',
  'channel',
  'ok',
  'attempts',
  'rows',
  'cells',
  'bytes',
  'digest',
  'truncated',
  'errorCode',
  'approverGroup',
  'quorum',
  'expiresAt',
] as const;

function stepOf(event: AuditEvent): ApprovalStep {
  const detail: Record<string, unknown> = {};
  const fields = event as unknown as Record<string, unknown>;
  for (const k of STEP_FIELDS) if (fields[k] !== undefined) detail[k] = fields[k];
  return { seq: event.seq, kind: event.kind, time: event.time, actor: event.principal?.id ?? null, detail };
}

/** An approval's own events after the request that asked for it (seq 0), in order. */
async function approvalSteps(audit: AuditStore, id: string): Promise<ApprovalStep[]> {
  const page = await audit.search({ requestId: id }, { limit: 200 });
  return page.records
    .filter((e) => e.seq > 0)
    .sort((a, b) => a.seq - b.seq)
    .map(stepOf);
}

function commandOf(e: RequestEvent): ReplayedCommand {
  return {
    requestId: e.requestId,
    time: e.time,
    transport: e.transport,
    action: e.action,
    connection: e.connection,
    ...(e.tool ? { tool: e.tool } : {}),
    statement: e.statement,
    fingerprint: e.fingerprint,
    decision: e.decision,
    status: e.status,
    errorCode: e.errorCode,
    rows: e.rowsReturned,
    cells: e.cellsReturned ?? null,
    digest: e.releasedDigest ?? null,
    ...(e.replay ? { kept: { ...e.replay } } : {}),
  };
}

export function auditSessions(
  deps: UseCaseDeps,
  start: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
  input: SessionQuery,
) {
  const trace = newTrace({ ...start, action: 'audit.replay', connection: null });
  trace.principal = principal;
  return conclude<SessionPage>(deps, trace, async () => {
    await requireAuditor(deps, trace, principal);
    if (input.rows) requireRowsReader(principal);
    trace.statement = JSON.stringify(input);
    const { limit, continuation, rows: withRows, ...filter } = input;
    const page = await trace.clock.run('execute', () =>
      deps.audit.search(filter, { limit, ...(continuation ? { continuation } : {}) }),
    );
    const mask = maskForReader(deps, principal);
    const requests = page.records
      .filter((e): e is RequestEvent => e.kind === 'request' && e.seq === 0)
      .map((e) => mask(e) as RequestEvent)
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    const commands = await Promise.all(
      requests.map(async (e) => {
        const command = commandOf(e);
        if (withRows && e.replay) command.kept = await readKept(deps, e, e.replay);
        if (!e.approvalRequestId) return command;
        const steps = await approvalSteps(deps.audit, e.approvalRequestId);
        return { ...command, approval: { id: e.approvalRequestId, steps } };
      }),
    );
    return {
      value: {
        requestId: trace.requestId,
        principal: input.principal,
        commands,
        ...(page.continuation ? { continuation: page.continuation } : {}),
      },
      end: { rowsReturned: commands.length, truncated: page.continuation !== undefined },
    };
  });
}
