import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { DEMO_CLASSIFICATION, DEMO_SCHEMA_SQL } from '../../../cli/dev/demo-schema.js';
import { PLAN_UNREADABLE } from '../../../shared/connectors/connector.js';
import { planRoot, planSources, references } from '../../../shared/connectors/postgres/plan-sources.js';
import { planFromProvenance } from '../../../shared/masking/provenance-plan.js';
import { analyseStatement } from '../../../shared/sql/analyse.js';
import { DEFAULT_FUNCTIONS } from '../../../shared/sql/pg/allowlist.js';
import { DEMO_CATALOG } from '../../support/demo-catalog.js';

/**
 * The server's plan as a second opinion on provenance: what `EXPLAIN (VERBOSE, FORMAT JSON)`
 * says each output reads, on PGlite with the demo schema (the real planner, so the shapes are
 * the server's, not hand-written), and that adding it to the masking plan changes nothing
 * for ordinary reads while it catches an analysis that is wrong.
 */

let db: PGlite;
before(async () => {
  db = new PGlite();
  await db.exec(DEMO_SCHEMA_SQL);
});
after(async () => {
  await db?.close();
});

async function sourcesOf(sql: string): Promise<string[][] | undefined> {
  const r = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (VERBOSE, FORMAT JSON) ${sql}`);
  const found = planSources(planRoot(r.rows[0]?.['QUERY PLAN']));
  return found?.map((s) => [...s].sort());
}

const c = (column: string) => `public.customers.${column}`;

describe('plan sources from the server plan', () => {
  const cases: Array<[string, string[][]]> = [
    ['select id, city, email from customers where id = 1', [[c('id')], [c('city')], [c('email')]]],
    [
      'select c.city, o.amount from customers c join orders o on o.customer_id = c.id',
      [[c('city')], ['public.orders.amount']],
    ],
    // The decoys the analyser had to be taught one by one, resolved by the planner.
    ["select (row(s.*, 'x')).f2 from (select id, full_name from customers) s", [[c('full_name')]]],
    ['select v.a from customers c, lateral (values (c.ssn)) v(a)', [[c('ssn')]]],
    ['select u from customers c, unnest(array[c.ssn, c.email]) u', [[c('email'), c('ssn')]]],
    ['with r as (select email from customers) select * from r', [[c('email')]]],
    ['select to_jsonb(c) from customers c', [[c('*')]]],
    ['select (c).email from customers c', [[c('email')]]],
    // UNION ALL: an Append prints no Output; its branches are taken by position.
    ['select city from customers union all select status from orders', [[c('city'), 'public.orders.status']]],
    // Literals, type names of several words and functions are not columns.
    [
      "select 'email' || city, created_at::timestamp with time zone, card_number::character varying from customers",
      [[c('city')], [c('created_at')], [c('card_number')]],
    ],
    ['select \'it\'\'s "ssn"\', "full_name" from customers', [[], [c('full_name')]]],
    ['select count(*) from customers', [[]]],
    ["select string_agg(email, ',') from customers", [[c('email')]]],
    // A sub-plan's output says nothing here (the analysis stands for it); the rest is resolved.
    ['select (select max(email) from customers) as m, id from orders', [[], ['public.orders.id']]],
  ];
  for (const [sql, expected] of cases) {
    test(sql, async () => {
      assert.deepEqual(await sourcesOf(sql), expected);
    });
  }

  test('a chain of function scans that each name the one before many times is read once each', async () => {
    // Found by red-team round 7: resolving each mention of a function scan afresh grew as
    // n^5 and blocked the event loop for seconds at n = 30 (1.2 KB of SQL). Read once per
    // alias, n = 60 is linear work; before the fix it would have run for hours.
    const n = 60;
    const list = (alias: string) => Array.from({ length: n }, () => `${alias}.x`).join(', ');
    const sql = `select ${Array.from({ length: n }, () => 'e.x').join(' + ')} as v, c.ssn
      from customers c, unnest(array[c.id]) a(x), unnest(array[${list('a')}]) b(x),
        unnest(array[${list('b')}]) d(x), unnest(array[${list('d')}]) e(x) limit 1`;
    assert.deepEqual(await sourcesOf(sql), [[c('id')], [c('ssn')]]);
  });

  test('a plan past the reading bound withholds every output instead of saying nothing', async () => {
    const r = await db.query<{ 'QUERY PLAN': unknown }>(
      'EXPLAIN (VERBOSE, FORMAT JSON) select id, email from customers',
    );
    const root = planRoot(r.rows[0]?.['QUERY PLAN']);
    assert.deepEqual(planSources(root, 5), [[PLAN_UNREADABLE], [PLAN_UNREADABLE]]);
    assert.deepEqual(planSources(root), [[c('id')], [c('email')]]);
  });

  test('the tokenizer: quoted names, parameters, numbers, qualified functions, field selection', () => {
    assert.deepEqual(references('"We""ird".col'), [{ qualifier: 'We"ird', name: 'col' }]);
    assert.deepEqual(references('(c.addr).city'), [{ qualifier: 'c', name: 'addr' }]);
    assert.deepEqual(references('pg_catalog.lower(c.email)'), [{ qualifier: 'c', name: 'email' }]);
    assert.deepEqual(references('($1 + 1e5 + c.id)'), [{ qualifier: 'c', name: 'id' }]);
    assert.deepEqual(references('(c.ssn)::"char"'), [{ qualifier: 'c', name: 'ssn' }]);
    assert.deepEqual(references('(c.x)::public.mytype'), [{ qualifier: 'c', name: 'x' }]);
    assert.deepEqual(references('CASE WHEN (c.id > 1) THEN c.email ELSE NULL::text END'), [
      { qualifier: 'c', name: 'id' },
      { qualifier: 'c', name: 'email' },
    ]);
    assert.deepEqual(references("'unterminated"), []);
    // A quoted keyword is a column's name.
    assert.deepEqual(references('"end"'), [{ name: 'end' }]);
  });

  test('no plan, or a plan of another shape, says nothing', () => {
    assert.equal(planSources(planRoot(undefined)), undefined);
    assert.equal(planSources(planRoot('[{"Plan": {"Node Type": "Append"}}]')), undefined);
    assert.equal(planSources(planRoot([{ Plan: { 'Node Type': 'Result', Output: [7] } }]))?.length, 1);
  });
});

describe('the masking plan with the server plan beside the analysis', () => {
  const columns = (sql: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `c${i}_${sql.length}`, type: 'text' }));

  async function plans(sql: string) {
    const facts = await analyseStatement('postgres', sql, {
      defaultSchema: 'public',
      catalog: DEMO_CATALOG,
      functions: DEFAULT_FUNCTIONS,
    });
    const outputs = facts.provenance?.outputs;
    assert.ok(outputs, `traced: ${sql}`);
    const cols = columns(sql, outputs.length);
    const base = {
      columns: cols,
      sources: cols.map(() => null),
      outputs,
      classification: DEMO_CLASSIFICATION,
      catalog: DEMO_CATALOG,
    };
    const planned = await sourcesOf(sql);
    assert.ok(planned, `planned: ${sql}`);
    return {
      alone: planFromProvenance(base),
      checked: planFromProvenance({ ...base, planSources: planned }),
    };
  }

  // Ordinary reads: the second opinion agrees, so nothing is masked that was not before.
  const ordinary = [
    'select id, city, email from customers where id = 1',
    'select count(*) from customers',
    'select city, count(*) from customers group by city',
    'select c.city, o.amount, o.status from customers c join orders o on o.customer_id = c.id where o.amount > 10',
    'select o.id, p.amount from orders o join payments p on p.order_id = o.id',
    'with big as (select customer_id, sum(amount) total from orders group by customer_id) select * from big',
    'select city from customers union all select status from orders',
    'select x.city, x.n from (select city, count(*) n from customers group by city limit 5) x',
    'select id, upper(city), lower(email) from customers order by id limit 10',
    "select string_agg(city, ',') from customers",
    'select (select count(*) from orders o where o.customer_id = c.id) n, c.id from customers c',
  ];
  for (const sql of ordinary) {
    test(`agrees on: ${sql}`, async () => {
      const { alone, checked } = await plans(sql);
      assert.deepEqual(checked, alone);
    });
  }

  test('a wrong analysis is caught: a column the plan says reads a classified column is redacted whole', () => {
    const cols = [{ name: 'city', type: 'text' }];
    const base = {
      columns: cols,
      sources: [null],
      // As if the analysis had been talked into calling the output a plain city.
      outputs: [{ name: 'city', sources: [c('city')], direct: true, aggregatesRows: false, opaque: false }],
      classification: DEMO_CLASSIFICATION,
      catalog: DEMO_CATALOG,
    };
    assert.deepEqual(planFromProvenance(base), [{ kind: 'scan', column: 'city' }]);
    const [checked] = planFromProvenance({ ...base, planSources: [[c('ssn')]] });
    assert.equal(checked?.kind, 'classified');
    assert.ok(
      checked?.kind === 'classified' && checked.via === 'expression',
      'redacted whole, not as a source',
    );
    assert.ok(checked?.kind === 'classified' && checked.candidates.includes('pii.ssn'));
    // A whole row stands for every column of its table.
    const [whole] = planFromProvenance({ ...base, planSources: [[c('*')]] });
    assert.ok(whole?.kind === 'classified' && whole.candidates.includes('pci.pan'));
    const [unreadable] = planFromProvenance({ ...base, planSources: [[PLAN_UNREADABLE]] });
    assert.ok(unreadable?.kind === 'classified' && unreadable.dataClass === 'secret.unproven', 'withheld');
    // What the catalog does not hold (a partition, an unexposed table) adds nothing.
    assert.deepEqual(planFromProvenance({ ...base, planSources: [['public.secrets.key']] }), [
      { kind: 'scan', column: 'city' },
    ]);
  });
});
