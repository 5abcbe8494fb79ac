import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestEvent } from '../../../shared/audit/event.js';
import { digestOf } from '../../../shared/audit/result-digest.js';
import type { BlobListValue, BlobReadValue } from '../../../shared/use-cases/blobs.js';
import type { Outcome } from '../../../shared/use-cases/index.js';
import { type BlobFixture, blobFixture, principal, start } from '../../support/blob-fixture.js';

let fx: BlobFixture;
const agent = principal('agent');
const human = principal('human');

before(async () => {
  fx = await blobFixture();
});
after(async () => {
  await fx.stop();
});

function allowed<T>(o: Outcome<T>): T {
  assert.equal(o.kind, 'allowed', JSON.stringify(o));
  return (o as { value: T }).value;
}

async function eventOf(requestId: string): Promise<RequestEvent> {
  const e = fx.audit.all().find((x) => x.requestId === requestId);
  assert.ok(e, `no request event for ${requestId}`);
  return e;
}

const read = (input: Record<string, unknown>, who = agent) =>
  fx.gateway.useCases.readBlob(start(), who, { connection: 'demo-files', path: '', ...input });
const list = (input: Record<string, unknown>, who = agent) =>
  fx.gateway.useCases.listBlobs(start(), who, { connection: 'demo-files', ...input });

describe('blob listing on Azurite', () => {
  it('lists the exposed roots without a prefix, and a folder inside them', async () => {
    const roots = allowed<BlobListValue>(await list({}));
    assert.deepEqual(
      roots.entries.map((e) => e.path),
      ['demo-files/exports/', 'demo-files/events/', 'demo-files/logs/', 'demo-files/media/'],
    );
    const exports = allowed<BlobListValue>(await list({ prefix: 'demo-files/exports/' }));
    assert.deepEqual(
      exports.entries.map((e) => e.path),
      ['demo-files/exports/customers.csv'],
    );
    const entry = exports.entries[0];
    assert.ok(entry.kind === 'blob' && entry.size > 0 && entry.etag);
    const event = await eventOf(exports.requestId);
    assert.equal(event.action, 'blobs.list');
    assert.equal(event.blob?.path, 'exports/');
    assert.match(event.releasedDigest ?? '', /^[0-9a-f]{64}$/);
  });

  it('refuses a prefix outside the allowlist, audited as a denial', async () => {
    for (const prefix of ['demo-files/private/', 'demo-files/', 'demo-files/exports', 'other-container/']) {
      const o = await list({ prefix });
      assert.equal(o.kind, 'denied', prefix);
      const event = await eventOf(o.requestId);
      assert.deepEqual(event.decision.policyIds, ['gateway-blob-allowlist']);
      assert.equal(event.status, 403);
    }
  });
});

describe('blob reads on Azurite', () => {
  it('reads the CSV export with classified columns masked and the digest audited', async () => {
    const v = allowed<BlobReadValue>(await read({ path: 'demo-files/exports/customers.csv' }));
    assert.equal(v.format, 'csv');
    assert.equal(v.rowCount, 50);
    const row = v.rows[0] as Record<string, string>;
    assert.match(row.card_number, /^\*+\d{4}$|^[*•x]+.*\d{4}$/i);
    assert.doesNotMatch(row.email, /^[^*]+@example\./);
    assert.equal(row.ssn, '[REDACTED]');
    assert.match(row.city, /\w/);
    assert.equal(v.masking.byClass['pci.pan'], 50);
    const event = await eventOf(v.requestId);
    assert.equal(event.blob?.etag, v.etag);
    assert.equal(event.blob?.bytesRead, v.size);
    assert.equal(event.rowsReturned, 50);
    assert.equal(event.masking?.byClass['pci.pan'], 50);
    assert.equal(event.releasedDigest, digestOf({ columns: v.columns, rows: v.rows }));
  });

  it('reads NDJSON with a classified field masked and nested free text scanned', async () => {
    const v = allowed<BlobReadValue>(await read({ path: 'demo-files/events/2026-12-01.ndjson', maxRows: 5 }));
    assert.equal(v.rowCount, 5);
    assert.equal(v.truncated, true);
    const row = v.rows[0] as { user_email: string; detail: { ip: string; note: string } };
    assert.doesNotMatch(row.user_email, /^[a-z]+\.[a-z]+@/);
    assert.doesNotMatch(JSON.stringify(row.detail), /\d{13,19}/);
    assert.doesNotMatch(row.detail.ip, /^203\.0\.113\.\d+$/);
    assert.equal((await eventOf(v.requestId)).releasedDigest, digestOf({ columns: v.columns, rows: v.rows }));
  });

  it('reads the support log as lines with emails and cards masked in the free text', async () => {
    const v = allowed<BlobReadValue>(
      await read({ path: 'demo-files/logs/support.log', rowOffset: 2, maxRows: 3 }),
    );
    assert.equal(v.format, 'text');
    assert.deepEqual(
      v.rows.map((r) => r.line),
      [3, 4, 5],
    );
    for (const r of v.rows) {
      assert.doesNotMatch(String(r.text), /<[a-z.]+@example\.[a-z]+>/);
      assert.doesNotMatch(String(r.text), /\b\d{15,16}\b/);
      // Red-team round 13: the name before each address told whose masked address it was.
      assert.match(String(r.text), /ticket \d+: \[REDACTED\] <[a-z]\*\*\*@example\.[a-z]+>/);
    }
    assert.ok((v.masking.byClass['pii.email'] ?? 0) >= 3);
    assert.ok((v.masking.byClass['pii.name'] ?? 0) >= 3);
  });

  it('reads a byte range of the CSV with the header read apart', async () => {
    const v = allowed<BlobReadValue>(
      await read({ path: 'demo-files/exports/customers.csv', offset: 500, length: 600 }),
    );
    assert.ok(v.rowCount >= 1);
    assert.deepEqual(Object.keys(v.rows[0]).slice(0, 3), ['id', 'full_name', 'email']);
    assert.match(String(v.rows[0].id), /^\d+$/);
  });

  it("byte ranges are widened to whole KiB, so where a row ends tells nothing of its masked fields' length", async () => {
    // Ranges to the byte stepped the row count at each record's last byte (red-team round 44).
    const counts = new Set<number>();
    for (const length of [150, 174, 175, 176, 300, 1000, 1024]) {
      const v = allowed<BlobReadValue>(
        await read({ path: 'demo-files/exports/customers.csv', offset: 0, length }),
      );
      assert.deepEqual(v.range, { offset: 0, count: 1024 });
      counts.add(v.rowCount);
    }
    assert.equal(counts.size, 1);
    const shifted = allowed<BlobReadValue>(
      await read({ path: 'demo-files/exports/customers.csv', offset: 1500, length: 10 }),
    );
    assert.deepEqual(shifted.range, { offset: 1024, count: 1024 });
  });

  it('refuses traversal and encoded paths before the target, each refusal audited', async () => {
    for (const path of [
      'demo-files/exports/../private/payroll.csv',
      'demo-files/exports/%2e%2e/private/payroll.csv',
      'demo-files/exports/..%2Fprivate%2Fpayroll.csv',
      'demo-files\\private\\payroll.csv',
      'demo-files/private/payroll.csv',
    ]) {
      const o = await read({ path });
      assert.notEqual(o.kind, 'allowed', path);
      const event = await eventOf(o.requestId);
      assert.ok(event.status === 400 || event.status === 403, `${path}: ${event.status}`);
      assert.equal(event.rowsReturned, 0);
      assert.equal(event.blob, undefined, 'the target was never asked');
      // What was tried is in the trail (red-team round 44: it was not).
      assert.equal(event.statement, `READ BLOB ${path}`);
    }
    // Masked as a name is: a path can carry personal data.
    const o = await read({ path: 'demo-files/private/4111 1111 1111 1111.csv' });
    const event = await eventOf(o.requestId);
    assert.doesNotMatch(String(event.statement), /4111 1111 1111 1111/);
    assert.match(String(event.statement), /^READ BLOB demo-files\/private\//);
  });

  it('releases nothing when the audit record cannot be written', async () => {
    fx.audit.failNext();
    const o = await read({ path: 'demo-files/exports/customers.csv', maxRows: 2 });
    assert.equal(o.kind, 'failed');
    assert.equal(o.kind === 'failed' && o.failure.code, 'audit_unavailable');
    assert.equal('value' in o, false);
  });

  it('refuses a binary blob for an agent, and lets a person read it', async () => {
    const o = await read({ path: 'demo-files/media/logo.png' });
    assert.equal(o.kind, 'denied');
    const event = await eventOf(o.requestId);
    assert.deepEqual(event.decision.policyIds, ['agent-blob-no-binary']);
    assert.equal(event.blob?.format, 'binary');
    const v = allowed<BlobReadValue>(await read({ path: 'demo-files/media/logo.png' }, human));
    assert.equal(Buffer.from(String(v.rows[0].base64), 'base64')[1], 0x50);
  });

  it("keeps the caller's purpose content-scanned in the audit trail and the held request", async () => {
    const purpose = 'card 4012-8888-8888-1881 for ana.lopez@contoso.com, audit prep';
    const listed = allowed<BlobListValue>(await list({ purpose }));
    const read1 = allowed<BlobReadValue>(await read({ path: 'demo-files/exports/customers.csv', purpose }));
    for (const id of [listed.requestId, read1.requestId]) {
      const stored = (await eventOf(id)).purpose ?? '';
      assert.doesNotMatch(stored, /4012-8888-8888-1881|ana\.lopez@/, stored);
      assert.match(stored, /audit prep/);
    }
    const big = await blobFixture({ approvalBytes: 1024 });
    try {
      const p = await big.gateway.useCases.readBlob(start(), agent, {
        connection: 'demo-files',
        path: 'demo-files/exports/customers.csv',
        purpose,
      });
      assert.equal(p.kind, 'pending', JSON.stringify(p));
      const stored = (await big.requests.get(p.requestId))?.value;
      assert.doesNotMatch(JSON.stringify(stored), /4012-8888-8888-1881|ana\.lopez@/);
      assert.match(stored?.purpose ?? '', /audit prep/);
    } finally {
      await big.stop();
    }
  });

  it('sends a read over the byte threshold to approval, stored, with nothing read', async () => {
    const o = await read({ path: 'demo-files/exports/customers.csv', maxRows: 10 }, agent);
    // 50 customers are ~5 KB: under the fixture's 20 KB threshold, so this one is allowed...
    assert.equal(o.kind, 'allowed');
    const big = await blobFixture({ approvalBytes: 1024 });
    try {
      const p = await big.gateway.useCases.readBlob(start(), agent, {
        connection: 'demo-files',
        path: 'demo-files/exports/customers.csv',
      });
      assert.equal(p.kind, 'pending', JSON.stringify(p));
      assert.equal(p.kind === 'pending' && p.failure.code, 'approval_required');
      const stored = (await big.requests.get(p.requestId))?.value;
      assert.equal(stored?.status, 'pending');
      assert.match(stored?.statement ?? '', /^READ BLOB demo-files\/exports\/customers\.csv BYTES 0- ETAG /);
      const events = big.audit.events().filter((e) => e.requestId === p.requestId);
      const request = big.audit.all().find((e) => e.requestId === p.requestId);
      assert.deepEqual(request?.decision.policyIds, ['gateway-blob-read-bytes']);
      assert.equal(request?.blob?.bytesRead, 0);
      assert.ok(events.some((e) => e.kind === 'approval.requested'));
      // Held reads count against the caller's pending cap (10 by default), as SQL ones do.
      const hold = () =>
        big.gateway.useCases.readBlob(start(), agent, {
          connection: 'demo-files',
          path: 'demo-files/exports/customers.csv',
        });
      for (let i = 1; i < 10; i++) assert.equal((await hold()).kind, 'pending');
      const refused = await hold();
      assert.equal(
        refused.kind === 'failed' && refused.failure.code,
        'too_many_pending',
        JSON.stringify(refused),
      );
      assert.equal((await big.requests.list({ status: 'pending', limit: 100 })).length, 10);
    } finally {
      await big.stop();
    }
  });
});
