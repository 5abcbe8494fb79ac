import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../../shared/audit/result-digest.js';
import type { BlobReadValue } from '../../../shared/use-cases/blobs.js';
import { type BlobFixture, blobFixture, principal, start } from '../../support/blob-fixture.js';

/** Kept results of typed blob reads (Azurite through the real SDK; test audit and result stores). */
let fx: BlobFixture;
const agent = principal('agent', 'keep-blob-agent');

before(async () => {
  fx = await blobFixture({ replay: { keepRows: 5 } });
});
after(async () => {
  await fx.stop();
});

async function read(path: string) {
  const o = await fx.gateway.useCases.readBlob(start(), agent, { connection: 'demo-files', path });
  assert.equal(o.kind, 'allowed', JSON.stringify(o));
  await fx.gateway.replay?.drain();
  const v = (o as { value: BlobReadValue }).value;
  const event = fx.audit.all().find((e) => e.requestId === o.requestId);
  assert.ok(event);
  return { v, event };
}

describe('blob reads kept for replay', () => {
  it('a CSV read keeps its first 5 masked rows, exactly as released, no clear value', async () => {
    const { v, event } = await read('demo-files/exports/customers.csv');
    assert.equal(v.rowCount, 50);
    const link = event.replay;
    assert.equal(link?.rows, 5);
    assert.equal(link?.complete, false);
    const stored = await fx.gateway.replay?.results.get(link?.replayResultId ?? '', new Date());
    assert.deepEqual(stored?.rows, v.rows.slice(0, 5));
    assert.equal(link?.digest, digestOf({ columns: v.columns, rows: v.rows.slice(0, 5) }));
    const text = JSON.stringify(stored?.rows);
    assert.doesNotMatch(text, /"ssn":"\d/);
    assert.doesNotMatch(text, /\d{13,16}/, 'no clear card number');
    assert.doesNotMatch(text, /"email":"[^*"]+@/, 'no clear email');
  });

  it('a binary read is released to whom policy allows but never kept', async () => {
    const human = principal('human', 'keep-blob-human');
    const o = await fx.gateway.useCases.readBlob(start(), human, {
      connection: 'demo-files',
      path: 'demo-files/media/logo.png',
    });
    await fx.gateway.replay?.drain();
    assert.equal(o.kind, 'allowed', JSON.stringify(o));
    const event = fx.audit.all().find((e) => e.requestId === o.requestId);
    assert.equal(event?.blob?.format, 'binary');
    assert.equal(event?.replay, undefined);
    // The same person's CSV read is kept: the rule is the format, not the reader.
    const csv = await fx.gateway.useCases.readBlob(start(), human, {
      connection: 'demo-files',
      path: 'demo-files/exports/customers.csv',
    });
    await fx.gateway.replay?.drain();
    assert.ok(fx.audit.all().find((e) => e.requestId === csv.requestId)?.replay);
  });

  it('a reader who saw classes in clear (a data steward) is not kept: the copy would hold clear values', async () => {
    const steward = { ...principal('human', 'keep-blob-steward'), groups: ['data-stewards'] };
    const o = await fx.gateway.useCases.readBlob(start(), steward, {
      connection: 'demo-files',
      path: 'demo-files/exports/customers.csv',
    });
    await fx.gateway.replay?.drain();
    assert.equal(o.kind, 'allowed', JSON.stringify(o));
    const event = fx.audit.all().find((e) => e.requestId === o.requestId);
    assert.ok((event?.unmaskedClasses ?? []).length > 0, 'the steward saw classes in clear');
    assert.equal(event?.replay, undefined);
  });
});
