import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { DEMO_CONTAINER } from '../../../cli/dev/demo-files.js';
import { HttpRequest } from '../../../functions/sdk.js';
import { sha256Hex } from '../../../shared/approvals/create-request.js';
import { canonicalSha256 } from '../../../shared/audit/canonical.js';
import { digestOf } from '../../../shared/audit/result-digest.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../../shared/connectors/blob/azure-blob-connector.js';
import type { Consumer } from '../../../shared/ports/queue.js';
import { type BlobFixture, blobFixture } from '../../support/blob-fixture.js';

/**
 * An approved blob read on Azurite, through the REST routes and the approval queue consumers
 * the trigger table names: the read over the threshold is stored (202), approved, run once
 * against exactly the version approved, and its masked rows released to the requester only.
 */
let fx: BlobFixture;
let consumers: Consumer[];
let agent: string;
let other: string;
let alice: string;

before(async () => {
  fx = await blobFixture({ approvalBytes: 1024 });
  consumers = fx.gateway.triggers.flatMap((t) =>
    t.kind === 'queue' ? [fx.queue.consume(t.queue, t.pick(fx.gateway.triggerHandlers))] : [],
  );
  agent = await fx.issuer.mint({ agent: 'bulk-agent' });
  other = await fx.issuer.mint({ agent: 'other-agent' });
  alice = await fx.issuer.mint({ user: 'alice', groups: ['data-owners'] });
});
after(async () => {
  await Promise.allSettled(consumers.map((c) => c.close()));
  await fx.stop();
});

type Body = Record<string, unknown>;

async function call(
  name: 'readBlob' | 'requestStatus' | 'requestResult' | 'submitDecision',
  token: string,
  o: {
    url: string;
    params: Record<string, string>;
    body?: unknown;
  },
): Promise<{ status: number; body: Body }> {
  const req = new HttpRequest({
    method: o.body === undefined ? 'GET' : 'POST',
    url: `http://localhost/api/${o.url}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    params: o.params,
    ...(o.body === undefined ? {} : { body: { string: JSON.stringify(o.body) } }),
  });
  const res = await fx.gateway.api[name](req);
  return { status: res.status, body: res.body as Body };
}

async function requestRead(): Promise<string> {
  const r = await call('readBlob', agent, {
    url: 'v1/connections/demo-files/blobs/content?path=demo-files/exports/customers.csv',
    params: { connection: 'demo-files' },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.ok(!('rows' in r.body), 'nothing released');
  return String((r.body.approval as { approvalRequestId: string }).approvalRequestId);
}

const approve = (id: string) =>
  call('submitDecision', alice, {
    url: `v1/approvals/${id}/decision`,
    params: { id },
    body: { decision: 'approve' },
  });

async function settled(id: string): Promise<{ status: string; error?: { code: string } }> {
  for (let i = 0; i < 200; i++) {
    const r = await call('requestStatus', agent, { url: `v1/requests/${id}`, params: { id } });
    const request = r.body.request as { status: string; error?: { code: string } };
    if (!['pending', 'approved', 'executing'].includes(request.status)) return request;
    await new Promise((done) => setTimeout(done, 25));
  }
  assert.fail(`request ${id} did not settle`);
}

describe('approved blob reads on Azurite', () => {
  it('large read -> 202 -> approve -> completed -> masked rows for the requester, digest audited', async () => {
    const id = await requestRead();
    assert.equal((await approve(id)).status, 202);
    const done = await settled(id);
    assert.equal(done.status, 'completed', JSON.stringify(done));

    const result = await call('requestResult', agent, { url: `v1/requests/${id}/result`, params: { id } });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    const rows = result.body.rows as Array<Record<string, unknown>>;
    const columns = result.body.columns as Array<{ name: string; type: string }>;
    assert.equal(rows.length, 50);
    for (const row of rows) {
      assert.match(String(row.card_number), /\d{4}$/);
      assert.doesNotMatch(String(row.card_number), /^\d{13,19}$/, 'card numbers are masked');
      assert.equal(row.ssn, '[REDACTED]');
    }
    assert.match(String(rows[0]?.city), /\w/);
    assert.equal((result.body.masking as { byClass: Record<string, number> }).byClass['pci.pan'], 50);

    const events = fx.audit.events().filter((e) => e.requestId === id);
    const executed = events.find((e) => e.kind === 'statement.executed') as
      | { rows: number; errorCode: string | null }
      | undefined;
    assert.equal(executed?.rows, 50);
    assert.equal(executed?.errorCode, null);
    const released = events.find((e) => e.kind === 'result.released') as { digest: string } | undefined;
    const values = rows.map((r) => columns.map((c) => r[c.name]));
    assert.equal(released?.digest, digestOf({ columns, rows: values }));
    assert.equal(released?.digest, result.body.digest);
  });

  it('a non-requester cannot fetch the result (404), and the refusal releases nothing', async () => {
    const id = await requestRead();
    await approve(id);
    assert.equal((await settled(id)).status, 'completed');
    for (const token of [other, alice]) {
      const r = await call('requestResult', token, { url: `v1/requests/${id}/result`, params: { id } });
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.ok(!('rows' in r.body));
    }
    const releases = fx.audit.events().filter((e) => e.requestId === id && e.kind === 'result.released');
    assert.equal(releases.length, 0);
  });

  it('a blob rewritten after the request is not read: failed with blob_changed', async () => {
    const id = await requestRead();
    // The same bytes again: a new ETag, so the approved version is gone even if content is not.
    const service = new BlobServiceClient(
      fx.azurite.accountUrl,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    );
    const blob = service.getContainerClient(DEMO_CONTAINER).getBlockBlobClient('exports/customers.csv');
    const bytes = await blob.downloadToBuffer();
    await blob.uploadData(bytes);
    await approve(id);
    const done = await settled(id);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'blob_changed');
    const events = fx.audit.events().filter((e) => e.requestId === id);
    assert.equal(
      events.some((e) => e.kind === 'statement.executed'),
      false,
      'nothing was read',
    );
    const r = await call('requestResult', agent, { url: `v1/requests/${id}/result`, params: { id } });
    assert.notEqual(r.status, 200);
  });

  it('a stored read rewritten to another path (digests recomputed) is refused, nothing read', async () => {
    const id = await requestRead();
    fx.requests.tamper(id, (r) => {
      const [param] = r.params as Array<Record<string, unknown>>;
      r.params = [{ ...param, path: 'demo-files/private/payroll.csv' }];
      r.statement = r.statement.replace('exports/customers.csv', 'private/payroll.csv');
      r.paramsSha256 = canonicalSha256(r.params);
      r.statementSha256 = sha256Hex(r.statement);
    });
    await approve(id);
    const done = await settled(id);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'statement_altered');
    const events = fx.audit.events().filter((e) => e.requestId === id);
    assert.equal(
      events.some((e) => e.kind === 'statement.executed'),
      false,
    );
  });
});
