import { createHash } from 'node:crypto';
import type { Decision, Principal, StatementFacts } from '../types.js';
import type { AuditRecord } from './record.js';

/** What the pipeline knows about a request when it is about to answer. */
export interface RequestTrace {
  requestId: string;
  time: Date;
  action: string;
  principal: Principal | null;
  connection: string | null;
  statement: string | null;
  facts: StatementFacts | null;
  estimatedRows: number | null;
  decision: Pick<Decision, 'outcome' | 'policyIds' | 'reasons'> | null;
  purpose: string | null;
  masking: AuditRecord['masking'];
  /** Parameters bound to the statement (kept whole, masked for readers like the statement). */
  params?: unknown[];
  /** What left the gateway: rows, cells and bytes of the released result. */
  released?: { rows: number; cells: number; bytes: number };
  /** The target's own error text (masked): for investigators, never for an agent. */
  targetMessage?: string;
}

/** Hex SHA-256 of the statement as received, so a stored statement can be checked whole. */
function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function buildAuditRecord(
  trace: RequestTrace,
  outcome: {
    status: number;
    errorCode: string | null;
    rowsReturned: number;
    truncated: boolean;
    durationMs: number;
  },
): AuditRecord {
  const p = trace.principal;
  const f = trace.facts;
  return {
    id: trace.requestId,
    requestId: trace.requestId,
    kind: 'request',
    time: trace.time.toISOString(),
    principal: p
      ? {
          id: p.id,
          kind: p.kind,
          ...(p.appId ? { appId: p.appId } : {}),
          ...(p.name ? { name: p.name } : {}),
          groups: p.groups,
          roles: p.roles,
          ...(p.onBehalfOf
            ? {
                onBehalfOf: {
                  id: p.onBehalfOf.id,
                  ...(p.onBehalfOf.name ? { name: p.onBehalfOf.name } : {}),
                },
              }
            : {}),
        }
      : null,
    connection: trace.connection,
    action: trace.action,
    // Kept whole: requests are capped at 100,000 characters, well inside one Cosmos item.
    statement: trace.statement,
    ...(trace.statement === null ? {} : { statementSha256: sha256Hex(trace.statement) }),
    ...(trace.params && trace.params.length > 0 ? { params: trace.params } : {}),
    fingerprint: f?.fingerprint ?? null,
    facts: f
      ? {
          effect: f.effect,
          statementCount: f.statementCount,
          tables: f.tables,
          selectStar: f.selectStar,
          hasWhere: f.hasWhere,
          limit: f.limit,
          estimatedRows: trace.estimatedRows,
        }
      : null,
    decision: trace.decision
      ? {
          outcome: trace.decision.outcome,
          policyIds: trace.decision.policyIds,
          reasons: trace.decision.reasons,
        }
      : { outcome: 'error', policyIds: [], reasons: [] },
    status: outcome.status,
    errorCode: outcome.errorCode,
    rowsReturned: outcome.rowsReturned,
    cellsReturned: trace.released?.cells ?? 0,
    bytesReturned: trace.released?.bytes ?? 0,
    ...(trace.targetMessage === undefined ? {} : { targetMessage: trace.targetMessage }),
    truncated: outcome.truncated,
    masking: trace.masking,
    purpose: trace.purpose,
    durationMs: Math.round(outcome.durationMs * 100) / 100,
  };
}
