import type { AuditEvent, RequestEvent } from '../../../shared/audit/event.js';

/** A request event as the pipeline would record it (no clear values). */
export function sampleEvent(requestId: string, seq: number, time = '2026-12-01T12:00:00.000Z'): AuditEvent {
  const event: RequestEvent = {
    kind: 'request',
    id: `${requestId}:${seq}`,
    requestId,
    seq,
    time,
    principal: { id: 'agent-1', kind: 'agent', groups: [], roles: ['reader'] },
    transport: 'rest',
    connection: 'crm',
    action: 'query',
    statement: 'SELECT id FROM customers WHERE id = $1',
    params: [42],
    fingerprint: 'f00d',
    facts: null,
    decision: { outcome: 'allow', policyIds: ['p1'], reasons: [] },
    status: 200,
    errorCode: null,
    rowsReturned: 1,
    truncated: false,
    masking: null,
    purpose: 'support',
    durationMs: 1.5,
  };
  return event;
}
