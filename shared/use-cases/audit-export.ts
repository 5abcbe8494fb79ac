import {
  type AuditExportPorts,
  type CheckpointsPage,
  EXPORT_CHECKPOINTS_MAX,
  EXPORT_EVENTS_MAX,
  type LaneEventsPage,
  type LaneHeadsView,
  readCheckpointPage,
  readHeads,
  readLanePage,
} from '../audit/chain/export.js';
import type { Jwks } from '../audit/chain/signers.js';
import { GatewayError } from '../errors.js';
import { newTrace, type RequestStart, type RequestTrace } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import { conclude } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import type { Outcome } from './outcome.js';
import { maskForReader, requireAuditor } from './search-audit.js';

/**
 * The export routes an auditor's verifier reads (`agentgate audit verify --url`): the lane
 * heads, the events of one lane, the checkpoints, and the public keys. Same readers as the
 * audit search (people holding audit.read), and each read is audited like any other.
 */

type Start = Omit<RequestStart, 'action' | 'connection'>;

export interface LaneEventsQuery {
  lane: number;
  from: number;
  to: number;
  limit: number;
}

function exportPorts(deps: UseCaseDeps): AuditExportPorts {
  if (!deps.auditExport)
    throw new GatewayError('not_found', 'The audit chain is not configured on this gateway.');
  return deps.auditExport;
}

function run<T>(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: unknown,
  read: (ports: AuditExportPorts, trace: RequestTrace) => Promise<T & { rows: number }>,
): Promise<Outcome<Omit<T, 'rows'> & { requestId: string }>> {
  const trace = newTrace({ ...start, action: 'audit.export', connection: null });
  trace.principal = principal;
  return conclude(deps, trace, async () => {
    await requireAuditor(deps, trace, principal);
    trace.statement = JSON.stringify(input);
    const ports = exportPorts(deps);
    const { rows, ...value } = await trace.clock.run('execute', () => read(ports, trace));
    return {
      value: { requestId: trace.requestId, ...(value as Omit<T, 'rows'>) },
      end: { rowsReturned: rows, truncated: false },
    };
  });
}

export function auditLaneHeads(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
): Promise<Outcome<LaneHeadsView & { requestId: string }>> {
  return run<LaneHeadsView>(deps, start, principal, { heads: true }, async (ports) => {
    const view = await readHeads(ports);
    return { ...view, rows: view.heads.length };
  });
}

export function auditLaneEvents(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: LaneEventsQuery,
): Promise<Outcome<LaneEventsPage & { requestId: string }>> {
  return run<LaneEventsPage>(deps, start, principal, input, async (ports) => {
    if (input.lane >= ports.lanes) throw new GatewayError('not_found', `There are ${ports.lanes} lanes.`);
    const page = await readLanePage(ports, maskForReader(deps, principal), {
      ...input,
      limit: Math.min(input.limit, EXPORT_EVENTS_MAX),
    });
    return { ...page, rows: page.events.length };
  });
}

export function auditCheckpoints(
  deps: UseCaseDeps,
  start: Start,
  principal: Principal,
  input: { from: number; limit: number },
): Promise<Outcome<CheckpointsPage & { requestId: string }>> {
  return run<CheckpointsPage>(deps, start, principal, input, async (ports) => {
    const page = await readCheckpointPage(ports, {
      from: input.from,
      limit: Math.min(input.limit, EXPORT_CHECKPOINTS_MAX),
    });
    return { ...page, rows: page.checkpoints.length };
  });
}

/** Public keys are public: no token, no audit event (anyone may check a checkpoint). */
export async function auditJwks(deps: UseCaseDeps): Promise<Jwks> {
  return exportPorts(deps).jwks();
}
