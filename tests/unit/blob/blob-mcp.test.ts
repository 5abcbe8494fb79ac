import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { ApiRequest } from '../../../shared/rest/http.js';
import { type BlobFixture, blobFixture } from '../../support/blob-fixture.js';

let fx: BlobFixture;
let token: string;

before(async () => {
  fx = await blobFixture();
  token = await fx.issuer.mint({ agent: 'mcp-agent' });
});
after(async () => {
  await fx.stop();
});

async function tool(name: string, args: unknown) {
  const req: ApiRequest = {
    method: 'POST',
    url: 'http://gateway.test/mcp',
    headers: new Headers({
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      authorization: `Bearer ${token}`,
    }),
    params: {},
    query: new URLSearchParams(),
    text: async () =>
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  };
  const res = await fx.gateway.mcp.endpoint(req);
  return (res.body as { result: { isError?: boolean; structuredContent?: Record<string, unknown> } }).result;
}

describe('blob MCP tools', () => {
  it('list_blobs and read_blob answer masked rows, audited with the tool', async () => {
    const listed = await tool('list_blobs', { connection: 'demo-files', prefix: 'demo-files/events/' });
    assert.equal(listed.isError ?? false, false, JSON.stringify(listed));
    const read = await tool('read_blob', {
      connection: 'demo-files',
      path: 'demo-files/events/2026-12-01.ndjson',
      maxRows: 2,
    });
    assert.equal(read.isError ?? false, false, JSON.stringify(read));
    const content = read.structuredContent as {
      rows: Array<{ user_email: string }>;
      requestId: string;
      status: string;
    };
    assert.equal(content.status, 'completed');
    assert.equal(content.rows.length, 2);
    assert.doesNotMatch(content.rows[0].user_email, /^[a-z]+\.[a-z]+@/);
    const event = fx.audit.all().find((e) => e.requestId === content.requestId);
    assert.equal(event?.tool, 'read_blob');
    assert.equal(event?.transport, 'mcp');
    assert.match(event?.releasedDigest ?? '', /^[0-9a-f]{64}$/);
  });

  it('read_blob takes whole numbers only, as its tool list says (red-team round 41)', async () => {
    const path = 'demo-files/logs/support.log';
    // `true`, `"0x200"`, `"1e3"`, `[1]` and `""` were read as numbers by a coercion.
    for (const odd of [true, '0x200', '1e3', [1], '', 1.5, null]) {
      for (const field of ['offset', 'length', 'maxRows', 'rowOffset']) {
        const r = await tool('read_blob', { connection: 'demo-files', path, [field]: odd });
        assert.equal(r.isError, true, `${field}: ${JSON.stringify(odd)} -> ${JSON.stringify(r)}`);
      }
    }
    const fine = await tool('read_blob', {
      connection: 'demo-files',
      path,
      offset: 0,
      length: 512,
      maxRows: 1,
    });
    assert.equal(fine.isError ?? false, false, JSON.stringify(fine));
  });

  it('read_blob refuses traversal as a tool error', async () => {
    const r = await tool('read_blob', {
      connection: 'demo-files',
      path: 'demo-files/events/../../private/payroll.csv',
    });
    assert.equal(r.isError, true);
  });
});
