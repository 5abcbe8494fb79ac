import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ColumnPlan, createMasker, detect } from '../../../shared/masking/index.js';
import type { ResultColumn, Row } from '../../../shared/types.js';

const masker = createMasker();
const none = new Set<string>();
const scan = (column: string): ColumnPlan => ({ kind: 'scan', column });
const cols = (...names: string[]): ResultColumn[] => names.map((name) => ({ name, type: 'text' }));

function maskCell(value: unknown, unmasked: ReadonlySet<string> = none) {
  const { rows, report } = masker.maskResult({
    columns: cols('c'),
    rows: [{ c: value }],
    plan: [scan('c')],
    unmasked,
  });
  return { value: rows[0].c, report };
}

describe('URL credentials', () => {
  test('the password of scheme://user:password@host is masked; user, host and path stay', () => {
    const cases: Array<[string, string]> = [
      ['postgres://app:S3cr3t!@db.example.com:5432/x', 'postgres://app:[REDACTED]@db.example.com:5432/x'],
      ['redis://:pw-only@cache:6379/0', 'redis://:[REDACTED]@cache:6379/0'],
      [
        'mongodb+srv://admin:secret@cluster0.mongodb.net/db',
        'mongodb+srv://admin:[REDACTED]@cluster0.mongodb.net/db',
      ],
      // Generated passwords hold raw `/` and `+`; a URL parser would cut them at the `/`.
      ['dsn=postgres://app:Ab3/xY+z@db.example.com/x;', 'dsn=postgres://app:[REDACTED]@db.example.com/x;'],
      ['"amqp://u:p@ss@rabbit/vhost"', '"amqp://u:[REDACTED]@rabbit/vhost"'],
    ];
    for (const [text, expected] of cases) assert.equal(masker.maskText(text), expected, text);
    const text = 'postgres://app:S3cr3t!@db.example.com:5432/x';
    assert.deepEqual(detect(text), [{ start: 15, end: 22, dataClass: 'secret' }]);
  });

  test('URLs without a password, emails and host:port paths are left as they were', () => {
    for (const text of [
      'https://example.com/a?b=c#d',
      'http://db.example.com:5432/x',
      'https://medium.com/@ana',
      'http://host:8080/@foo',
      'mailto://nobody',
      'see ://weird:thing@ here',
    ]) {
      assert.equal(masker.maskText(text), text, text);
    }
    assert.equal(masker.maskText('https://ana@contoso.com/'), 'https://a***@contoso.com/');
    assert.equal(masker.maskText('mail ana@contoso.com'), 'mail a***@contoso.com');
    assert.equal(
      masker.maskText('https://u:p@host/path?to=ana@contoso.com'),
      'https://u:[REDACTED]@host/path?to=a***@contoso.com',
    );
  });

  test('a password the caller may see in clear stays', () => {
    const { value } = maskCell('postgres://app:S3cr3t@db.example.com/x', new Set(['secret']));
    assert.equal(value, 'postgres://app:S3cr3t@db.example.com/x');
  });
});

describe('binary cells in scanned columns', () => {
  test('bytes holding sensitive text are redacted whole and counted', () => {
    const bytes = Buffer.from('card 4111 1111 1111 1111 and ana@contoso.com', 'utf8');
    const { value, report } = maskCell(bytes);
    assert.equal(value, '[REDACTED]');
    assert.equal(report.cellsMasked, 1);
    assert.deepEqual(report.byClass, { 'pci.pan': 1, 'pii.email': 1 });
    assert.equal(report.columns.c, 'pci.pan');
    assert.equal(bytes.toString('utf8'), 'card 4111 1111 1111 1111 and ana@contoso.com', 'input untouched');
  });

  test('the operator is that of the most restrictive class found', () => {
    const m = createMasker({ operators: { 'pii.ssn': 'null' } });
    const { rows } = m.maskResult({
      columns: cols('c'),
      rows: [{ c: new TextEncoder().encode('ssn 123-45-6789') }],
      plan: [scan('c')],
      unmasked: none,
    });
    assert.equal(rows[0].c, null);
  });

  test('Uint8Array views, ArrayBuffers and invalid UTF-8 around a finding are handled', () => {
    const text = new TextEncoder().encode('xx password=hunter2 yy');
    const view = new Uint8Array(text.buffer, 3, text.byteLength - 6);
    assert.equal(maskCell(view).value, '[REDACTED]');
    const buffer = new Uint8Array([0xff, 0xfe, ...Buffer.from(' 10.1.2.3 '), 0xc3]).buffer;
    assert.equal(maskCell(buffer).value, '[REDACTED]');
    // Only the view's bytes count: the card sits outside it.
    const tail = Buffer.from('4111111111111111 plain text').subarray(17);
    assert.equal(maskCell(tail).value, tail);
  });

  test('bytes with nothing to find, or only what the caller may see, pass unchanged', () => {
    const clean = Buffer.from([0x00, 0x01, 0xff, 0x42, 0x10, 0x20]);
    const cleanResult = maskCell(clean);
    assert.equal(cleanResult.value, clean);
    assert.equal(cleanResult.report.cellsMasked, 0);
    const email = Buffer.from('ana@contoso.com');
    const allowed = maskCell(email, new Set(['pii.email']));
    assert.equal(allowed.value, email);
    assert.equal(allowed.report.cellsMasked, 0);
  });
});

describe('odd values in scanned columns', () => {
  test('bigints, Dates, booleans and nested arrays and objects are handled', () => {
    const when = new Date('2024-05-01T00:00:00Z');
    const invalid = new Date(Number.NaN);
    const nested = [[{ a: [1n, 'ssn 123-45-6789', when, null, true] }], 'plain'];
    const row: Row = { a: 12n, b: 4111111111111111n, c: when, d: invalid, e: nested, f: false };
    const { rows, report } = masker.maskResult({
      columns: cols(...Object.keys(row)),
      rows: [row],
      plan: [],
      unmasked: none,
    });
    assert.deepEqual(rows[0], {
      a: 12n,
      b: '************1111',
      c: when,
      d: invalid,
      e: [[{ a: [1n, 'ssn [REDACTED]', when, null, true] }], 'plain'],
      f: false,
    });
    assert.equal(report.cellsMasked, 2);
    assert.notEqual((rows[0].e as unknown[])[0], nested[0], 'the changed branch is a copy');
    assert.equal((rows[0].e as unknown[])[1], nested[1]);
  });

  test('a 1 MB text with nothing sensitive comes back as it was; a card at its end is masked', () => {
    const unit =
      'order ORD-2024-000123 at 2024-05-01T12:34:56Z for 1234.56 ref 550e8400-e29b-41d4-a716-446655440000. ';
    const clean = unit.repeat(Math.ceil(2 ** 20 / unit.length));
    assert.ok(clean.length >= 2 ** 20);
    assert.ok(maskCell(clean).value === clean);
    const withCard = `${clean}paid 4111 1111 1111 1111`;
    const { value, report } = maskCell(withCard);
    assert.ok(value === `${clean}paid ************1111`);
    assert.deepEqual(report.byClass, { 'pci.pan': 1 });
  });

  test('1 MB texts dense with findings or look-alikes are masked completely', () => {
    // Each unit repeated to about 1 MB; the expectation repeats its masked form as often.
    const big = (unit: string, masked = unit) => {
      const times = Math.ceil(2 ** 20 / unit.length);
      return [unit.repeat(times), masked.repeat(times)];
    };
    for (const [unit, masked] of [
      ['4111 1111 1111 1111 ', '************1111 '],
      ['id-123-45-6789-x ', 'id-[REDACTED]-x '],
      ['a://h:1/ b://u:p@h ', 'a://h:1/ b://u:[REDACTED]@h '],
      ['eyJ.', 'eyJ.'],
      ['a::', 'a::'],
      ['ffff:', 'ffff:'],
      ['==', '=='],
      ['a@', 'a@'],
    ]) {
      const [text, expected] = big(unit, masked);
      assert.ok(maskCell(text).value === expected, unit);
    }
  });
});
