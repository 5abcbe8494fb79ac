import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runAuditCommand } from '../../cli/commands/audit.js';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';
import { digestOf } from '../../shared/audit/result-digest.js';
import { CosmosResultStore } from '../../shared/store/cosmos-result-store.js';
import type { ReplayedCommand, SessionPage } from '../../shared/use-cases/audit-sessions.js';
import { runWithIo } from '../support/capture-io.js';

/**
 * Kept results on the local host (Cosmos emulator, PGlite): `sandbox` keeps the first 100
 * rows of each release, `demo` none. Reads over REST and MCP and an approved result are
 * kept as released, masked; replay verifies them against the hash-chained audit events,
 * shows them to the auditors group only, and flags a copy forged in the result store.
 */

interface Body {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  approval?: { approvalRequestId: string };
  request?: { status: string };
  digest?: string;
  masking?: { columns: Record<string, string>; cellsMasked: number };
}

describe('replay: kept results (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let agent: string;
  let auditor: string;
  const released: Record<string, Body> = {};
  let approvalId: string;

  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${host.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Body };
  }

  async function session(token: string, rows = true) {
    const q = new URLSearchParams({ principal: 'agent:kept-agent', limit: '200' });
    if (rows) q.set('rows', 'true');
    const res = await fetch(`${host.url}/api/v1/audit/sessions?${q}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, page: (await res.json()) as SessionPage };
  }

  const byStatement = (page: SessionPage, text: string): ReplayedCommand | undefined =>
    page.commands.find((c) => c.statement?.includes(text));

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-kept-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true, noAzurite: true });
    agent = await host.issuer.mint({ agent: 'kept-agent' });
    auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
    const alice = await host.issuer.mint({ user: 'alice', groups: ['data-owners'] });
    const q = async (connection: string, sql: string) => {
      const r = await call('POST', `/api/v1/connections/${connection}/query`, agent, {
        sql,
        purpose: 'kept',
      });
      return r;
    };
    const small = await q('sandbox', 'select id, email from customers where id <= 3 order by id');
    assert.equal(small.status, 200, JSON.stringify(small.json));
    released.small = small.json;
    const wide = await q('sandbox', 'select id, city from customers where id <= 250 order by id');
    assert.equal(wide.status, 200, JSON.stringify(wide.json));
    released.wide = wide.json;
    const off = await q('demo', 'select id, city from customers where id = 9');
    assert.equal(off.status, 200, JSON.stringify(off.json));

    const client = new Client({ name: 'agentgate-e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${host.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${agent}` } },
      }),
    );
    const viaMcp = await client.callTool({
      name: 'query',
      arguments: { connection: 'sandbox', sql: 'select id, email from customers where id in (11, 12)' },
    });
    assert.notEqual(viaMcp.isError, true, JSON.stringify(viaMcp.content));
    released.mcp = viaMcp.structuredContent as Body;
    await client.close();

    const held = await q('sandbox', 'select id, city, email from customers');
    assert.equal(held.status, 202, JSON.stringify(held.json));
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
    assert.equal(result.status, 200, JSON.stringify(result.json));
    released.approved = result.json;
    await host.gateway.replay?.drain();
  });

  after(async () => {
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('each release on sandbox is kept as released, capped at 100 rows, verified on replay', async () => {
    const { status, page } = await session(auditor);
    assert.equal(status, 200, JSON.stringify(page));
    const small = byStatement(page, 'id <= 3')?.kept;
    assert.equal(small?.check, 'verified');
    assert.equal(small?.complete, true);
    assert.equal(small?.digest, digestOf(released.small!), 'the kept digest is the released digest');
    assert.deepEqual(small?.result?.rows, released.small?.rows);
    assert.ok(released.small?.masking?.columns.email, 'what was released, and kept, was masked');

    const wide = byStatement(page, 'id <= 250')?.kept;
    assert.equal(released.wide?.rows.length, 250);
    assert.equal(wide?.rows, 100);
    assert.equal(wide?.complete, false);
    assert.equal(wide?.check, 'verified');
    assert.deepEqual(wide?.result?.rows, released.wide?.rows.slice(0, 100));
    const widest = byStatement(page, 'id <= 250');
    assert.equal(widest?.digest, digestOf(released.wide!), 'the release digest is of all 250 rows');

    const mcp = page.commands.find((c) => c.transport === 'mcp' && c.action === 'query')?.kept;
    assert.equal(mcp?.check, 'verified');
    assert.deepEqual(mcp?.result?.rows, released.mcp?.rows);

    assert.equal(byStatement(page, 'id = 9')?.kept, undefined, 'demo keeps nothing');
    assert.equal(byStatement(page, 'city, email from customers')?.kept, undefined, 'held, nothing released');
  });

  test('an approved result is kept when fetched: its first 100 rows as stored, under the same digest form', async () => {
    const { page } = await session(auditor);
    const fetched = page.commands.find((c) => c.action === 'requests.result');
    const kept = fetched?.kept;
    assert.equal(kept?.check, 'verified');
    assert.equal(kept?.rows, 100);
    const { columns, rows } = released.approved!;
    const values = rows.slice(0, 100).map((r) => columns.map((c) => r[c.name]));
    assert.deepEqual(kept?.result?.rows, values);
    assert.equal(kept?.digest, digestOf({ columns, rows: values }));
  });

  test('kept rows: the auditors group only; agents and other people are refused with 403', async () => {
    assert.equal((await session(agent)).status, 403);
    const owner = await host.issuer.mint({ user: 'olga', groups: ['data-owners'] });
    assert.equal((await session(owner)).status, 403);
    const role = await host.issuer.mint({ user: 'rolf', roles: ['Auditor'] });
    const refused = await session(role);
    assert.equal(refused.status, 403);
    assert.equal(JSON.stringify(refused.page).includes('@'), false);
  });

  test('agentgate audit replay --rows prints the kept rows and their check', async () => {
    const r = await runWithIo(
      runAuditCommand,
      ['replay', '--principal', 'agent:kept-agent', '--rows', '--url', host.url, '--token', auditor],
      { cwd: stateDir },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /kept all 3 rows, digest [0-9a-f]{16} VERIFIED/);
    assert.match(r.out, /kept the first 100 rows, digest [0-9a-f]{16} VERIFIED/);
  });

  test('a kept copy forged in the result store (its own digest fixed) is flagged and not shown', async () => {
    const before = byStatement((await session(auditor)).page, 'id <= 3')?.kept;
    const id = before?.replayResultId ?? '';
    const store = new CosmosResultStore(host.database.container('results'));
    const stored = await store.get(id, new Date());
    assert.ok(stored);
    const forged = stored.rows.map((row) => ({
      ...(row as unknown as Record<string, unknown>),
      email: 'x@example.com',
    }));
    await store.delete(id);
    await store.put({
      ...stored,
      rows: forged as unknown as unknown[][],
      digest: digestOf({ ...stored, rows: forged }),
    });
    const after = byStatement((await session(auditor)).page, 'id <= 3')?.kept;
    assert.equal(after?.check, 'mismatch');
    assert.equal(after?.result, undefined);
    const r = await runWithIo(
      runAuditCommand,
      ['replay', '--principal', 'agent:kept-agent', '--rows', '--url', host.url, '--token', auditor],
      { cwd: stateDir },
    );
    assert.match(r.out, /MISMATCH/);
    assert.doesNotMatch(r.out, /x@example\.com/);
  });
});
