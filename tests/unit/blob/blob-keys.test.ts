import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { azuriteService, DEMO_CONTAINER, DEMO_FILES_CONNECTION } from '../../../cli/dev/demo-files.js';
import { HttpRequest } from '../../../functions/sdk.js';
import { createMasker } from '../../../shared/masking/index.js';
import { ContentKeys } from '../../../shared/use-cases/blob-keys.js';
import { type BlobFixture, blobFixture } from '../../support/blob-fixture.js';

/**
 * Red-team round 33: a blob's field names are content. A CSV header or a JSON object's keys
 * holding a card number or an email went out in clear as column names, row keys and the
 * masking report's keys (and so into the audit record).
 */

const CARD = '4111111111111111';
const EMAIL = 'bob@example.com';
const SSN = '123-45-6789';

const FILES: Record<string, { body: string; type: string }> = {
  'events/keys/pivot.json': {
    body: JSON.stringify([{ [EMAIL]: 'v', n: 1, '[redacted:1]': 'spelled like a placeholder' }]),
    type: 'application/json',
  },
  'events/keys/rows.ndjson': {
    body: `${JSON.stringify({ [CARD]: `card ${CARD}`, city: 'Bern' })}\n${JSON.stringify({ [CARD]: 'x', other: EMAIL })}\n`,
    type: 'application/x-ndjson',
  },
  'events/keys/named.ndjson': {
    body: `${JSON.stringify({ ssn: 123456789, customerPhone: 41446681800, note: 'fine', n: 7 })}\n`,
    type: 'application/x-ndjson',
  },
  'exports/lookalike.csv': {
    body: 'id,full_n\u0430me,notes\n1,Xavier Quinn,hello\n',
    type: 'text/csv',
  },
  'exports/upper.CSV': {
    body: 'id,full_name\n1,Xavier Quinn\n',
    type: 'text/csv',
  },
  'exports/astext.csv': {
    body: 'id,full_name\n1,Xavier Quinn\n',
    type: 'text/plain',
  },
  'exports/renamed.csv': {
    body: 'id,Full_Name,EMAIL,phone ,ssn_\n1,Xavier Quinn,x@example.org,+41 44 668 18 00,123-45-6789\n',
    type: 'text/csv',
  },
  'exports/keys/header.csv': {
    body: `id,${EMAIL},${CARD},${SSN}\n1,a,b,c\n2,d,e,f\n`,
    type: 'text/csv',
  },
};

let fx: BlobFixture;
let agent: string;

before(async () => {
  fx = await blobFixture({ classification: DEMO_FILES_CONNECTION.classification });
  agent = await fx.issuer.mint({ agent: 'keys-agent' });
  const container = azuriteService(fx.azurite.accountUrl).getContainerClient(DEMO_CONTAINER);
  for (const [name, f] of Object.entries(FILES)) {
    await container
      .getBlockBlobClient(name)
      .uploadData(Buffer.from(f.body), { blobHTTPHeaders: { blobContentType: f.type } });
  }
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

const CLEAR = [CARD, EMAIL, SSN, '4111', 'bob@'];

function assertNothingClear(what: string, value: unknown): void {
  const text = JSON.stringify(value);
  for (const c of CLEAR) assert.ok(!text.includes(c), `${what} holds ${c}: ${text.slice(0, 300)}`);
}

describe("blob field names are scanned like the blob's values", () => {
  it('a JSON key holding an email is renamed, its value kept; a key spelled like a placeholder too', async () => {
    const { status, body } = await read(`${DEMO_CONTAINER}/events/keys/pivot.json`);
    assert.equal(status, 200, JSON.stringify(body));
    assertNothingClear('response', body);
    const [row] = body.rows as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(row ?? {}), ['[redacted:1]', 'n', '[redacted:2]']);
    assert.equal(row?.['[redacted:1]'], 'v');
    assert.equal(row?.['[redacted:2]'], 'spelled like a placeholder');
    const masking = body.masking as { columns: Record<string, string>; byClass: Record<string, number> };
    assert.equal(masking.columns['[redacted:1]'], 'pii.email');
    assert.equal(masking.byClass['pii.email'], 1);
    assertNothingClear('audit', fx.audit.all());
  });

  it('an NDJSON key keeps one name across rows, and its value is still masked', async () => {
    const { status, body } = await read(`${DEMO_CONTAINER}/events/keys/rows.ndjson`);
    assert.equal(status, 200, JSON.stringify(body));
    assertNothingClear('response', body);
    const rows = body.rows as Array<Record<string, unknown>>;
    assert.deepEqual(
      rows.map((r) => Object.keys(r)),
      [
        ['[redacted:1]', 'city'],
        ['[redacted:1]', 'other'],
      ],
    );
    assert.equal(rows[0]?.city, 'Bern');
    assert.deepEqual(
      (body.columns as Array<{ name: string }>).map((c) => c.name),
      ['[redacted:1]', 'city', 'other'],
    );
    assertNothingClear('audit', fx.audit.all());
  });

  it('a CSV header holding a card, an email and an SSN is renamed column by column', async () => {
    const { status, body } = await read(`${DEMO_CONTAINER}/exports/keys/header.csv`);
    assert.equal(status, 200, JSON.stringify(body));
    assertNothingClear('response', body);
    assert.deepEqual(
      (body.columns as Array<{ name: string }>).map((c) => c.name),
      ['id', '[redacted:1]', '[redacted:2]', '[redacted:3]'],
    );
    const rows = body.rows as Array<Record<string, unknown>>;
    assert.deepEqual(rows[1], { id: '2', '[redacted:1]': 'd', '[redacted:2]': 'e', '[redacted:3]': 'f' });
    assertNothingClear('audit', fx.audit.all());
  });
});

describe('classified columns match however the header spells them', () => {
  it('Full_Name, EMAIL, "phone " and ssn_ are masked as full_name, email, phone and ssn', async () => {
    const { status, body } = await read(`${DEMO_CONTAINER}/exports/renamed.csv`);
    assert.equal(status, 200, JSON.stringify(body));
    const [row] = body.rows as Array<Record<string, string>>;
    assert.ok(row);
    assert.doesNotMatch(row.Full_Name ?? '', /Xavier|Quinn/);
    assert.doesNotMatch(row.EMAIL ?? '', /^x@/);
    assert.doesNotMatch(row['phone '] ?? '', /668 18 00/);
    assert.doesNotMatch(row.ssn_ ?? '', /6789|123-45/);
    const masking = body.masking as { columns: Record<string, string> };
    assert.equal(masking.columns.Full_Name, 'pii.name');
    assert.equal(masking.columns.EMAIL, 'pii.email');
  });
});

describe('a field whose name says what it holds is masked as that', () => {
  it('an unclassified ssn held as a JSON number, and a phone, are masked; other fields are not', async () => {
    const { status, body } = await read(`${DEMO_CONTAINER}/events/keys/named.ndjson`);
    assert.equal(status, 200, JSON.stringify(body));
    const [row] = body.rows as Array<Record<string, unknown>>;
    assert.ok(!JSON.stringify(row).includes('123456789'), JSON.stringify(row));
    assert.ok(!JSON.stringify(row).includes('41446681800'), JSON.stringify(row));
    assert.equal(row?.note, 'fine');
    assert.equal(row?.n, 7);
    const masking = body.masking as { columns: Record<string, string> };
    assert.equal(masking.columns.ssn, 'pii.ssn');
    assert.equal(masking.columns.customerPhone, 'pii.phone');
  });
});

describe('a classified column is masked however the file dresses it (round 36)', () => {
  for (const name of ['lookalike.csv', 'upper.CSV', 'astext.csv']) {
    it(`exports/${name}`, async () => {
      const { status, body } = await read(`${DEMO_CONTAINER}/exports/${name}`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.ok(!JSON.stringify(body.rows).includes('Xavier'), JSON.stringify(body.rows));
    });
  }
});

describe('ContentKeys', () => {
  it('names a field once per read, keeps clean rows as they are, and leaves what the caller may see', () => {
    const masker = createMasker();
    const keys = new ContentKeys(masker, new Set());
    const clean = { id: 1, city: 'Bern' };
    assert.equal(keys.row(clean), clean);
    assert.equal(keys.nameOf(EMAIL), '[redacted:1]');
    assert.equal(keys.nameOf(EMAIL), '[redacted:1]');
    assert.equal(keys.nameOf(CARD), '[redacted:2]');
    const report = { columns: {}, cellsMasked: 0, byClass: {} };
    keys.report(report);
    assert.deepEqual(report, {
      columns: { '[redacted:1]': 'pii.email', '[redacted:2]': 'pci.pan' },
      cellsMasked: 2,
      byClass: { 'pii.email': 1, 'pci.pan': 1 },
    });
    const clear = new ContentKeys(masker, new Set(['pii.email']));
    assert.equal(clear.nameOf(EMAIL), EMAIL);
    const proto = keys.row(JSON.parse(`{"__proto__": 1, "${EMAIL}": 2}`));
    assert.deepEqual(Object.keys(proto), ['__proto__', '[redacted:1]']);
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  });
});
