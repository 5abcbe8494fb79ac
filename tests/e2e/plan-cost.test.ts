import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';

/**
 * The red team's attacks against the local host (PGlite over the wire, the Cosmos DB
 * emulator, the dev issuer, the shipped policies, the approval workflow): the cross join the
 * planner calls "1 row" is held for approval on its cost before anything runs, over REST and
 * MCP; ordinary reads (1,000 rows, a join, group by, count(*)) are still answered; a JSON-RPC
 * batch is refused whole.
 */
const CROSS_JOIN = 'select count(*) from customers a, customers b, customers c';

describe('plan cost and MCP batches end to end (local host)', () => {
  let host: DevHost;
  let stateDir: string;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-cost-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
  });

  after(async () => {
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** Each read by an agent of its own, so the demo's per-agent budgets never interfere. */
  async function query(sql: string, agent: string) {
    const token = await host.issuer.mint({ agent });
    const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    return { res, json: (await res.json()) as Record<string, unknown>, token };
  }

  async function mcp(body: unknown, token: string) {
    const res = await fetch(`${host.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify(body),
    });
    return { res, json: (await res.json()) as Record<string, unknown> };
  }

  test('the three-way cross join is stored for approval on its plan cost (202); nothing ran', async () => {
    const { res, json, token } = await query(CROSS_JOIN, 'cost-agent');
    assert.equal(res.status, 202, JSON.stringify(json));
    const error = json.error as { code: string; policyIds: string[]; reasons: string[]; statusUrl: string };
    assert.equal(error.code, 'approval_required');
    assert.deepEqual(error.policyIds, ['gateway-plan-cost']);
    assert.match(error.reasons.join(' '), /more than the 1000000/);
    assert.equal(json.rows, undefined);
    const status = await fetch(`${host.url}${error.statusUrl}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(status.status, 200);
    const stored = ((await status.json()) as { request: { status: string; policyIds: string[] } }).request;
    assert.equal(stored.status, 'pending');
    assert.deepEqual(stored.policyIds, ['gateway-plan-cost']);
    // The approvers' card names the gateway's own policy.
    const inbox = await (await fetch(`${host.url}/api/inbox`)).text();
    assert.match(inbox, /gateway-plan-cost/);
  });

  test('ordinary reads are still answered: 1,000 rows, a join, group by, count(*)', async () => {
    const reads = {
      rows1000: 'select id, city from customers where id <= 1000 order by id',
      join: 'select c.id, c.city, o.amount from customers c join orders o on o.customer_id = c.id where c.id < 100',
      groupBy: 'select city, count(*) from customers group by city',
      count: 'select count(*) from customers',
      countOrders: 'select status, count(*), sum(amount) from orders group by status',
    };
    for (const [name, sql] of Object.entries(reads)) {
      const { res, json } = await query(sql, `ordinary-${name.toLowerCase()}`);
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(json)}`);
      if (name === 'rows1000') assert.equal(json.rowCount, 1000);
    }
  });

  test('over MCP the cross join is a pending result naming the plan cost policy', async () => {
    const token = await host.issuer.mint({ agent: 'cost-mcp-agent' });
    const { res, json } = await mcp(
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'query', arguments: { connection: 'demo', sql: CROSS_JOIN } },
      },
      token,
    );
    assert.equal(res.status, 200);
    const result = json.result as {
      structuredContent: { status: string; approval: { policyIds: string[] } };
    };
    assert.equal(result.structuredContent.status, 'pending');
    assert.deepEqual(result.structuredContent.approval.policyIds, ['gateway-plan-cost']);
  });

  test('a JSON-RPC batch of tool calls over real HTTP is refused with -32600', async () => {
    const token = await host.issuer.mint({ agent: 'batch-agent' });
    const batch = [1, 2, 3, 4, 5, 6].map((id) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: {
        name: 'query',
        arguments: { connection: 'demo', sql: 'select id from customers where id = 1' },
      },
    }));
    const { res, json } = await mcp(batch, token);
    assert.equal(res.status, 400);
    assert.equal((json.error as { code: number }).code, -32600);
  });
});
