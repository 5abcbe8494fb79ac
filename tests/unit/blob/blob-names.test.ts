import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { azuriteService, DEMO_CONTAINER } from '../../../cli/dev/demo-files.js';
import { HttpRequest } from '../../../functions/sdk.js';
import { digestOf } from '../../../shared/audit/result-digest.js';
import type { ApiRequest } from '../../../shared/rest/http.js';
import { BLOB_NAME_POLICY } from '../../../shared/use-cases/blobs.js';
import { type BlobFixture, blobFixture } from '../../support/blob-fixture.js';

/**
 * Blob names are content: a listing (REST, MCP, and so the CLI, which prints the REST answer)
 * masks what the detectors find in each name, disguises included, in the answer and in the
 * audit; a path or prefix carrying such a value is refused from the string alone, so the
 * gateway never confirms that a guessed name exists.
 */

/** Names carrying PII, plain and disguised, and what must never appear of them. */
const NAMES = [
  { name: 'exports/pii/jane.doe@example.com.csv', secret: 'jane.doe@example.com' },
  { name: 'exports/pii/4111111111111111.csv', secret: '4111111111111111' },
  { name: 'exports/pii/card 4111 1111 1111 1111.csv', secret: '4111 1111 1111 1111' },
  { name: 'exports/pii/john.roe(at)example.org.csv', secret: 'john.roe' },
  { name: 'exports/pii/ssn-123-45-6789/summary.csv', secret: '123-45-6789' },
  { name: 'exports/pii/CH9300762011623852957.csv', secret: 'CH9300762011623852957' },
];
const CLEAN = 'exports/pii/2024-06-30-report.csv';

let fx: BlobFixture;
let agent: string;

before(async () => {
  fx = await blobFixture();
  agent = await fx.issuer.mint({ agent: 'names-agent' });
  const container = azuriteService(fx.azurite.accountUrl).getContainerClient(DEMO_CONTAINER);
  for (const name of [...NAMES.map((n) => n.name), CLEAN]) {
    await container.getBlockBlobClient(name).uploadData(Buffer.from('id,city\n1,Bern\n'), {
      blobHTTPHeaders: { blobContentType: 'text/csv' },
    });
  }
});
after(async () => {
  await fx.stop();
});

async function rest(route: 'blobs' | 'blobs/content', query: Record<string, string>) {
  const req = new HttpRequest({
    method: 'GET',
    url: `http://localhost/api/v1/connections/demo-files/${route}?${new URLSearchParams(query)}`,
    headers: { authorization: `Bearer ${agent}` },
    params: { connection: 'demo-files' },
  });
  const res = await (route === 'blobs' ? fx.gateway.api.listBlobs(req) : fx.gateway.api.readBlob(req));
  return { status: res.status, body: res.body as Record<string, unknown> };
}

async function tool(name: string, args: unknown) {
  const req: ApiRequest = {
    method: 'POST',
    url: 'http://gateway.test/mcp',
    headers: new Headers({
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      authorization: `Bearer ${agent}`,
    }),
    params: {},
    query: new URLSearchParams(),
    text: async () =>
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  };
  const res = await fx.gateway.mcp.endpoint(req);
  return (res.body as { result: { isError?: boolean; structuredContent?: Record<string, unknown> } }).result;
}

function assertNoSecret(text: string, where: string): void {
  for (const { secret } of NAMES) assert.ok(!text.includes(secret), `${where} leaks ${secret}`);
}

type Entry = { kind: string; path: string; nameMasked?: true };

describe('blob names in listings', () => {
  it('REST: names with PII (disguised too) are masked, clean names are not, the audit too', async () => {
    const r = await rest('blobs', { prefix: 'demo-files/exports/pii/' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const entries = r.body.entries as Entry[];
    assert.equal(entries.length, NAMES.length + 1, JSON.stringify(entries));
    assertNoSecret(JSON.stringify(r.body), 'the listing');
    const clean = entries.find((e) => e.path === `demo-files/${CLEAN}`);
    assert.ok(clean, 'a clean name is shown as it is');
    assert.equal(clean.nameMasked, undefined);
    const masked = entries.filter((e) => e.nameMasked === true);
    assert.equal(masked.length, NAMES.length);
    assert.ok(
      masked.every((e) => e.path.startsWith('demo-files/exports/pii/')),
      'the folders stay',
    );
    // The folder `ssn-…/` is a folder entry, masked like a blob name.
    assert.ok(masked.some((e) => e.kind === 'folder'));

    const event = fx.audit.events().find((e) => e.requestId === r.body.requestId);
    assert.ok(event);
    assertNoSecret(JSON.stringify(event), 'the audit record');
    assert.equal(
      (event as { releasedDigest?: string }).releasedDigest,
      digestOf({ columns: [{ name: 'entry', type: 'json' }], rows: entries as unknown as unknown[][] }),
      'the digest is over what was answered (masked)',
    );
  });

  it('MCP list_blobs masks the same way', async () => {
    const r = await tool('list_blobs', { connection: 'demo-files', prefix: 'demo-files/exports/pii/' });
    assert.equal(r.isError ?? false, false, JSON.stringify(r));
    assertNoSecret(JSON.stringify(r), 'list_blobs');
    const entries = (r.structuredContent as { entries: Entry[] }).entries;
    assert.equal(entries.filter((e) => e.nameMasked).length, NAMES.length);
  });

  it('a masked name from a listing is not a path: refused, and nothing is looked up', async () => {
    const listed = await rest('blobs', { prefix: 'demo-files/exports/pii/' });
    const masked = (listed.body.entries as Entry[]).find((e) => e.kind === 'blob' && e.nameMasked);
    assert.ok(masked);
    const r = await rest('blobs/content', { path: masked.path });
    assert.notEqual(r.status, 200);
    assert.ok(!('rows' in r.body));
  });

  it('not an oracle: a real and a made-up PII name get the same refusal, before any lookup', async () => {
    const real = await rest('blobs/content', { path: 'demo-files/exports/pii/jane.doe@example.com.csv' });
    const made = await rest('blobs/content', { path: 'demo-files/exports/pii/no.one@example.com.csv' });
    assert.equal(real.status, 403);
    assert.equal(made.status, real.status);
    const codeOf = (b: Record<string, unknown>) => (b.error as { code: string } | undefined)?.code;
    assert.equal(codeOf(real.body), codeOf(made.body));
    for (const r of [real, made]) {
      const event = fx.audit.events().find((e) => e.requestId === r.body.requestId) as
        | { decision: { policyIds: string[] }; blob?: { size: number | null; etag: string | null } }
        | undefined;
      assert.ok(event);
      assert.deepEqual(event.decision.policyIds, [BLOB_NAME_POLICY]);
      assert.equal(event.blob?.size, null, 'the storage account was not asked');
      assert.equal(event.blob?.etag, null);
      assertNoSecret(JSON.stringify(event), 'the refusal audit');
      assert.ok(!JSON.stringify(event).includes('no.one@example.com'));
    }
    const listed = await rest('blobs', { prefix: 'demo-files/exports/pii/ssn-123-45-6789/' });
    assert.equal(listed.status, 403, 'a listing prefix cannot probe a name either');
    assertNoSecret(JSON.stringify(listed.body), 'the refusal');
  });

  it('a clean name in the same folder reads as before', async () => {
    const r = await rest('blobs/content', { path: `demo-files/${CLEAN}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.rowCount, 1);
  });
});
