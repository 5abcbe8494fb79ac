import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { ApiRequest } from '../../../shared/rest/http.js';
import { type Fixture, gatewayFixture } from '../../support/gateway-fixture.js';

/**
 * JSON-RPC batches: the MCP revisions served (2025-11-25, 2025-06-18) have none (2025-06-18
 * removed them), while the SDK's Streamable HTTP transport still accepts an array and runs
 * every message of it at once. One HTTP request could so carry many `tools/call` queries past
 * the per-caller limit of statements in flight. The endpoint refuses any array whole with
 * -32600 (invalid request) before a message in it runs, and audits the refusal.
 */
const call = (id: number, sql: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'query', arguments: { connection: 'demo', sql } },
});

describe('MCP JSON-RPC batches', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await gatewayFixture();
  });

  function post(
    body: unknown,
    version = LATEST_PROTOCOL_VERSION,
  ): Promise<{ status: number; body?: unknown }> {
    const request: ApiRequest = {
      method: 'POST',
      url: 'http://gateway.test/mcp',
      headers: new Headers({
        authorization: `Bearer ${f.agentToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': version,
      }),
      params: {},
      query: new URLSearchParams(),
      text: async () => JSON.stringify(body),
    };
    return f.composed.mcp.endpoint(request);
  }

  test('a batch of tool calls is refused whole with -32600, and none of them runs', async () => {
    const sql = 'select count(*) from customers a, customers b, customers c';
    const batch = [1, 2, 3, 4, 5, 6].map((id) => call(id, sql));
    for (const version of [LATEST_PROTOCOL_VERSION, '2025-06-18']) {
      const res = await post(batch, version);
      assert.equal(res.status, 400, version);
      const body = res.body as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.id, null);
      assert.equal(body.error.code, -32600);
      assert.match(body.error.message, /batch/i);
    }
    assert.equal(f.connector.estimated.length, 0, 'nothing was estimated');
    assert.equal(f.connector.executed.length, 0, 'nothing was executed');
  });

  test('the refusal is audited once per request, as a bad request over mcp', async () => {
    const res = await post([call(1, 'select id from customers where id = 1')]);
    assert.equal(res.status, 400);
    const records = f.audit.all();
    assert.equal(records.length, 1);
    assert.equal(records[0]?.transport, 'mcp');
    assert.equal(records[0]?.status, 400);
    assert.equal(records[0]?.errorCode, 'bad_request');
  });

  test('every kind of batch is refused (initialize, an empty array), a single message is served', async () => {
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      },
    };
    assert.equal((await post([init])).status, 400);
    assert.equal((await post([])).status, 400);
    const single = await post(call(1, 'select id from customers where id = 1'));
    assert.equal(single.status, 200, JSON.stringify(single.body));
    assert.equal(f.connector.executed.length, 1);
  });
});
