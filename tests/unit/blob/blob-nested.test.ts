import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { azuriteService, DEMO_CONTAINER, DEMO_FILES_CONNECTION } from '../../../cli/dev/demo-files.js';
import { HttpRequest } from '../../../functions/sdk.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { parseFieldPath } from '../../../shared/config/field-path.js';
import { type BlobFixture, blobFixture } from '../../support/blob-fixture.js';

/**
 * Classification keys that are paths into nested JSON and NDJSON (`customer.card.number`,
 * `items[].pan`, quoted `"a.b"` for a field whose name holds a dot), on Azurite through the
 * gateway: anchored at the top of each row, so the same key at another depth is not taken for
 * the classified one; unclassified nested values still get the content detectors.
 */

const FIELDS = {
  'customer.card.number': 'pci.pan',
  'customer.name': 'pii.name',
  'items[].pan': 'pci.pan',
  '"a.b"': 'pii.name',
  'x.y': 'pii.name',
  'matrix[][]': 'pii.name',
};

const ROW = {
  id: 1,
  customer: { name: 'Jane Roe', card: { number: '4111111111111111' } },
  name: 'Widget',
  product: { name: 'Gadget', card: { number: 'not-a-card' }, contact: 'write to jane.doe@example.com' },
  items: [
    { pan: '5500000000000004', sku: 'A-1' },
    { pan: '4111111111111111', sku: 'B-2' },
  ],
  'a.b': 'Jane Q',
  a: { b: 'Gizmo' },
  'x.y': 'Plain',
  x: { y: 'Jane X' },
  matrix: [['Ann'], ['Bob', 'Cy']],
};

let fx: BlobFixture;
let agent: string;

before(async () => {
  fx = await blobFixture({
    classification: { ...DEMO_FILES_CONNECTION.classification, 'events/nested/**': FIELDS },
  });
  agent = await fx.issuer.mint({ agent: 'nested-agent' });
  const container = azuriteService(fx.azurite.accountUrl).getContainerClient(DEMO_CONTAINER);
  const second = { ...ROW, id: 2 };
  await container
    .getBlockBlobClient('events/nested/rows.ndjson')
    .uploadData(Buffer.from(`${JSON.stringify(ROW)}\n${JSON.stringify(second)}\n`), {
      blobHTTPHeaders: { blobContentType: 'application/x-ndjson' },
    });
  await container
    .getBlockBlobClient('events/nested/doc.json')
    .uploadData(Buffer.from(JSON.stringify([ROW])), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
});
after(async () => {
  await fx.stop();
});

async function read(path: string) {
  const req = new HttpRequest({
    method: 'GET',
    url: `http://localhost/api/v1/connections/demo-files/blobs/content?path=${encodeURIComponent(path)}`,
    headers: { authorization: `Bearer ${agent}` },
    params: { connection: 'demo-files' },
  });
  const res = await fx.gateway.api.readBlob(req);
  return { status: res.status, body: res.body as Record<string, unknown> };
}

type Masked = typeof ROW;

function assertMasked(row: Masked): void {
  // Nested objects.
  assert.match(row.customer.name, /^tok_/, 'customer.name is classified pii.name');
  assert.doesNotMatch(row.customer.card.number, /^\d{16}$/);
  // Arrays of objects: every element's pan, and nothing else of them.
  for (const item of row.items) assert.doesNotMatch(item.pan, /^\d{16}$/);
  assert.deepEqual(
    row.items.map((i) => i.sku),
    ['A-1', 'B-2'],
  );
  // The same keys at another depth are not the classified fields.
  assert.equal(row.name, 'Widget');
  assert.equal(row.product.name, 'Gadget');
  assert.equal(row.product.card.number, 'not-a-card');
  // Keys containing dots: "a.b" is the top-level field, x.y the nested one.
  assert.match(row['a.b'], /^tok_/);
  assert.equal(row.a.b, 'Gizmo');
  assert.match(row.x.y, /^tok_/);
  assert.equal(row['x.y'], 'Plain');
  // Nested arrays.
  for (const inner of row.matrix) for (const v of inner) assert.match(v, /^tok_/);
  // Unclassified nested text still goes through the detectors.
  assert.doesNotMatch(row.product.contact, /jane\.doe@example\.com/);
}

describe('nested JSON and NDJSON classification', () => {
  it('NDJSON: nested objects, arrays of objects, other depths and dotted keys', async () => {
    const r = await read('demo-files/events/nested/rows.ndjson');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const rows = r.body.rows as Masked[];
    assert.equal(rows.length, 2);
    for (const row of rows) assertMasked(row);
    const masking = r.body.masking as { byClass: Record<string, number>; columns: Record<string, string> };
    // Per row: customer.card.number and two items' pans; customer.name, "a.b", x.y, 3 in matrix.
    assert.equal(masking.byClass['pci.pan'], 2 * 3);
    assert.equal(masking.byClass['pii.name'], 2 * 6);
    assert.equal(masking.columns['items[].pan'], 'pci.pan');
  });

  it('JSON documents are masked the same way', async () => {
    const r = await read('demo-files/events/nested/doc.json');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const rows = r.body.rows as Masked[];
    assert.equal(rows.length, 1);
    assertMasked(rows[0] as Masked);
  });
});

describe('field paths at config load', () => {
  const load = (fields: Record<string, string>) =>
    parseConfig({
      connections: [{ ...DEMO_FILES_CONNECTION, classification: { 'events/**': fields } }],
    });

  it('accepts paths, [] and quoted segments', () => {
    assert.doesNotThrow(() => load(FIELDS));
    assert.deepEqual(parseFieldPath('meta."a.b"[].pan'), [
      { name: 'meta', each: 0 },
      { name: 'a.b', each: 1 },
      { name: 'pan', each: 0 },
    ]);
  });

  for (const bad of ['a..b', 'a.', '.a', 'a[0].b', 'a[', '"a', 'a b', 'a."".b', 'a[]x']) {
    it(`refuses the malformed path ${bad}`, () => {
      assert.throws(() => load({ [bad]: 'pii.name' }), /field path/);
    });
  }

  it('refuses one path written twice (ambiguous)', () => {
    assert.throws(() => load({ 'a.b': 'pii.name', '"a".b': 'pci.pan' }), /same field path/);
    assert.throws(() => load({ 'items[].pan': 'pci.pan', 'items[]."pan"': 'pii.name' }), /same field path/);
  });
});
