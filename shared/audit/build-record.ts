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
}

/** Statements are long-tail input; the audit keeps enough to replay and search, not megabytes. */
const MAX_STATEMENT_CHARS = 20_000;

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
    statement: trace.statement === null ? null : trace.statement.slice(0, MAX_STATEMENT_CHARS),
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
    truncated: outcome.truncated,
    masking: trace.masking,
    purpose: trace.purpose,
    durationMs: Math.round(outcome.durationMs * 100) / 100,
  };
}
