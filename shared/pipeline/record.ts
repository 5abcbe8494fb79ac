import { createHash } from 'node:crypto';
import type { AuditEvent, PrincipalSnapshot, RequestEvent } from '../audit/event.js';
import { eventId } from '../audit/event.js';
import { GatewayError } from '../errors.js';
import { maskTextDefault } from '../masking/index.js';
import type { AuditStore } from '../store/audit-store.js';
import type { Principal } from '../types.js';
import type { RequestTrace } from './trace.js';

/** How the request ended, as its audit event says. */
export interface RequestEnd {
  status: number;
  errorCode: string | null;
  rowsReturned: number;
  truncated: boolean;
}

/** Hex SHA-256 of the statement as received, so a stored statement can be checked whole. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function principalSnapshot(p: Principal): PrincipalSnapshot {
  return {
    id: p.id,
    kind: p.kind,
    issuer: p.issuer,
    ...(p.appId ? { appId: p.appId } : {}),
    ...(p.name ? { name: p.name } : {}),
    groups: p.groups,
    roles: p.roles,
    ...(p.onBehalfOf
      ? { onBehalfOf: { id: p.onBehalfOf.id, ...(p.onBehalfOf.name ? { name: p.onBehalfOf.name } : {}) } }
      : {}),
  };
}

/**
 * A route value as the caller typed it (a connection id no connection has, a tool name no tool
 * has): masked before it is written, so an agent cannot put a card number into the audit
 * trail in clear (red-team round 33). A configured id passes unchanged.
 */
function typed(value: string): string {
  return maskTextDefault(value) ?? '[withheld]';
}

/** The request's own event (seq 0): what was asked, what was decided, what left. */
export function requestEvent(trace: RequestTrace, end: RequestEnd): RequestEvent {
  const f = trace.facts;
  const optional = {
    ...(trace.statement === null ? {} : { statementSha256: sha256Hex(trace.statement) }),
    ...(trace.params && trace.params.length > 0 ? { params: trace.params } : {}),
    ...(trace.released?.digest ? { releasedDigest: trace.released.digest } : {}),
    ...(trace.kept ? { replay: { ...trace.kept.link } } : {}),
    ...(trace.targetMessage === undefined ? {} : { targetMessage: trace.targetMessage }),
    ...(trace.approvalRequestId ? { approvalRequestId: trace.approvalRequestId } : {}),
    ...(trace.tool ? { tool: typed(trace.tool) } : {}),
    ...(trace.blob ? { blob: { ...trace.blob } } : {}),
    ...(trace.authFailure ? { authFailure: trace.authFailure } : {}),
    ...(trace.estimateError ? { estimateError: trace.estimateError } : {}),
    ...(trace.unmaskedClasses ? { unmaskedClasses: trace.unmaskedClasses } : {}),
    ...(trace.decision?.shadow
      ? {
          shadow: {
            outcome: trace.decision.shadow.outcome,
            policyIds: trace.decision.shadow.policyIds,
            changed: trace.decision.shadow.changed,
          },
        }
      : {}),
  };
  return {
    id: eventId(trace.requestId, 0),
    requestId: trace.requestId,
    seq: 0,
    kind: 'request',
    time: trace.time.toISOString(),
    principal: trace.principal ? principalSnapshot(trace.principal) : null,
    transport: trace.transport,
    connection: trace.connection === null ? null : typed(trace.connection),
    action: trace.action,
    // Kept whole: requests are capped at 100,000 characters, well inside one Cosmos item.
    statement: trace.statement,
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
    status: end.status,
    errorCode: end.errorCode,
    rowsReturned: end.rowsReturned,
    cellsReturned: trace.released?.cells ?? 0,
    bytesReturned: trace.released?.bytes ?? 0,
    truncated: end.truncated,
    masking: trace.masking,
    purpose: trace.purpose,
    timings: trace.clock.stages(),
    durationMs: Math.round(trace.clock.elapsedMs() * 100) / 100,
    ...optional,
  };
}

/**
 * The last stage before anything leaves: the request's audit event is made durable. When it
 * cannot be, the request fails with `audit_unavailable`: no audit, no data, whatever the
 * transport.
 */
export async function record(audit: AuditStore, trace: RequestTrace, end: RequestEnd): Promise<void> {
  const event = requestEvent(trace, end);
  try {
    await trace.clock.run('audit', () => audit.append(event));
  } catch (cause) {
    throw new GatewayError('audit_unavailable', 'The audit store is unavailable; no data was released.', {
      cause,
    });
  }
}

/**
 * Records workflow events (approval steps, executions, releases) in order. The caller acts
 * on the step only once this resolves; a failure is `audit_unavailable`.
 */
export async function recordEvents(audit: AuditStore, events: readonly AuditEvent[]): Promise<void> {
  for (const event of events) {
    try {
      await audit.append(event);
    } catch (cause) {
      if (cause instanceof GatewayError && cause.code === 'conflict') continue;
      throw new GatewayError('audit_unavailable', 'The audit store is unavailable; nothing was released.', {
        cause,
      });
    }
  }
}
