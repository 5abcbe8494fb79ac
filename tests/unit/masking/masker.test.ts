import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../shared/errors.js';
import { type ColumnPlan, createMasker } from '../../../shared/masking/index.js';
import { MAX_SCANNED_PER_ROW } from '../../../shared/masking/masker.js';
import type { ResultColumn, Row } from '../../../shared/types.js';
import { seededRandom } from '../../support/seeded-random.js';

const KEY = 'test-key-0123456789abcdef';

function cols(...names: string[]): ResultColumn[] {
  return names.map((name) => ({ name, type: 'text' }));
}

function classified(column: string, dataClass: string, candidates = [dataClass]): ColumnPlan {
  return { kind: 'classified', column, dataClass, candidates, via: 'source' };
}

const scan = (column: string): ColumnPlan => ({ kind: 'scan', column });
const none = new Set<string>();

describe('maskResult', () => {
  const masker = createMasker({ tokenKey: KEY });

  test('classified columns are masked whole, scanned columns only where content is found', () => {
    const rows: Row[] = [
      { name: 'Ana Silva', card: '4111111111111111', note: 'call 415-555-0132 please', n: 7 },
      { name: null, card: '5555 5555 5555 4444', note: 'nothing here', n: 8 },
    ];
    const { rows: out, report } = masker.maskResult({
      columns: cols('name', 'card', 'note', 'n'),
      rows,
      plan: [classified('name', 'pii.name'), classified('card', 'pci.pan'), scan('note'), scan('n')],
      unmasked: none,
    });
    assert.match(String(out[0].name), /^tok_/);
    assert.equal(out[1].name, null);
    assert.deepEqual(
      out.map((r) => r.card),
      ['************1111', '************4444'],
    );
    assert.deepEqual(
      out.map((r) => r.note),
      ['call ********32 please', 'nothing here'],
    );
    assert.deepEqual(
      out.map((r) => r.n),
      [7, 8],
    );
    assert.deepEqual(report, {
      columns: { name: 'pii.name', card: 'pci.pan', note: 'pii.phone' },
      cellsMasked: 4,
      byClass: { 'pii.name': 1, 'pci.pan': 2, 'pii.phone': 1 },
    });
  });

  test('the input rows are not touched', () => {
    const rows: Row[] = [
      { card: '4111111111111111', doc: { contact: { email: 'ana@contoso.com' }, tags: ['x'] } },
    ];
    const before = structuredClone(rows);
    const { rows: out } = masker.maskResult({
      columns: cols('card', 'doc'),
      rows,
      plan: [classified('card', 'pci.pan'), scan('doc')],
      unmasked: none,
    });
    assert.deepEqual(rows, before);
    assert.notEqual(out[0], rows[0]);
  });

  test('rows with nothing to mask are passed on as they are; masked rows are copies', () => {
    const clean: Row = { note: 'nothing here', n: 1 };
    const dirty: Row = { note: 'ssn 123-45-6789', n: 2 };
    const { rows: out } = masker.maskResult({
      columns: cols('note', 'n'),
      rows: [clean, dirty],
      plan: [scan('note'), scan('n')],
      unmasked: none,
    });
    assert.equal(out[0], clean);
    assert.notEqual(out[1], dirty);
    assert.deepEqual(out[1], { note: 'ssn [REDACTED]', n: 2 });
    assert.equal(dirty.note, 'ssn 123-45-6789');
  });

  test('a column or JSON member named __proto__ is masked like any other', () => {
    const rows = JSON.parse(
      '[{"__proto__": "ssn 123-45-6789", "doc": {"__proto__": "ana@contoso.com"}, "a": "x"}]',
    ) as Row[];
    const { rows: out, report } = masker.maskResult({ columns: cols('a'), rows, plan: [], unmasked: none });
    assert.equal(
      JSON.stringify(out),
      '[{"__proto__":"ssn [REDACTED]","doc":{"__proto__":"a***@contoso.com"},"a":"x"}]',
    );
    // Reported under a key the audit record keeps (red-team round 10: it went unreported).
    assert.deepEqual(JSON.parse(JSON.stringify(report.columns)), {
      '[__proto__]': 'pii.ssn',
      doc: 'pii.email',
    });
    assert.equal(JSON.stringify(rows[0].doc), '{"__proto__":"ana@contoso.com"}', 'input untouched');
  });

  test('strings inside JSON cells are scanned, and members named like secrets are masked', () => {
    const doc = {
      id: 'ORD-2024-000123',
      contact: { email: 'ana@contoso.com', phones: ['+44 20 7946 0958', 'none'] },
      payment: { card: 4111111111111111, amount: 1234.56 },
      auth: { password: 'hunter2', token: 12345 },
    };
    const { rows, report } = masker.maskResult({
      columns: cols('doc'),
      rows: [{ doc }],
      plan: [scan('doc')],
      unmasked: none,
    });
    assert.deepEqual(rows[0].doc, {
      id: 'ORD-2024-000123',
      contact: { email: 'a***@contoso.com', phones: ['**********58', 'none'] },
      payment: { card: '************1111', amount: 1234.56 },
      auth: { password: '[REDACTED]', token: '[REDACTED]' },
    });
    assert.equal(report.cellsMasked, 1, 'a cell counts once however many spans it had');
    assert.deepEqual(report.byClass, { 'pii.email': 1, 'pii.phone': 1, 'pci.pan': 1, secret: 1 });
    assert.equal(report.columns.doc, 'secret');
  });

  test('classes in the unmasked set stay clear, classified or detected', () => {
    const { rows, report } = masker.maskResult({
      columns: cols('email', 'note'),
      rows: [{ email: 'ana@contoso.com', note: 'ana@contoso.com paid with 4111111111111111' }],
      plan: [classified('email', 'pii.email'), scan('note')],
      unmasked: new Set(['pii.email']),
    });
    assert.deepEqual(rows[0], {
      email: 'ana@contoso.com',
      note: 'ana@contoso.com paid with ************1111',
    });
    assert.deepEqual(report.byClass, { 'pci.pan': 1 });
    assert.equal(report.columns.email, undefined);
  });

  test('an expression column reading several classes is masked as the one revealing least, among those not unmasked', () => {
    const plan = [classified('x', 'pii.email', ['pii.email', 'pii.phone', 'pii.name'])];
    const run = (unmasked: Set<string>) =>
      masker.maskResult({ columns: cols('x'), rows: [{ x: 'ana@contoso.com' }], plan, unmasked });
    assert.match(String(run(none).rows[0].x), /^tok_/, 'token (pii.name) reveals less than email or partial');
    assert.equal(run(new Set(['pii.name'])).rows[0].x, '************om');
    assert.equal(run(new Set(['pii.name', 'pii.phone', 'pii.email'])).rows[0].x, 'ana@contoso.com');
  });

  test('columns the plan does not know, and keys no column describes, are scanned', () => {
    const { rows } = masker.maskResult({
      columns: cols('a'),
      rows: [{ a: 'ssn 123-45-6789', extra: 'ip 10.0.0.1' }],
      plan: [],
      unmasked: none,
    });
    assert.deepEqual(rows[0], { a: 'ssn [REDACTED]', extra: 'ip [REDACTED]' });
  });

  test('a name planned twice (join) is masked with the union of its classes', () => {
    const { rows } = masker.maskResult({
      columns: cols('v', 'v'),
      rows: [{ v: 'Ana' }],
      plan: [scan('v'), classified('v', 'secret')],
      unmasked: none,
    });
    assert.equal(rows[0].v, '[REDACTED]');
  });

  test('a null operator on a detected span nulls the whole cell', () => {
    const m = createMasker({ operators: { 'pii.ssn': 'null' } });
    const { rows, report } = m.maskResult({
      columns: cols('t'),
      rows: [{ t: 'ssn 123-45-6789' }],
      plan: [scan('t')],
      unmasked: none,
    });
    assert.equal(rows[0].t, null);
    assert.equal(report.cellsMasked, 1);
  });

  test('a value that cannot be masked fails the whole result with masking_failed', () => {
    const cases: Array<{ plan: ColumnPlan[]; value: unknown }> = [
      { plan: [scan('c')], value: Symbol('x') },
      { plan: [classified('c', 'pii.name')], value: () => 1 },
      {
        plan: [scan('c')],
        value: Object.defineProperty({}, 'boom', {
          enumerable: true,
          get() {
            throw new Error('getter failed');
          },
        }),
      },
      {
        plan: [classified('c', 'pii.name')],
        value: {
          toJSON() {
            throw new Error('toJSON failed');
          },
        },
      },
    ];
    for (const { plan, value } of cases) {
      assert.throws(
        () =>
          masker.maskResult({
            columns: cols('ok', 'c'),
            rows: [{ ok: '4111111111111111' }, { ok: 'x', c: value }],
            plan,
            unmasked: none,
          }),
        (e: unknown) => e instanceof GatewayError && e.code === 'masking_failed' && e.status === 500,
      );
    }
  });

  test('deeply nested JSON is refused rather than half-scanned', () => {
    let deep: unknown = 'ana@contoso.com';
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.throws(
      () => masker.maskResult({ columns: cols('j'), rows: [{ j: deep }], plan: [scan('j')], unmasked: none }),
      (e: unknown) => e instanceof GatewayError && e.code === 'masking_failed',
    );
  });

  test('large integers in scanned columns are checked for card numbers; Buffers and Dates pass', () => {
    const when = new Date('2024-05-01T00:00:00Z');
    const bytes = Buffer.from('x');
    const { rows } = masker.maskResult({
      columns: cols('a', 'b', 'c', 'd', 'e'),
      rows: [{ a: 4111111111111111, b: 4111111111111111n, c: 1714566896000, d: when, e: bytes }],
      plan: [],
      unmasked: none,
    });
    assert.deepEqual(rows[0], {
      a: '************1111',
      b: '************1111',
      c: 1714566896000,
      d: when,
      e: bytes,
    });
  });

  test('repeated values give the same cells and counts as values seen once', () => {
    const texts = [
      'Paid with card 4111 1111 1111 1111, receipt sent.',
      'Call back on (415) 555-0132 or mail ana.silva@contoso.com',
      'Nothing sensitive in this one.',
    ];
    // A repeating column, then one that repeats at first and stops, then one that never does.
    const rows: Row[] = Array.from({ length: 300 }, (_, i) => ({
      rep: texts[i % texts.length],
      drift: i < 100 ? texts[i % 2] : `order ${i} paid with 4111-1111-1111-1111 from 10.0.0.${i % 250}`,
      uniq: `user${i}@example.org wrote from 192.168.${i % 256}.1`,
    }));
    const nullPhones = createMasker({ tokenKey: KEY, operators: { 'pii.phone': 'null' } });
    for (const m of [masker, nullPhones]) {
      const { rows: out, report } = m.maskResult({
        columns: cols('rep', 'drift', 'uniq'),
        rows,
        plan: [],
        unmasked: none,
      });
      const byClass: Record<string, number> = {};
      let cellsMasked = 0;
      rows.forEach((row, i) => {
        for (const key of ['rep', 'drift', 'uniq']) {
          const one = m.maskResult({
            columns: cols(key),
            rows: [{ [key]: row[key] }],
            plan: [],
            unmasked: none,
          });
          assert.deepEqual(out[i][key], one.rows[0][key], `row ${i} ${key}`);
          cellsMasked += one.report.cellsMasked;
          for (const [c, n] of Object.entries(one.report.byClass)) byClass[c] = (byClass[c] ?? 0) + n;
        }
      });
      assert.equal(report.cellsMasked, cellsMasked);
      assert.deepEqual(report.byClass, byClass);
    }
  });
  test('a timestamptz column is text like any other: instants pass, anything else in it is scanned', () => {
    const instants = ['2024-03-01T10:00:00.290Z', '1999-12-31T23:59:59.999Z'];
    const rows: Row[] = [
      { at: instants[0], note: 'x' },
      { at: instants[1], note: 'y' },
      // A connector that labels a column timestamptz but hands over other text gets it scanned.
      { at: '4111 1111 1111 1111', note: 'z' },
      { at: '2024-03-01T10:00:00.290Z 4111111111111111', note: 'w' },
    ];
    const { rows: out, report } = masker.maskResult({
      columns: [
        { name: 'at', type: 'timestamptz' },
        { name: 'note', type: 'text' },
      ],
      rows,
      plan: [scan('at'), scan('note')],
      unmasked: none,
    });
    assert.deepEqual(
      out.slice(0, 2).map((r) => r.at),
      instants,
    );
    assert.notEqual(out[2].at, rows[2].at);
    assert.doesNotMatch(String(out[3].at), /4111111111111111/);
    assert.equal(report.cellsMasked, 2);
  });

  test('no detector reports an ISO instant (timestamptz cells are ISO text, no longer Dates, and are scanned)', () => {
    const next = seededRandom(11);
    const from = Date.UTC(1000, 0, 1);
    const to = Date.UTC(9999, 11, 31);
    const rows: Row[] = Array.from({ length: 20_000 }, () => ({
      at: new Date(from + Math.floor(next() * (to - from))).toISOString(),
    }));
    // Scanned as text (a text column), every one comes back as it went in.
    const { rows: out, report } = masker.maskResult({
      columns: cols('at'),
      rows,
      plan: [scan('at')],
      unmasked: none,
    });
    assert.equal(report.cellsMasked, 0);
    assert.ok(out.every((r, i) => r === rows[i]));
  });

  test("a decimal's fraction is not read as a card number; its integer part still is", () => {
    // Found by red-team round 7: avg(amount) over a join printed 1329.4944508670520231, whose
    // 16 fractional digits pass Luhn, and the agent got 1329.************0231.
    const masker = createMasker({ tokenKey: KEY });
    const columns: ResultColumn[] = [
      { name: 'avg', type: 'numeric' },
      { name: 'as_text', type: 'text' },
      { name: 'stored', type: 'numeric' },
      { name: 'approx', type: 'float8' },
    ];
    const value = '1329.4944508670520231';
    const rows: Row[] = [
      { avg: value, as_text: value, stored: '4111111111111111.50', approx: '-0.4111111111111111' },
    ];
    const { rows: out, report } = masker.maskResult({
      columns,
      rows,
      plan: columns.map((c) => ({ kind: 'scan', column: c.name })),
      unmasked: new Set(),
    });
    assert.equal(out[0]?.avg, value);
    assert.equal(out[0]?.approx, '-0.4111111111111111');
    // The same digits as text are a decimal too: a double printed as text (a JSON number, a
    // log line) read as a card one time in ten (red-team round 44).
    assert.equal(out[0]?.as_text, value, 'a decimal written as text is a decimal');
    assert.doesNotMatch(String(out[0]?.stored), /4111111111111111/, 'a number stored whole is still found');
    assert.match(String(out[0]?.stored), /\.50$/);
    assert.deepEqual(report.columns, { stored: 'pci.pan' });
  });
});

describe('timestamptz cells', () => {
  test("an instant in the connector's form is passed on unscanned; any other text in the column is scanned", () => {
    const masker = createMasker({ tokenKey: KEY });
    const columns: ResultColumn[] = [{ name: 'at', type: 'timestamptz' }];
    const rows: Row[] = [
      { at: '2024-09-23T01:31:39.575Z' },
      { at: 'ana@contoso.com' },
      { at: '2024-09-23T01:31:39.575Z ana@contoso.com' },
    ];
    const { rows: out, report } = masker.maskResult({
      columns,
      rows,
      plan: [{ kind: 'scan', column: 'at' }],
      unmasked: new Set(),
    });
    assert.equal(out[0], rows[0]);
    assert.doesNotMatch(String(out[1]?.at), /ana@/);
    assert.doesNotMatch(String(out[2]?.at), /ana@/);
    assert.equal(report.cellsMasked, 2);
  });
});

describe('bounded scanning', () => {
  test('a cell past the per-row scan bound is withheld whole, unscanned; text and JSON alike', () => {
    const masker = createMasker({ tokenKey: KEY });
    const big = 'a at b dot co '.repeat(Math.ceil((MAX_SCANNED_PER_ROW + 1) / 14));
    const json = { items: Array.from({ length: 200_000 }, () => ({ note: 'ana at contoso dot com' })) };
    const small = 'call 4111 1111 1111 1111';
    const columns = cols('big', 'json', 'small');
    const { rows, report } = masker.maskResult({
      columns,
      rows: [{ big, json, small }],
      plan: columns.map((c) => ({ kind: 'scan', column: c.name })),
      unmasked: new Set(),
    });
    assert.equal(rows[0]?.big, '[REDACTED]');
    assert.equal(rows[0]?.json, '[REDACTED]');
    assert.doesNotMatch(String(rows[0]?.small), /4111 1111 1111 1111/);
    assert.equal(report.byClass['secret.unproven'], 2);
    assert.equal(report.columns.big, 'secret.unproven');
    // Each scanned column has an equal share of the row's bound, whatever the other cells hold:
    // a cell spending the bound for the next one made the next one's fate tell the first one's
    // length (red-team round 44).
    const share = Math.floor(MAX_SCANNED_PER_ROW / 3);
    const fits = 'x'.repeat(share);
    const over = 'x'.repeat(share + 1);
    const three = cols('a', 'b', 'c');
    const next = masker.maskResult({
      columns: three,
      rows: [
        { a: fits, b: fits, c: fits },
        { a: small, b: over, c: fits },
        { a: over, b: small, c: fits },
      ],
      plan: three.map((c) => ({ kind: 'scan', column: c.name })),
      unmasked: new Set(),
    });
    assert.deepEqual(
      next.rows.map((r) => [r.a === fits, r.b === fits, r.c === fits]),
      [
        [true, true, true],
        [false, false, true],
        [false, false, true],
      ],
    );
    assert.equal(next.rows[1]?.b, '[REDACTED]');
    assert.equal(next.rows[2]?.a, '[REDACTED]');
    // A masked column takes no share: two scanned columns get half each.
    const mixed = masker.maskResult({
      columns: cols('pad', 'email', 'body'),
      rows: [{ pad: 'x'.repeat(MAX_SCANNED_PER_ROW / 2), email: 'ana@contoso.com', body: 'short' }],
      plan: [
        { kind: 'scan', column: 'pad' },
        classified('email', 'pii.email'),
        { kind: 'scan', column: 'body' },
      ],
      unmasked: new Set(),
    });
    assert.equal(mixed.rows[0]?.pad, 'x'.repeat(MAX_SCANNED_PER_ROW / 2));
    assert.equal(mixed.rows[0]?.body, 'short');
  });

  test("whether a cell is withheld does not depend on any other cell's length (round 44)", () => {
    const masker = createMasker({ tokenKey: KEY });
    const columns = cols('id', 'body', 'pad');
    // Sized so that it fits beside a short body only when the row's bound is spent cell by cell.
    const pad = `password=${'A'.repeat(MAX_SCANNED_PER_ROW - 120)}`;
    const outcomes = new Set<string>();
    for (const len of [10, 79, 1000, 100_000]) {
      const { rows } = masker.maskResult({
        columns,
        rows: [{ id: '8', body: 'y'.repeat(len), pad }],
        plan: columns.map((c) => ({ kind: 'scan', column: c.name })),
        unmasked: new Set(),
      });
      outcomes.add(String(rows[0]?.pad));
    }
    assert.equal(outcomes.size, 1, [...outcomes].join(' | ').slice(0, 200));
  });

  test('masking in slices answers what the whole pass answers, and lets the event loop turn', async () => {
    const masker = createMasker({ tokenKey: KEY, sliceMs: 0 });
    const columns = cols('note');
    const rows: Row[] = Array.from({ length: 50 }, (_, i) => ({ note: `row ${i}: 4111 1111 1111 1111` }));
    const input = {
      columns,
      rows,
      plan: [{ kind: 'scan', column: 'note' } as ColumnPlan],
      unmasked: new Set<string>(),
    };
    const turns: string[] = [];
    setImmediate(() => turns.push('other work'));
    const sliced = masker.maskResultInSlices(input).then((r) => {
      turns.push('masked');
      return r;
    });
    const whole = masker.maskResult(input);
    assert.deepEqual(await sliced, whole);
    assert.deepEqual(turns, ['other work', 'masked']);
  });
});
