import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAuditCommand } from '../../cli/commands/audit.js';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';
import { digestOf } from '../../shared/audit/result-digest.js';
import type { SessionPage } from '../../shared/use-cases/audit-sessions.js';
import { runWithIo } from '../support/capture-io.js';

/**
 * Replay of one agent's session on the local host after an allowed, a denied and an approved
 * request (approved by a data owner, its result fetched): in order, with the decisions, the
 * policy ids, the approval's steps and the digests of what was released.
 */

interface Released {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[];
  digest?: string;
  approval?: { approvalRequestId: string };
  request?: { status: string };
}

describe('audit replay and search (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let agent: string;
  let auditor: string;
  let approvalId: string;
  let allowedDigest: string;
  let resultDigest: string;

  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${host.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Released };
  }

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-replay-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
    agent = await host.issuer.mint({ agent: 'replay-agent' });
    auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
    const alice = await host.issuer.mint({ user: 'alice', groups: ['data-owners'] });
    const q = (sql: string) =>
      call('POST', '/api/v1/connections/demo/query', agent, { sql, purpose: 'replay' });

    const allowed = await q('select id, city from customers where id = 7');
    assert.equal(allowed.status, 200);
    allowedDigest = digestOf(allowed.json);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await q('select * from customers where id = 1')).status, 403);
    await new Promise((r) => setTimeout(r, 5));
    const held = await q('select id, city, email from customers');
    assert.equal(held.status, 202);
    approvalId = String(held.json.approval?.approvalRequestId);
    const decided = await call('POST', `/api/v1/approvals/${approvalId}/decision`, alice, {
      decision: 'approve',
    });
    assert.equal(decided.status, 202);
    for (let i = 0; i < 150; i++) {
      const s = await call('GET', `/api/v1/requests/${approvalId}`, agent);
      if (s.json.request?.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await call('GET', `/api/v1/requests/${approvalId}/result`, agent);
    assert.equal(result.status, 200);
    // A stored result is digested as it is kept: each row its values in column order.
    const { columns } = result.json;
    const values = result.json.rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c.name]));
    resultDigest = digestOf({ columns, rows: values });
    assert.equal(result.json.digest, resultDigest);
  });

  after(async () => {
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('GET /api/v1/audit/sessions: the commands in order, with decisions, policies, approval steps, digests', async () => {
    const res = await fetch(`${host.url}/api/v1/audit/sessions?principal=agent:replay-agent`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    const page = (await res.json()) as SessionPage;
    assert.equal(res.status, 200, JSON.stringify(page));
    const queries = page.commands.filter((c) => c.action === 'query');
    assert.deepEqual(
      queries.map((c) => [c.decision.outcome, c.status]),
      [
        ['allow', 200],
        ['deny', 403],
        ['approval', 202],
      ],
    );
    const times = page.commands.map((c) => c.time);
    assert.deepEqual(times, [...times].sort(), 'in time order');
    assert.equal(queries[0]?.digest, allowedDigest, 'the digest of what the agent received');
    assert.equal(queries[0]?.rows, 1);
    assert.equal(queries[0]?.cells, 2);
    assert.ok(queries[1]?.decision.policyIds.includes('agent-no-select-star-prod'));
    const approval = queries[2]?.approval;
    assert.equal(approval?.id, approvalId);
    const kinds = approval?.steps.map((s) => s.kind) ?? [];
    assert.ok(kinds.includes('approval.requested') && kinds.includes('approval.decision'), kinds.join());
    assert.equal(approval?.steps.find((s) => s.kind === 'approval.decision')?.actor, 'user:alice');
    const released = approval?.steps.find((s) => s.kind === 'result.released');
    assert.equal(released?.detail.digest, resultDigest, 'the approval released what the agent fetched');
    const fetched = page.commands.find((c) => c.action === 'requests.result');
    assert.equal(fetched?.digest, resultDigest);
  });

  test('an agent may not replay, and the principal is required', async () => {
    const asAgent = await fetch(`${host.url}/api/v1/audit/sessions?principal=agent:replay-agent`, {
      headers: { authorization: `Bearer ${agent}` },
    });
    assert.equal(asAgent.status, 403);
    await asAgent.arrayBuffer();
    const missing = await fetch(`${host.url}/api/v1/audit/sessions`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    assert.equal(missing.status, 400);
    await missing.arrayBuffer();
  });

  test('agentgate audit replay prints the session and the approval steps', async () => {
    const r = await runWithIo(
      runAuditCommand,
      ['replay', '--principal', 'agent:replay-agent', '--url', host.url, '--token', auditor],
      { cwd: stateDir },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /allow/);
    assert.match(r.out, /deny/);
    assert.match(r.out, new RegExp(`approval ${approvalId}:`));
    assert.match(r.out, /approval\.decision by user:alice/);
    assert.match(r.out, new RegExp(allowedDigest.slice(0, 16)));
  });

  test('agentgate audit search --approval and --table', async () => {
    const r = await runWithIo(
      runAuditCommand,
      ['search', '--approval', approvalId, '--url', host.url, '--token', auditor, '--json'],
      { cwd: stateDir },
    );
    assert.equal(r.code, 0, r.err);
    const records = (JSON.parse(r.out) as { records: Array<{ requestId: string; kind: string }> }).records;
    assert.ok(records.length >= 3 && records.every((e) => e.requestId === approvalId));
    assert.ok(records.some((e) => e.kind === 'approval.decision'));
    const table = await runWithIo(
      runAuditCommand,
      ['search', '--table', 'public.customers', '--limit', '2', '--url', host.url, '--token', auditor],
      { cwd: stateDir },
    );
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /more with --continuation [A-Za-z0-9_-]+/);
  });
});
