import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { runMcpCommand } from '../../cli/commands/mcp.js';
import { DEV_ISSUER, type DevHost, startDevHost } from '../../cli/dev/host.js';
import { canonicalSha256 } from '../../shared/audit/canonical.js';
import { loadOrCreateDevIssuer } from '../../shared/identity/index.js';
import { TOOLS_DIGEST, TOOLS_DIGEST_META_KEY } from '../../shared/mcp/tools.js';
import {
  auditPageSchema,
  auditTraceSchema,
  connectionListSchema,
  connectionSchemaSchema,
  errorBodySchema,
  healthSchema,
  pendingApprovalSchema,
  queryResultSchema,
} from '../../shared/use-cases/outputs.js';
import { runWithIo } from '../support/capture-io.js';

/**
 * MCP end to end: the SDK's own Client and Streamable HTTP client transport over real HTTP
 * against the local host (PGlite, the Cosmos DB emulator, the dev issuer, shipped policies).
 */
describe('MCP over Streamable HTTP (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let agentToken: string;
  let auditorToken: string;
  const ALLOWED_ORIGIN = 'http://console.example';
  /** requestId -> the tool that made it, for the audit check at the end. */
  const calls = new Map<string, string>();
  const clients: Client[] = [];

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-mcp-'));
    host = await startDevHost({
      port: 0,
      stateDir,
      customers: 3000,
      env: { AGENTGATE_MCP_ALLOWED_ORIGINS: ALLOWED_ORIGIN },
      noLock: true,
    });
    agentToken = await host.issuer.mint({ agent: 'mcp-agent' });
    auditorToken = await host.issuer.mint({ user: 'alice', groups: ['auditors'] });
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function connect(token = agentToken, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: 'agentgate-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${host.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  function textOf(result: Record<string, unknown>): Record<string, unknown> {
    const content = result.content as Array<{ type: string; text: string }>;
    assert.equal(content[0]?.type, 'text');
    return JSON.parse(content[0].text) as Record<string, unknown>;
  }

  /** A raw JSON-RPC POST, for what the SDK client would not send. */
  function post(body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${host.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  const initialize = (protocolVersion: string) => ({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });

  test('tools are listed in a fixed order with schemas, annotations and a stable digest', async () => {
    const client = await connect();
    const listed = await client.listTools();
    assert.deepEqual(
      listed.tools.map((t) => t.name),
      [
        'list_connections',
        'describe_connection',
        'query',
        'request_status',
        'fetch_result',
        'list_blobs',
        'read_blob',
      ],
    );
    for (const tool of listed.tools) {
      assert.equal(tool.inputSchema.type, 'object');
      assert.equal(tool.outputSchema?.type, 'object', tool.name);
      assert.equal(tool.annotations?.readOnlyHint, true);
      assert.equal(tool.annotations?.destructiveHint, false);
      assert.equal(tool.annotations?.openWorldHint, false);
      assert.equal(typeof tool.annotations?.idempotentHint, 'boolean');
    }
    const query = listed.tools.find((t) => t.name === 'query');
    assert.deepEqual(Object.keys(query?.inputSchema.properties ?? {}).sort(), [
      'callbackUrl',
      'connection',
      'maxRows',
      'params',
      'purpose',
      'sql',
    ]);
    // What a client pins: the digest the server publishes is the hash of the list it received.
    assert.equal(listed._meta?.[TOOLS_DIGEST_META_KEY], TOOLS_DIGEST);
    assert.equal(`sha256:${canonicalSha256(listed.tools)}`, TOOLS_DIGEST);
    const again = await (await connect()).listTools();
    assert.equal(`sha256:${canonicalSha256(again.tools)}`, TOOLS_DIGEST);
    assert.equal(client.getServerVersion()?.name, 'agentgate');
  });

  test('list_connections and describe_connection answer structured content and the same JSON as text', async () => {
    const client = await connect();
    const list = await client.callTool({ name: 'list_connections', arguments: {} });
    assert.notEqual(list.isError, true);
    const listed = list.structuredContent as { requestId: string; connections: Array<{ id: string }> };
    assert.deepEqual(listed.connections.map((c) => c.id).sort(), ['demo', 'demo-files', 'sandbox']);
    assert.deepEqual(textOf(list), listed);
    calls.set(listed.requestId, 'list_connections');

    const described = await client.callTool({
      name: 'describe_connection',
      arguments: { connection: 'demo' },
    });
    const schema = described.structuredContent as {
      requestId: string;
      tables: Array<{ name: string; columns: Array<{ name: string; dataClass?: string }> }>;
    };
    const customers = schema.tables.find((t) => t.name === 'public.customers' || t.name === 'customers');
    assert.ok(customers, JSON.stringify(schema.tables.map((t) => t.name)));
    assert.equal(customers.columns.find((c) => c.name === 'email')?.dataClass, 'pii.email');
    calls.set(schema.requestId, 'describe_connection');
  });

  test('an allowed query returns masked rows in structuredContent, validated against the output schema', async () => {
    const client = await connect();
    const result = await client.callTool({
      name: 'query',
      arguments: {
        connection: 'demo',
        sql: 'select id, email from customers where id < $1 order by id',
        params: [4],
        purpose: 'e2e',
      },
    });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const value = result.structuredContent as {
      requestId: string;
      status: string;
      rows: Array<{ id: number; email: string }>;
      decision: { outcome: string };
      masking: { columns: Record<string, string>; cellsMasked: number };
    };
    assert.equal(value.status, 'completed');
    assert.deepEqual(
      value.rows.map((r) => r.id),
      [1, 2, 3],
    );
    assert.equal(value.decision.outcome, 'allow');
    assert.equal(value.masking.columns.email, 'pii.email');
    assert.equal(value.masking.cellsMasked, 3);
    for (const r of value.rows) assert.doesNotMatch(String(r.email), /^[^@*]+@[^@]+\.[a-z]+$/);
    assert.deepEqual(textOf(result), value);
    calls.set(value.requestId, 'query');
  });

  test('a denied query is a tool error with the code and the policy id; no rows', async () => {
    const client = await connect();
    const result = await client.callTool({
      name: 'query',
      arguments: { connection: 'demo', sql: 'select * from customers where id = 1' },
    });
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent, undefined);
    const body = textOf(result) as {
      requestId: string;
      error: { code: string; policyIds: string[]; reasons: string[] };
    };
    assert.equal(body.error.code, 'policy_denied');
    assert.ok(body.error.policyIds.includes('agent-no-select-star-prod'), JSON.stringify(body));
    assert.ok(Array.isArray(body.error.reasons));
    assert.doesNotMatch(JSON.stringify(result), /"rows"/);
    calls.set(body.requestId, 'query');
  });

  test("over MCP a person's filter on a column masked for them waits for approval; over REST, or for a steward, it runs", async () => {
    const arguments_ = {
      connection: 'demo',
      sql: 'select id from customers where id = 1 and ssn like $1',
      params: ['7%'],
    };
    const hank = await host.issuer.mint({ user: 'hank' });
    const result = await (await connect(hank)).callTool({ name: 'query', arguments: arguments_ });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const held = result.structuredContent as {
      status: string;
      rows?: unknown;
      approval: { policyIds: string[] };
    };
    assert.equal(held.status, 'pending', JSON.stringify(held));
    assert.equal(held.rows, undefined);
    assert.ok(held.approval.policyIds.includes('human-predicate-on-masked-approval'), JSON.stringify(held));
    const steward = await host.issuer.mint({ user: 'stella', groups: ['data-stewards'] });
    const clear = await (await connect(steward)).callTool({ name: 'query', arguments: arguments_ });
    assert.equal((clear.structuredContent as { status?: string }).status, 'completed', JSON.stringify(clear));
    assert.ok(Array.isArray((clear.structuredContent as { rows?: unknown }).rows), JSON.stringify(clear));
    const rest = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hank}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: arguments_.sql, params: arguments_.params }),
    });
    assert.equal(rest.status, 200);
  });

  test('a bulk read is held for approval: pending with a request id; request_status and fetch_result follow it', async () => {
    const client = await connect();
    const result = await client.callTool({
      name: 'query',
      arguments: { connection: 'demo', sql: 'select id, city, email from customers', purpose: 'e2e export' },
    });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const held = result.structuredContent as {
      requestId: string;
      status: string;
      rows?: unknown;
      approval: { approvalRequestId: string; status: string; statusUrl: string; policyIds: string[] };
    };
    assert.equal(held.status, 'pending');
    assert.equal(held.rows, undefined, 'nothing released');
    assert.equal(held.approval.status, 'pending');
    const id = held.approval.approvalRequestId;
    assert.equal(held.approval.statusUrl, `${host.url}/api/v1/requests/${id}`);
    assert.ok(held.approval.policyIds.length > 0);
    calls.set(held.requestId, 'query');

    const status = await client.callTool({ name: 'request_status', arguments: { id } });
    const seen = status.structuredContent as { requestId: string; request: { id: string; status: string } };
    assert.equal(seen.request.status, 'pending');
    calls.set(seen.requestId, 'request_status');

    const early = await client.callTool({ name: 'fetch_result', arguments: { id } });
    assert.equal(early.isError, true);
    const earlyBody = textOf(early) as { requestId: string; error: { code: string } };
    assert.equal(earlyBody.error.code, 'conflict');
    calls.set(earlyBody.requestId, 'fetch_result');

    // A data owner approves over REST; the approved statement runs once, in the background.
    const alice = await host.issuer.mint({ user: 'alice', groups: ['data-owners'] });
    const decided = await fetch(`${host.url}/api/v1/approvals/${id}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', maxRows: 5 }),
    });
    assert.equal(decided.status, 202);
    let state = 'pending';
    for (let i = 0; i < 150 && state !== 'completed' && state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const s = await client.callTool({ name: 'request_status', arguments: { id } });
      state = (s.structuredContent as { request: { status: string } }).request.status;
    }
    assert.equal(state, 'completed');

    const fetched = await client.callTool({ name: 'fetch_result', arguments: { id } });
    assert.notEqual(fetched.isError, true, JSON.stringify(fetched.content));
    const released = fetched.structuredContent as {
      requestId: string;
      rows: Array<{ email: string }>;
      rowCount: number;
      truncated: boolean;
    };
    assert.equal(released.rowCount, 5, "the approver's cap");
    assert.equal(released.truncated, true);
    for (const row of released.rows) assert.doesNotMatch(row.email, /^[^*]+@/);
    calls.set(released.requestId, 'fetch_result');

    // Another agent learns nothing of it.
    const other = await connect(await host.issuer.mint({ agent: 'other-agent' }));
    const peek = await other.callTool({ name: 'fetch_result', arguments: { id } });
    assert.equal(peek.isError, true);
    assert.equal((textOf(peek) as { error: { code: string } }).error.code, 'not_found');
  });

  test('malformed arguments are refused by the schema, audited, and an unknown tool is a protocol error', async () => {
    const client = await connect();
    const bad = await client.callTool({ name: 'query', arguments: { connection: 'demo', sql: 1 } });
    assert.equal(bad.isError, true);
    const body = textOf(bad) as { requestId: string; error: { code: string } };
    assert.equal(body.error.code, 'bad_request');
    calls.set(body.requestId, 'query');
    await assert.rejects(client.callTool({ name: 'drop_everything', arguments: {} }), /Unknown tool/);
  });

  test('a request without a token is 401 naming the resource metadata, which is served', async () => {
    const res = await post(initialize(LATEST_PROTOCOL_VERSION));
    assert.equal(res.status, 401);
    const header = res.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(header)?.[1];
    assert.equal(metadataUrl, `${host.url}/.well-known/oauth-protected-resource/mcp`);
    assert.doesNotMatch(header, /error=/, 'no error code without a token (RFC 6750 §3.1)');
    for (const url of [metadataUrl, `${host.url}/.well-known/oauth-protected-resource`]) {
      const meta = (await (await fetch(url)).json()) as Record<string, unknown>;
      assert.equal(meta.resource, `${host.url}/mcp`);
      assert.deepEqual(meta.authorization_servers, [DEV_ISSUER]);
      assert.deepEqual(meta.scopes_supported, ['api://agentgate/.default']);
      assert.deepEqual(meta.bearer_methods_supported, ['header']);
      assert.equal(meta['io.agentgate/tools-digest'], TOOLS_DIGEST);
    }
    await assert.rejects(connect('not-a-token'), (e: Error) =>
      /401|nauthorized/.test(`${(e as { code?: number }).code} ${e.message}`),
    );
  });

  test('a token issued for another audience is 401, and the refusal is audited', async () => {
    const other = await loadOrCreateDevIssuer({
      dir: stateDir,
      issuer: DEV_ISSUER,
      audience: 'api://someone-else',
    });
    const token = await other.mint({ agent: 'mcp-agent' });
    const res = await post(initialize(LATEST_PROTOCOL_VERSION), { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const body = (await res.json()) as { requestId: string };
    calls.set(body.requestId, '(refused)');
    // The same token is good for agentgate's audience once signed for it: only the audience differs.
    const good = await post(initialize(LATEST_PROTOCOL_VERSION), { authorization: `Bearer ${agentToken}` });
    assert.equal(good.status, 200);
  });

  test('a principal without the agentgate permission gets 403 insufficient_scope', async () => {
    const token = await host.issuer.mint({ agent: 'no-role', roles: [] });
    const res = await post(initialize(LATEST_PROTOCOL_VERSION), { authorization: `Bearer ${token}` });
    assert.equal(res.status, 403);
    const header = res.headers.get('www-authenticate') ?? '';
    assert.match(header, /error="insufficient_scope"/);
    assert.match(header, /scope="api:\/\/agentgate\/.default"/);
    assert.match(header, /resource_metadata="/);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'insufficient_scope');
  });

  test('an Origin that is not allowed is 403; an allowed one passes', async () => {
    const auth = { authorization: `Bearer ${agentToken}` };
    const evil = await post(initialize(LATEST_PROTOCOL_VERSION), { ...auth, origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    calls.set(evil.headers.get('x-request-id') ?? '', '(refused 403)');
    await assert.rejects(connect(agentToken, { origin: 'http://localhost.evil.example' }));
    const ok = await post(initialize(LATEST_PROTOCOL_VERSION), { ...auth, origin: ALLOWED_ORIGIN });
    assert.equal(ok.status, 200);
  });

  test('protocol revisions: the newest and 2025-06-18 are served, an unsupported header is 400', async () => {
    const auth = { authorization: `Bearer ${agentToken}` };
    for (const version of [LATEST_PROTOCOL_VERSION, '2025-06-18']) {
      const res = await post(initialize(version), auth);
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        result: { protocolVersion: string; _meta: Record<string, string> };
      };
      assert.equal(body.result.protocolVersion, version);
      assert.equal(body.result._meta[TOOLS_DIGEST_META_KEY], TOOLS_DIGEST);
    }
    const old = (await (await post(initialize('2024-11-05'), auth)).json()) as {
      result: { protocolVersion: string };
    };
    assert.equal(old.result.protocolVersion, LATEST_PROTOCOL_VERSION, 'an older revision is not agreed to');
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const unsupported = await post(list, { ...auth, 'mcp-protocol-version': '2024-11-05' });
    assert.equal(unsupported.status, 400);
    const bogus = await post(list, { ...auth, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(bogus.status, 400);
    // Refused before the MCP server runs, and audited all the same (red-team round 18).
    calls.set(bogus.headers.get('x-request-id') ?? '', '(refused 400)');
    const truncated = await fetch(`${host.url}/mcp`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":3,"method":"tools/li',
    });
    assert.equal(truncated.status, 400);
    assert.equal(((await truncated.json()) as { error: { code: number } }).error.code, -32700);
    calls.set(truncated.headers.get('x-request-id') ?? '', '(refused 400)');
    const served = await post(list, { ...auth, 'mcp-protocol-version': '2025-06-18' });
    assert.equal(served.status, 200);
    assert.equal((await fetch(`${host.url}/mcp`, { headers: auth })).status, 405);
  });

  test('the local host serves the OpenAPI document at /api/openapi.json, without a token', async () => {
    const res = await fetch(`${host.url}/api/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\.1\./);
    assert.ok(doc.paths['/mcp'] && doc.paths['/v1/connections/{connection}/query']);
    assert.equal((await fetch(`${host.url}/openapi.json`)).status, 404, 'REST rows stay under /api');
    assert.equal(
      (await fetch(`${host.url}/api/mcp`, { method: 'POST' })).status,
      404,
      'root rows stay at the root',
    );
  });

  test('agentgate mcp config prints a client configuration for the running gateway', async () => {
    const vscode = await runWithIo(runMcpCommand, ['config', '--url', host.url], { cwd: stateDir });
    assert.equal(vscode.code, 0, vscode.err);
    const config = JSON.parse(vscode.out) as {
      servers: { agentgate: { type: string; url: string; headers: Record<string, string> } };
    };
    assert.deepEqual(config.servers.agentgate.type, 'http');
    assert.equal(config.servers.agentgate.url, `${host.url}/mcp`);
    assert.match(config.servers.agentgate.headers.Authorization, /^Bearer \$\{input:agentgate-token\}$/);
    assert.match(vscode.err, /agentgate token --agent/);
    const claude = await runWithIo(runMcpCommand, ['config', '--client', 'claude', '--url', host.url], {
      cwd: stateDir,
    });
    assert.equal(claude.code, 0, claude.err);
    assert.equal(
      (JSON.parse(claude.out) as { mcpServers: { agentgate: { url: string } } }).mcpServers.agentgate.url,
      `${host.url}/mcp`,
    );
    const bad = await runWithIo(runMcpCommand, ['config', '--client', 'emacs', '--url', host.url], {
      cwd: stateDir,
    });
    assert.equal(bad.code, 2);
  });

  test('agentgate mcp tools lists the tools as a client sees them, digest checked', async () => {
    const run = await runWithIo(runMcpCommand, ['tools', '--url', host.url, '--token', agentToken], {
      cwd: stateDir,
    });
    assert.equal(run.code, 0, run.err);
    const lines = run.out.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, 7).map((l) => l.split(' ')[0]),
      [
        'list_connections',
        'describe_connection',
        'query',
        'request_status',
        'fetch_result',
        'list_blobs',
        'read_blob',
      ],
    );
    assert.equal(lines[7], `digest ${TOOLS_DIGEST}`);
    assert.match(lines[0], /readOnly/);
    const json = await runWithIo(
      runMcpCommand,
      ['tools', '--json', '--url', host.url, '--token', agentToken],
      {
        cwd: stateDir,
      },
    );
    assert.equal((JSON.parse(json.out) as { digest: string }).digest, TOOLS_DIGEST);
    const refused = await runWithIo(runMcpCommand, ['tools', '--url', host.url, '--token', 'nope'], {
      cwd: stateDir,
    });
    assert.equal(refused.code, 1);
  });

  test('REST answers are exactly what the output schemas (and so the OpenAPI document) say', async () => {
    const get = async (path: string, token = agentToken, init: RequestInit = {}) => {
      const res = await fetch(`${host.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      return (await res.json()) as unknown;
    };
    const query = await get('/api/v1/connections/demo/query', agentToken, {
      method: 'POST',
      body: JSON.stringify({ sql: 'select id, email from customers where id < 3' }),
    });
    const denied = await get('/api/v1/connections/demo/query', agentToken, {
      method: 'POST',
      body: JSON.stringify({ sql: 'select * from customers' }),
    });
    const pending = await get('/api/v1/connections/demo/query', agentToken, {
      method: 'POST',
      body: JSON.stringify({ sql: 'select id, city from customers' }),
    });
    const page = (await get('/api/v1/audit?limit=2', auditorToken)) as {
      records: Array<{ requestId: string }>;
    };
    const cases: Array<[unknown, { parse(v: unknown): unknown }]> = [
      [query, queryResultSchema],
      [denied, errorBodySchema],
      [await get('/api/v1/connections'), connectionListSchema],
      [await get('/api/v1/connections/demo/schema'), connectionSchemaSchema],
      [await get('/api/health'), healthSchema],
      [page, auditPageSchema],
      [pending, pendingApprovalSchema],
      [await get(`/api/v1/audit/${page.records[0].requestId}`, auditorToken), auditTraceSchema],
    ];
    // Parsing strips keys a schema does not name: equal after parsing means nothing is undescribed.
    for (const [body, schema] of cases) assert.deepEqual(schema.parse(body), body);
  });

  test('every tool call above has its audit record with transport mcp and the tool name', async () => {
    assert.ok(calls.size >= 7, `calls recorded: ${calls.size}`);
    const res = await fetch(`${host.url}/api/v1/audit?transport=mcp&limit=200`, {
      headers: { authorization: `Bearer ${auditorToken}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      records: Array<{
        requestId: string;
        kind: string;
        transport: string;
        tool?: string;
        action: string;
        status: number;
      }>;
    };
    for (const [requestId, tool] of calls) {
      const record = body.records.find((r) => r.requestId === requestId && r.kind === 'request');
      assert.ok(record, `audit record for ${tool} ${requestId}`);
      assert.equal(record.transport, 'mcp');
      if (tool.startsWith('(refused')) {
        assert.equal(record.status, Number(/\d+/.exec(tool)?.[0] ?? 401), tool);
        assert.equal(record.tool, undefined);
      } else {
        assert.equal(record.tool, tool);
      }
    }
    const denied = body.records.filter((r) => r.tool === 'query' && r.status === 403);
    assert.ok(denied.length >= 1);
    // A principal without the permission is recorded too (403, before any tool runs).
    assert.ok(body.records.some((r) => r.action === 'mcp' && r.status === 403));
  });
});
