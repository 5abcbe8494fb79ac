import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';

/**
 * The approval workflow on the local host, as agents and approvers use it over HTTP: the
 * in-process queues, the inbox notifier, the Cosmos DB emulator's request and result stores,
 * the shipped policies (bulk reads by agents need a data owner).
 */
/** The parts of the gateway's answers these tests read. */
interface Answer {
  error?: { code: string };
  approval?: { approvalRequestId: string };
  request?: { status: string; approverGroup: string | null };
  requests?: Array<{ id: string }>;
  rows?: Array<{ email: string }>;
  rowCount?: number;
  truncated?: boolean;
  events?: Array<{ kind: string }>;
}

describe('approvals end to end (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let agent: string;
  let alice: string;
  let bob: string;
  let auditor: string;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-approvals-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
    agent = await host.issuer.mint({ agent: 'bulk-agent' });
    alice = await host.issuer.mint({ user: 'alice', groups: ['data-owners'] });
    bob = await host.issuer.mint({ user: 'bob', groups: ['data-owners'] });
    auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
  });

  after(async () => {
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${host.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { res, json: (text ? JSON.parse(text) : {}) as Answer };
  }

  /** An agent's read of every customer: stored for approval. */
  async function bulkRead(token = agent, extra: Record<string, unknown> = {}): Promise<string> {
    const { res, json } = await call('POST', '/api/v1/connections/demo/query', token, {
      sql: 'select id, city, email from customers',
      purpose: 'quarterly export',
      ...extra,
    });
    assert.equal(res.status, 202, JSON.stringify(json));
    assert.equal(json.error?.code, 'approval_required');
    assert.ok(!('rows' in json), 'nothing released');
    return String(json.approval?.approvalRequestId);
  }

  async function statusOf(id: string, token = agent) {
    return (await call('GET', `/api/v1/requests/${id}`, token)).json.request;
  }

  async function until(id: string, done: (status: string) => boolean, token = agent) {
    for (let i = 0; i < 150; i++) {
      const request = await statusOf(id, token);
      if (request && done(request.status)) return request;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`request ${id} did not settle`);
  }

  async function eventsOf(id: string): Promise<Array<{ kind: string }>> {
    const { res, json } = await call('GET', `/api/v1/audit/${id}`, auditor);
    assert.equal(res.status, 200);
    return json.events ?? [];
  }

  test('202 -> card in the inbox -> approve -> completed -> masked result for the requester', async () => {
    const id = await bulkRead();
    const pending = await statusOf(id);
    assert.equal(pending?.status, 'pending');
    assert.equal(pending?.approverGroup, 'data-owners');

    // The card approvers would get in Teams, with a link to the approval page.
    let card: unknown;
    for (let i = 0; i < 50 && !card; i++) {
      const inbox = (await (await fetch(`${host.url}/api/inbox`)).json()) as {
        cards: unknown[];
      };
      card = inbox.cards.find((c) => JSON.stringify(c).includes(id));
      if (!card) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(card, 'the approval card reached the inbox');
    assert.match(JSON.stringify(card), new RegExp(`/api/approve/${id}`));

    const inbox = await call('GET', '/api/v1/approvals', alice);
    assert.ok((inbox.json.requests ?? []).some((r) => r.id === id));

    const decided = await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'approve' });
    assert.equal(decided.res.status, 202);
    const done = await until(id, (s) => s === 'completed' || s === 'failed');
    assert.equal(done.status, 'completed', JSON.stringify(done));

    const result = await call('GET', `/api/v1/requests/${id}/result`, agent);
    assert.equal(result.res.status, 200);
    assert.equal(result.json.rowCount, 3000, 'the approval policy cap, not the direct-read cap');
    for (const row of result.json.rows ?? []) assert.doesNotMatch(row.email, /^[^*]+@/);

    // Another agent learns nothing of it, not even that it exists.
    const other = await host.issuer.mint({ agent: 'other-agent' });
    assert.equal((await call('GET', `/api/v1/requests/${id}/result`, other)).res.status, 404);
    assert.equal((await call('GET', `/api/v1/requests/${id}`, other)).res.status, 404);

    const kinds = (await eventsOf(id)).map((e) => e.kind);
    assert.deepEqual(kinds.slice(0, 2), ['request', 'approval.requested']);
    for (const k of ['approval.decision', 'statement.executed', 'result.released'])
      assert.ok(kinds.includes(k), k);
  });

  test('agents, outsiders and the human an agent acts for may not approve', async () => {
    const delegated = await host.issuer.mint({ agent: 'helper-agent', onBehalfOf: 'bob' });
    const id = await bulkRead(delegated);
    const outsider = await host.issuer.mint({ user: 'mallory', groups: ['analysts'] });
    for (const token of [agent, outsider, bob]) {
      const { res } = await call('POST', `/api/v1/approvals/${id}/decision`, token, { decision: 'approve' });
      assert.ok(res.status === 403 || res.status === 404, `status ${res.status}`);
    }
    assert.equal((await statusOf(id, delegated))?.status, 'pending');
  });

  test('deny -> nothing runs; a cancelled request cannot be decided', async () => {
    const denied = await bulkRead();
    await call('POST', `/api/v1/approvals/${denied}/decision`, alice, {
      decision: 'deny',
      reason: 'too broad',
    });
    await until(denied, (s) => s === 'denied');
    assert.ok(!(await eventsOf(denied)).some((e) => e.kind === 'statement.executed'), 'nothing ran');
    assert.equal((await call('GET', `/api/v1/requests/${denied}/result`, agent)).res.status, 409);

    const cancelled = await bulkRead();
    assert.equal((await call('DELETE', `/api/v1/requests/${cancelled}`, alice)).res.status, 404, 'not hers');
    assert.equal((await call('DELETE', `/api/v1/requests/${cancelled}`, agent)).res.status, 200);
    const late = await call('POST', `/api/v1/approvals/${cancelled}/decision`, alice, {
      decision: 'approve',
    });
    assert.equal(late.res.status, 409);
  });

  test('50 concurrent approvals of one request -> exactly one execution', async () => {
    const id = await bulkRead();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('POST', `/api/v1/approvals/${id}/decision`, i % 2 ? alice : bob, { decision: 'approve' }),
      ),
    );
    assert.ok(answers.every((a) => a.res.status === 202 || a.res.status === 409));
    await until(id, (s) => s === 'completed' || s === 'failed');
    // Let every queued decision drain before counting.
    await new Promise((r) => setTimeout(r, 1500));
    const executed = (await eventsOf(id)).filter((e) => e.kind === 'statement.executed');
    assert.equal(executed.length, 1);
  });

  test('an approver may lower the row cap, never raise it', async () => {
    const id = await bulkRead();
    await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'approve', maxRows: 10 });
    await until(id, (s) => s === 'completed');
    const result = await call('GET', `/api/v1/requests/${id}/result`, agent);
    assert.equal(result.json.rowCount, 10);
    assert.equal(result.json.truncated, true);
  });
});
