import type { ApprovalNotice } from '../../../shared/ports/notifier.js';

export const SECRET_WEBHOOK =
  'https://prod-07.westeurope.logic.azure.com/workflows/0123abcd/triggers/manual/paths/invoke?api-version=2016-06-01&sig=TOP-SECRET-SIGNATURE';

export function notice(overrides: Partial<ApprovalNotice> = {}): ApprovalNotice {
  return {
    requestId: 'req-42',
    connection: 'sales',
    environment: 'prod',
    requester: {
      kind: 'agent',
      id: 'agent-7',
      name: 'Report bot',
      appId: '11111111-2222-3333-4444-555555555555',
      onBehalfOf: { id: 'u-1', name: 'Alice Example' },
    },
    statement: 'SELECT id, email FROM customers WHERE region = $1',
    params: ['"emea"'],
    tables: ['public.customers'],
    estimatedRows: 120_000,
    policyIds: ['bulk-read-needs-approval'],
    reasons: ['estimated rows 120000 exceed 10000'],
    purpose: 'Quarterly churn report',
    approverGroup: 'sales-approvers',
    quorum: 1,
    expiresAt: '2026-12-01T22:00:00.000Z',
    approveUrl: 'https://agentgate.example.com/api/approve/req-42',
    ...overrides,
  };
}
