import {
  type ApprovalEvent,
  applyDecision,
  createApprovalRequest,
  type DecisionOutcome,
  type ExecuteApprovedDeps,
  executeApproved,
  type MaskedRows,
  type NewApprovalRequest,
} from '../../../shared/approvals/index.js';
import type { PrincipalSnapshot } from '../../../shared/audit/event.js';
import { approverGroups } from '../../../shared/policy/index.js';
import type { RequestStore, StoredRequest } from '../../../shared/ports/request-store.js';
import type { ResultStore } from '../../../shared/ports/result-store.js';
import type { ApprovalObligation } from '../../../shared/types.js';
import { MemoryRequestStore } from '../../support/memory-request-store.js';
import { MemoryResultStore } from '../../support/memory-result-store.js';

export const START = Date.UTC(2026, 0, 5, 9, 0, 0);
export const ISSUER = 'https://issuer.test/';
export const GROUP = 'data-owners';

export const alice: PrincipalSnapshot = {
  id: 'alice',
  kind: 'human',
  issuer: ISSUER,
  name: 'Alice',
  groups: [GROUP],
  roles: [],
};
/** An agent acting for Alice, who is herself in the approver group. */
export const reportBot: PrincipalSnapshot = {
  id: 'agent-1',
  kind: 'agent',
  issuer: ISSUER,
  appId: 'app-1',
  groups: [GROUP],
  roles: [],
  onBehalfOf: { id: 'alice', name: 'Alice' },
};
export const bob: PrincipalSnapshot = {
  id: 'bob',
  kind: 'human',
  issuer: ISSUER,
  name: 'Bob',
  groups: [GROUP],
  roles: [],
};
export const carol: PrincipalSnapshot = {
  id: 'carol',
  kind: 'human',
  issuer: ISSUER,
  groups: ['x', GROUP],
  roles: [],
};
export const dave: PrincipalSnapshot = {
  id: 'dave',
  kind: 'human',
  issuer: ISSUER,
  groups: ['sales'],
  roles: [],
};
export const approverBot: PrincipalSnapshot = {
  id: 'agent-2',
  kind: 'agent',
  issuer: ISSUER,
  groups: [GROUP],
  roles: [],
};

/** Annotations of the policies a test's requests are decided under. */
export const POLICIES: Record<string, Record<string, string>> = {
  'bulk-read': {
    id: 'bulk-read',
    message: 'Bulk reads need approval.',
    outcome: 'approval',
    approvers: GROUP,
  },
  'bulk-read-two': {
    id: 'bulk-read-two',
    message: 'Bulk reads of HR need two approvers.',
    outcome: 'approval',
    approvers: `${GROUP}, dba`,
    quorum: '2',
    expires: '10m',
  },
};

/** A policy's annotations as its decision's `obligations.approvals` entry. */
export function approvalObligationOf(policyId: string, a: Record<string, string>): ApprovalObligation {
  return {
    policyId,
    approvers: approverGroups(a.approvers),
    ...(a.quorum === undefined ? {} : { quorum: a.quorum }),
    ...(a.expires === undefined ? {} : { expires: a.expires }),
  };
}

export const MASKED: MaskedRows = {
  columns: [
    { name: 'id', type: 'int4' },
    { name: 'email', type: 'text' },
  ],
  rows: [
    [1, '***@example.com'],
    [2, '***@example.org'],
    [3, '***@example.net'],
  ],
  truncated: false,
  masking: { columns: { email: 'email' }, cellsMasked: 3, byClass: { email: 3 } },
};

export interface WorldOptions {
  requests?: RequestStore;
  results?: ResultStore;
}

/** The workflow over memory stores with a clock the test moves, counting runs at the "target". */
export function world(options: WorldOptions = {}) {
  const requests = options.requests ?? new MemoryRequestStore();
  const results = options.results ?? new MemoryResultStore();
  let nowMs = START;
  const now = () => new Date(nowMs);
  const runs: StoredRequest[] = [];
  const events: Array<{ id: string; kind: string }> = [];
  let decideAgain: 'approval' | 'allow' | 'deny' = 'approval';
  let fingerprintNow: string | undefined;
  let approveRule: (approver: PrincipalSnapshot, request: StoredRequest) => boolean = (a) =>
    a.kind === 'human';
  let rows: MaskedRows | (() => Promise<MaskedRows>) = MASKED;
  let ids = 0;

  const executeDeps: ExecuteApprovedDeps = {
    requests,
    results,
    now,
    fingerprintOf: (request) => fingerprintNow ?? request.fingerprint,
    redecide: async () => decideAgain,
    runAndMask: async (request) => {
      runs.push(structuredClone(request));
      // A real target takes a moment; racing executions overlap here.
      await new Promise((resolve) => setImmediate(resolve));
      return typeof rows === 'function' ? rows() : structuredClone(rows);
    },
    newResultId: () => `result-${++ids}`,
  };

  const record = (list: ReadonlyArray<{ id: string; kind: string }>) => {
    for (const e of list) events.push({ id: e.id, kind: e.kind });
  };

  return {
    requests,
    results,
    now,
    runs,
    events,
    executeDeps,
    advance(ms: number) {
      nowMs += ms;
    },
    set redecide(outcome: 'approval' | 'allow' | 'deny') {
      decideAgain = outcome;
    },
    set fingerprint(value: string) {
      fingerprintNow = value;
    },
    set mayApprove(rule: (approver: PrincipalSnapshot, request: StoredRequest) => boolean) {
      approveRule = rule;
    },
    set rows(value: MaskedRows | (() => Promise<MaskedRows>)) {
      rows = value;
    },
    async create(overrides: Partial<NewApprovalRequest> = {}): Promise<StoredRequest> {
      const policyIds = overrides.policyIds ?? ['bulk-read'];
      const input: NewApprovalRequest = {
        id: `req-${++ids}`,
        seq: 1,
        requester: reportBot,
        transport: 'rest',
        connection: 'crm-prod',
        statement: 'SELECT id, email FROM public.customers WHERE region = $1',
        params: ['emea'],
        fingerprint: 'f'.repeat(64),
        purpose: 'quarterly report',
        policyIds: ['bulk-read'],
        reasons: ['Bulk reads need approval.'],
        maxRows: 1000,
        estimatedRows: 40_000,
        tables: ['public.customers'],
        policySetDigest: 'd'.repeat(64),
        // What the decision of those policies carries (an unknown policy carries nothing).
        approvals: policyIds.flatMap((id) => {
          const p = POLICIES[id];
          return p === undefined ? [] : [approvalObligationOf(id, p)];
        }),
        ...overrides,
      };
      const { request, event } = await createApprovalRequest(requests, input, now());
      record([event]);
      return request;
    },
    async decide(
      requestId: string,
      approver: PrincipalSnapshot,
      decision: 'approve' | 'deny',
      extra: { decisionId?: string; maxRows?: number; reason?: string } = {},
    ): Promise<DecisionOutcome> {
      const outcome = await applyDecision(
        { requests, now, mayApprove: (a, r) => approveRule(a, r) },
        {
          decisionId: extra.decisionId ?? `d-${++ids}`,
          requestId,
          approver,
          decision,
          ...(extra.maxRows === undefined ? {} : { maxRows: extra.maxRows }),
          ...(extra.reason === undefined ? {} : { reason: extra.reason }),
        },
      );
      record(outcome.events as ApprovalEvent[]);
      return outcome;
    },
    async execute(requestId: string) {
      const outcome = await executeApproved(executeDeps, requestId);
      record(outcome.events);
      return outcome;
    },
    record,
    async status(requestId: string) {
      return (await requests.get(requestId))?.value.status;
    },
  };
}
