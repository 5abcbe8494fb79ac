import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpRequest } from '../../../functions/sdk.js';
import { type BlobFixture, blobFixture } from '../../support/blob-fixture.js';

let fx: BlobFixture;
let token: string;

before(async () => {
  fx = await blobFixture({ approvalBytes: 3000 });
  token = await fx.issuer.mint({ agent: 'rest-agent' });
});
after(async () => {
  await fx.stop();
});

async function get(route: 'blobs' | 'blobs/content', query: string) {
  const req = new HttpRequest({
    method: 'GET',
    url: `http://localhost/api/v1/connections/demo-files/${route}?${query}`,
    headers: { authorization: `Bearer ${token}` },
    params: { connection: 'demo-files' },
  });
  const api = fx.gateway.api;
  const res = await (route === 'blobs' ? api.listBlobs(req) : api.readBlob(req));
  return { status: res.status, body: res.body as Record<string, unknown> };
}

describe('blob REST routes', () => {
  it('lists a folder and reads a ranged CSV', async () => {
    const list = await get('blobs', 'prefix=demo-files%2Flogs%2F');
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body.entries as Array<{ path: string }>).map((e) => e.path),
      ['demo-files/logs/support.log'],
    );
    const read = await get('blobs/content', 'path=demo-files/exports/customers.csv&length=2000&maxRows=3');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.rowCount, 3);
  });

  it('refuses encoded traversal in the query string (decoded once, then refused)', async () => {
    for (const q of [
      'path=demo-files/exports/%2e%2e/private/payroll.csv',
      'path=demo-files/exports/%252e%252e%252fprivate/payroll.csv',
      'path=demo-files%5Cprivate%5Cpayroll.csv',
      'path=demo-files/exports/customers.csv%00',
    ]) {
      const r = await get('blobs/content', q);
      assert.equal(r.status, 400, q);
    }
    assert.equal((await get('blobs/content', 'path=demo-files/private/payroll.csv')).status, 403);
  });

  it('answers 202 with a status URL for a read over the byte threshold', async () => {
    const r = await get('blobs/content', 'path=demo-files/exports/customers.csv');
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const error = r.body.error as { code: string; statusUrl: string };
    assert.equal(error.code, 'approval_required');
    assert.match(error.statusUrl, /^\/api\/v1\/requests\//);
  });

  it('lists the storage account among the connections, with what it exposes', async () => {
    const req = new HttpRequest({
      method: 'GET',
      url: 'http://localhost/api/v1/connections',
      headers: { authorization: `Bearer ${token}` },
    });
    const res = await fx.gateway.api.listConnections(req);
    assert.equal(res.status, 200);
    const { connections } = res.body as { connections: Array<Record<string, unknown>> };
    const files = connections.find((c) => c.id === 'demo-files');
    assert.ok(files, JSON.stringify(connections));
    assert.deepEqual([files.kind, files.engine], ['blob', 'blob']);
    assert.deepEqual(files.containers, [
      { name: 'demo-files', prefixes: ['exports/', 'events/', 'logs/', 'media/'] },
    ]);
    assert.equal(
      connections.find((c) => c.id === 'demo')?.containers,
      undefined,
      'a SQL connection has no containers',
    );
  });

  it('refuses unknown query parameters', async () => {
    assert.equal((await get('blobs/content', 'path=demo-files/exports/customers.csv&sas=x')).status, 400);
  });
});
