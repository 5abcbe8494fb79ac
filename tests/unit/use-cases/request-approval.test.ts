import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { composeGateway } from '../../../shared/compose.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { ERROR_STATUS } from '../../../shared/errors.js';
import { createTokenVerifier } from '../../../shared/identity/index.js';
import { InboxNotifier } from '../../../shared/notify/inbox.js';
import { loadPolicyEngineFromText, type PolicyEngine } from '../../../shared/policy/index.js';
import { InProcessQueue } from '../../../shared/queue/in-process-queue.js';
import type { Decision } from '../../../shared/types.js';
import { FakeConnector } from '../../support/fake-connector.js';
import { POLICY_DIR } from '../../support/gateway-fixture.js';
import { MemoryAuditStore } from '../../support/memory-audit-store.js';
import { MemoryRequestStore } from '../../support/memory-request-store.js';
import { MemoryResultStore } from '../../support/memory-result-store.js';
import { agent } from '../policy/fixtures.js';

/**
 * Who may approve comes from the decision's obligations alone: the gateway's own approvals
 * carry the connection's approvers, a policy's carry its own `@approvers`, whatever its id.
 */

const AGENT = agent({ id: 'report-bot' });

/** A policy an author named like the gateway's own rules, with its own terms. */
const LOOKALIKE = `@id("gateway-x")
@message("Agents reading this connection need security's approval.")
@outcome("approval")
@approvers("security")
@quorum("2")
@expires("10m")
permit (principal is AgentGate::Agent, action == AgentGate::Action::"query", resource);`;

async function policies(extra: string[] = []): Promise<PolicyEngine> {
  const names = (await readdir(POLICY_DIR)).filter((n) => n.endsWith('.cedar'));
  const files = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(POLICY_DIR, name), 'utf8') })),
  );
  const schema = await readFile(join(POLICY_DIR, 'schema.cedarschema'), 'utf8');
  return loadPolicyEngineFromText(
    [...files, ...extra.map((text, i) => ({ name: `extra-${i}.cedar`, text }))],
    schema,
  );
}

const queues: InProcessQueue[] = [];
after(async () => {
  for (const q of queues) await q.close();
});

async function gateway(
  policy: PolicyEngine,
  connection: Record<string, unknown> = {},
  limits: Record<string, number> = {},
) {
  const requests = new MemoryRequestStore();
  const queue = new InProcessQueue();
  queues.push(queue);
  const sent: unknown[] = [];
  const send = queue.send.bind(queue);
  queue.send = async (name, message) => {
    sent.push({ name, message });
    return send(name, message);
  };
  const connector = new FakeConnector();
  const audit = new MemoryAuditStore();
  const config = parseConfig({
    connections: [
      {
        id: 'demo',
        engine: 'postgres',
        environment: 'prod',
        target: 'embedded-demo',
        approvers: 'finance-owners',
        exposure: { 'public.customers': {} },
        ...connection,
      },
    ],
    limits,
  });
  const composed = composeGateway({
    log: () => {},
    // The use cases are called directly: no token is ever verified here.
    verifier: createTokenVerifier({
      dev: {
        issuer: 'http://localhost/x',
        audience: 'x',
        keys: () => {
          throw new Error('no tokens in this test');
        },
      },
    }),
    policy,
    config,
    connectorFor: () => connector,
    audit,
    maskingKey: 'unit-test-masking-key-0123456789',
    approvals: {
      requests,
      results: new MemoryResultStore(),
      queue,
      notifier: new InboxNotifier(),
      approveUrl: (id) => `http://localhost/api/approve/${id}`,
    },
  });
  let n = 0;
  const start = () => ({
    requestId: `req-${++n}`,
    time: new Date(Date.UTC(2026, 0, 5, 9)),
    transport: 'rest' as const,
  });
  const ask = (sql = 'SELECT id, city FROM public.customers', who = AGENT) =>
    composed.useCases.query(start(), who, { connection: 'demo', sql });
  const cancel = (id: string, who = AGENT) => composed.useCases.cancelRequest(start(), who, { id });
  return { requests, sent, connector, audit, ask, cancel };
}

const pending = async (requests: MemoryRequestStore) => requests.list({ status: 'pending', limit: 10 });

describe('request approval: approvers come from the decision', () => {
  it("the gateway's own approval (response byte cap) is for the connection's approvers", async () => {
    const g = await gateway(await policies(), { maxResponseBytes: 1024 });
    g.connector.result = {
      columns: [{ name: 'city', type: 'text' }],
      rows: Array.from({ length: 200 }, (_, i) => ({ city: `city number ${i}` })),
      rowCount: 200,
      truncated: false,
    };
    const outcome = await g.ask('SELECT city FROM public.customers');
    assert.equal(outcome.kind, 'pending', JSON.stringify(outcome));
    const [stored] = await pending(g.requests);
    assert.deepEqual(stored.policyIds, ['gateway-response-bytes']);
    assert.equal(stored.approverGroup, 'finance-owners');
    assert.equal(stored.quorum, 1);
  });

  it('a policy named gateway-x gets its own @approvers, quorum and expiry, nothing from the connection', async () => {
    const engine = await policies([LOOKALIKE]);
    const g = await gateway(engine);
    const outcome = await g.ask();
    assert.equal(outcome.kind, 'pending', JSON.stringify(outcome));
    const [stored] = await pending(g.requests);
    assert.deepEqual(stored.policyIds, ['gateway-x']);
    assert.equal(stored.approverGroup, 'security');
    assert.notEqual(stored.approverGroup, 'finance-owners');
    assert.equal(stored.quorum, 2);
    assert.equal(Date.parse(stored.expiresAt) - Date.parse(stored.createdAt), 10 * 60_000);
  });

  for (const [name, strip] of [
    ['no approval terms', (d: Decision): Decision => ({ ...d, obligations: {} })],
    [
      'terms that name no group',
      (d: Decision): Decision => ({
        ...d,
        obligations: { approvals: (d.obligations.approvals ?? []).map((a) => ({ ...a, approvers: [] })) },
      }),
    ],
    [
      "terms of another rule than the decision's",
      (d: Decision): Decision => ({
        ...d,
        obligations: { approvals: [{ policyId: 'someone-else', approvers: ['data-owners'] }] },
      }),
    ],
  ] as const) {
    it(`fails closed on an approval decision with ${name}: nothing stored, nobody asked`, async () => {
      const real = await policies([LOOKALIKE]);
      // The engine's port, answering an approval whose terms are missing or wrong.
      const broken: PolicyEngine = {
        ...real,
        decide: (request) => {
          const d = real.decide(request);
          return d.outcome === 'approval' ? strip(d) : d;
        },
      };
      const g = await gateway(broken);
      const outcome = await g.ask();
      assert.equal(outcome.kind, 'failed', JSON.stringify(outcome));
      assert.equal(outcome.kind === 'failed' && outcome.failure.code, 'policy_error');
      assert.deepEqual(await pending(g.requests), []);
      assert.deepEqual(g.sent, []);
      assert.equal(g.connector.executed.length, 0);
    });
  }
});

describe('request approval: one caller cannot fill the inbox', () => {
  it('a caller with pendingApprovalsPerPrincipal requests waiting is refused (429) until one ends', async () => {
    const g = await gateway(await policies([LOOKALIKE]), {}, { pendingApprovalsPerPrincipal: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await g.ask();
      assert.equal(outcome.kind, 'pending', JSON.stringify(outcome));
      if (outcome.kind === 'pending') ids.push(outcome.approval?.approvalRequestId ?? '');
    }
    const sentBefore = g.sent.length;
    const refused = await g.ask();
    assert.equal(refused.kind, 'failed', JSON.stringify(refused));
    assert.equal(refused.kind === 'failed' && refused.failure.code, 'too_many_pending');
    assert.equal(ERROR_STATUS.too_many_pending, 429);
    // Nothing stored, nobody asked, nothing ran; the refusal is audited like any other.
    assert.equal((await pending(g.requests)).length, 3);
    assert.equal(g.sent.length, sentBefore);
    assert.equal(g.connector.executed.length, 0);
    assert.ok(g.audit.all().some((r) => r.errorCode === 'too_many_pending'));
    // Another caller is not held by it.
    const other = await g.ask(undefined, agent({ id: 'another-bot' }));
    assert.equal(other.kind, 'pending', JSON.stringify(other));
    // A cancelled request and an expired one no longer count.
    assert.equal((await g.cancel(ids[0] as string)).kind, 'allowed');
    g.requests.tamper(ids[1] as string, (r) => {
      r.expiresAt = '2026-01-01T00:00:00.000Z';
    });
    assert.equal((await g.ask()).kind, 'pending');
    assert.equal((await g.ask()).kind, 'pending');
    assert.equal((await g.ask()).kind, 'failed');
  });
});
