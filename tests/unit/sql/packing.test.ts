import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REDACTED } from '../../../shared/masking/apply.js';
import {
  MAX_SIGNIFICANT_DIGITS,
  PACKED_CLASS,
  significantDigits,
  withholdPackedNumbers,
} from '../../../shared/pipeline/packed-numbers.js';
import { analysePostgres } from '../../../shared/sql/postgres.js';
import { DEMO_CATALOG } from '../../support/demo-catalog.js';

async function rowPreserving(sql: string): Promise<boolean> {
  const facts = await analysePostgres(sql, { catalog: DEMO_CATALOG });
  assert.ok(facts.provenance, `no provenance for ${sql}`);
  assert.deepEqual(facts.provenance.violations, [], sql);
  return facts.provenance.rowPreserving;
}

describe('arithmetic packing: a sum that weights each row differently carries the rows', () => {
  test('row-dependent weights make a summary row-carrying', async () => {
    for (const sql of [
      'select sum(amount * 10::numeric ^ (8*id)) from orders',
      'select sum(amount * power(10::numeric, 8*id)) from orders',
      'select sum(amount * exp(id)) from orders',
      'select avg(id * 2::numeric ^ (20*id)) from customers',
      'select bit_or(1::bigint << id) from orders',
      'select bit_and(~(1::bigint << id)) from orders',
      'select stddev(amount * 10::numeric ^ id) from orders',
      'select corr(amount, 10::numeric ^ id) from orders',
      'select sum(amount * id) from orders',
      'select sum(amount / id) from orders',
      'select sum(amount * amount) from orders',
      'select sum(amount % 7) from orders',
      "select sum(length(repeat('x', id))) from orders",
      'select sum(extract(epoch from created_at) * 10 ^ id) from orders',
      'select sum(x) from (select amount * 2 ^ id x from orders) s',
      // The output of a plain summary is plain as it is, not once weighted.
      'select sum(s) from (select id, sum(amount) * 10 ^ (8 * id) as s from orders group by id) t',
      'select sum(s * 10 ^ id) from (select id, sum(amount) s from orders group by id) t',
      'select id, sum(sum(amount * 10 ^ id)) over () from orders group by id',
      'select sum(m) from (select id, max(amount * 10 ^ id) m from orders group by id) t',
      // Red-team round 29: a weight per CASE arm, chained from one constant.
      'select sum(case when id=1 then amount when id=2 then amount*1e6 when id=3 then amount*1e6*1e6*1e6 end) from orders',
      "select 'x' || sum(case when id=1 then amount when id=2 then amount*1e6*1e36*1e216 end) from orders",
      'select sum(case when id=1 then (id-id+1) when id=2 then (id-id+1)*10*10*10 end) from orders',
      'select sum(amount * 1e6 * 1e6 * 1e6) from orders',
      // Red-team round 30: arms of different weights, however the weights are made.
      'select sum(case when id=1 then amount when id=2 then amount*1e7 end) over () from orders',
      "select sum(case status when 'paid' then (id-id+1) when 'shipped' then (id-id+1+1) end) from orders",
      'select sum(case when id=1 then amount when id=2 then amount+amount end) from orders',
      'select sum(greatest(amount, amount * 1e7)) from orders',
      'select sum(s) from (select id / 10 g, sum(case id % 10 when 0 then amount when 1 then amount * 1e7 end) s from orders group by 1) t',
      'select sum(case when id = 1 then amount else 0 end + case when id = 2 then amount * 1e8 else 0 end) from orders',
      // Round 31: a variance squares; nested, it builds weights of any size.
      'select sum(v) from (select o.id, var_samp(case when x.b = 1 then o.amount else 0 end) v from orders o cross join (values (0), (1)) x(b) group by o.id) t',
      'select var_samp(case when x.b = 1 then t.v + t.v else 0 end) from (select o.id, stddev(o.amount) v from orders o group by o.id) t cross join (values (0), (1)) x(b) group by t.id',
      'select sum(m) from (select id, min(amount * 2 ^ id) m from orders group by id) t',
      'select sum(x) from (select amount + 1 x from orders) s',
      'select sum(amount) over (), sum(amount * 4 ^ id) over () from orders',
      'select sum(case when id=1 then 1 when id=2 then 2 when id=3 then 4 when id=4 then 8 else 0 end) from orders',
      'select sum(case when id=1 then amount else 0 end + case when id=2 then amount*1e8 else 0 end + case when id=3 then amount*1e16 else 0 end + case when id=4 then amount*1e24 else 0 end) from orders',
      'select sum(coalesce(nullif(id, 1) * amount, 0)) from orders',
      'select sum((select max(id) from customers c where c.id = o.customer_id)) from orders o',
      // No aggregate at all: each step of a recursive CTE folds the rows before it.
      'with recursive r(i, acc) as (select 0, 0::numeric union all select i+1, acc*1e8 + (select amount from orders where id=i+1) from r where i < 1000) select acc from r order by i desc limit 1',
      "with recursive r(i, acc) as (select 0, ''::text union all select i+1, acc || (select city from customers where id=i+1) from r where i < 3000) select acc from r order by i desc limit 1",
    ]) {
      assert.equal(await rowPreserving(sql), true, sql);
    }
  });

  test('plain summands stay summaries', async () => {
    for (const sql of [
      'select count(*) from customers',
      'select sum(amount) from orders',
      'select avg(amount), max(id), min(amount) from orders',
      'select status, sum(amount) from orders group by status',
      'select sum(amount * 2), sum(-amount / 100), sum(amount::float8 + 1) from orders',
      "select sum(case when status = 'paid' then amount else 0 end) from orders",
      "select sum(case when status = 'paid' then 1 when status = 'refunded' then -1 else 0 end) from orders",
      'select sum(coalesce(amount, 0)), sum(nullif(amount, 0)) from orders',
      'select round(avg(amount), 2), sum(round(amount, 1)), sum(abs(amount)) from orders',
      'select sum(x) from (select amount x from orders) s',
      'select max(amount * 10::numeric ^ (8*id)) from orders',
      'select bit_or(id), bool_or(id > 3) from orders',
      'select sum(amount) over (partition by customer_id) from orders where id < 5',
      // Red-team round 28: ordinary reports that were counted as folds and held.
      'select sum(length(order_ref)), avg(length(city)) from orders join customers c on c.id = orders.customer_id',
      "select avg(extract(hour from created_at)), avg(date_part('day', created_at)) from orders",
      'select sum(greatest(amount, 0)), avg(extract(epoch from (now() - created_at))) from orders',
      'select avg(n) from (select customer_id, count(*) n from orders group by customer_id) t',
      'select stddev(total) from (select customer_id, sum(amount) total from orders group by customer_id) t',
      'with t as (select customer_id, sum(amount) ltv from orders group by 1) select count(*), avg(ltv) from t',
      'select status, sum(amount) / sum(sum(amount)) over (), sum(count(*)) over () from orders group by status',
      'select sum(amount * 1.2 / 100) from orders',
      "select sum(case when status = 'paid' then amount else 0.0 end), sum(case when id < 10 then amount end) from orders",
    ]) {
      assert.equal(await rowPreserving(sql), false, sql);
    }
  });
});

describe('release backstop: numbers longer than any plain sum are withheld', () => {
  test('significant digits count places, not zeros at the ends of a fraction', () => {
    assert.equal(significantDigits('123.4500000000000000'), 5);
    assert.equal(significantDigits('0.000120'), 2);
    assert.equal(significantDigits('-1000'), 4);
    assert.equal(significantDigits(12345678901234567890n), 20);
    assert.equal(significantDigits('abc'), 0);
    assert.equal(significantDigits('1e400'), 3);
    // A number written inside a text counts as that number (red-team round 29: 'x' || sum(...)).
    // (The run `x1212...` is written with three symbols, so all 61 of it counts: see below.)
    assert.equal(significantDigits(`x${'12'.repeat(30)}`), 61);
    assert.equal(significantDigits(`x ${'12'.repeat(30)}`), 60);
    assert.equal(significantDigits('order 12345, shipped 2024-07-14'), 5);
    assert.equal(significantDigits(`1${'0'.repeat(80)}`), 81);
    assert.equal(significantDigits(`0.${'7'.repeat(41)}`), 41);
  });

  test('an over-long cell is redacted and reported, others pass unchanged', () => {
    const long = '9'.repeat(MAX_SIGNIFICANT_DIGITS + 1);
    const short = '9'.repeat(MAX_SIGNIFICANT_DIGITS);
    const plain = { a: '12.50', b: 'text' };
    const report = { columns: {}, cellsMasked: 0, byClass: {} };
    const out = withholdPackedNumbers([{ p: long, q: short }, plain], report);
    assert.deepEqual(out.rows, [{ p: REDACTED, q: short }, plain]);
    assert.equal(out.rows[1], plain);
    assert.deepEqual(out.report, {
      columns: { p: PACKED_CLASS },
      cellsMasked: 1,
      byClass: { [PACKED_CLASS]: 1 },
    });
    const none = withholdPackedNumbers([plain], report);
    assert.equal(none.report, report);
  });

  test('withholds a packed number in a column named __proto__, and a bigint one', () => {
    const long = '1'.repeat(60);
    const row = Object.fromEntries([['__proto__', long]]) as Record<string, unknown>;
    const out = withholdPackedNumbers([row, { n: BigInt(long) }], {
      columns: {},
      cellsMasked: 0,
      byClass: {},
    });
    const first = out.rows[0] as Record<string, unknown>;
    assert.equal(Object.getOwnPropertyDescriptor(first, '__proto__')?.value, REDACTED);
    assert.equal(Object.getPrototypeOf(first), Object.prototype);
    assert.equal(JSON.stringify(out.rows), `[{"__proto__":"${REDACTED}"},{"n":"${REDACTED}"}]`);
    assert.equal(out.report.cellsMasked, 2);
  });

  // What `translate`, `encode` and `convert_to` make of a packed number (rounds 29 to 31
  // wrote one as letters): the backstop reads through each.
  const packed = '1234567890'.repeat(6);
  const to = (alphabet: string) => packed.replace(/\d/g, (d) => [...alphabet][Number(d)] ?? d);
  const disguises: Record<string, string> = {
    'Arabic-Indic digits': to('٠١٢٣٤٥٦٧٨٩'),
    'fullwidth digits': to('０１２３４５６７８９'),
    'mathematical digits': to('𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗'),
    'digits as letters': `total: ${to('abcdefghij')}`,
    'digits as other letters': to('QWERTYUIOP'),
    base64: Buffer.from(packed).toString('base64'),
    'base64 of letters': Buffer.from(to('abcdefghij')).toString('base64url'),
    'hex of letters': Buffer.from(to('klmnopqrst')).toString('hex'),
  };
  for (const [name, text] of Object.entries(disguises)) {
    test(`a packed number as ${name} is withheld`, () => {
      assert.ok(significantDigits(text) > MAX_SIGNIFICANT_DIGITS, `${significantDigits(text)}: ${text}`);
      const out = withholdPackedNumbers([{ v: text }], { columns: {}, cellsMasked: 0, byClass: {} });
      assert.deepEqual(out.rows, [{ v: REDACTED }]);
    });
  }

  test('inside a JSON cell (keys and values) and as bytes, it is withheld too', () => {
    const report = { columns: {}, cellsMasked: 0, byClass: {} };
    const cells = [
      { j: { total: to('abcdefghij') } },
      { j: [1, { deep: [packed] }] },
      { j: { [packed]: 1 } },
      { b: Buffer.from(packed) },
      { b: new Uint8Array(Buffer.from(to('abcdefghij'))) },
    ];
    const out = withholdPackedNumbers(cells, report);
    assert.deepEqual(
      out.rows.map((r) => Object.values(r)[0]),
      cells.map(() => REDACTED),
    );
  });

  test('ordinary text, hashes, ids, lists and JSON pass', () => {
    const ordinary = [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
      'The quick brown fox jumps over the lazy dog: order 12345 shipped 2024-07-14 to Springfield',
      '-'.repeat(60),
      'a'.repeat(60),
      Array.from({ length: 40 }, (_, i) => i + 1).join(','),
      Array.from({ length: 40 }, (_, i) => (i % 2 ? 'paid' : 'open')).join(','),
      'https://example.com/some/very/long/path/to/a/resource?with=query&and=more&params=here',
      'Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft',
      'alice.smith@example.com;bob.jones@example.org;carol@example.net',
      '٣ كتب و ١٢ قلما في ٢٠٢٤',
    ];
    const rows = [...ordinary.map((v) => ({ v })), { j: { city: 'Lisbon', n: 3, tags: ['a', 'b'] } }];
    const report = { columns: {}, cellsMasked: 0, byClass: {} };
    const out = withholdPackedNumbers(rows, report);
    assert.equal(out.report, report);
    assert.deepEqual(out.rows, rows);
  });
});
