import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isGatewayError } from '../../../shared/errors.js';
import { catalogOf } from '../../../shared/sql/catalog.js';
import { functionPolicy } from '../../../shared/sql/pg/allowlist.js';
import { MAX_PROVENANCE_WORK } from '../../../shared/sql/pg/provenance.js';
import { analysePostgres } from '../../../shared/sql/postgres.js';
import type { ProvenanceFacts } from '../../../shared/types.js';
import { DEMO_CATALOG, DEMO_TABLES } from '../../support/demo-catalog.js';

async function prov(sql: string, catalog = DEMO_CATALOG): Promise<ProvenanceFacts> {
  const facts = await analysePostgres(sql, { catalog });
  assert.ok(facts.provenance, `no provenance for ${sql}`);
  return facts.provenance;
}

async function violations(sql: string): Promise<string[]> {
  return (await prov(sql)).violations.map((v) => v.rule);
}

const C = 'public.customers';

describe('provenance: names resolve as PostgreSQL resolves them', () => {
  test('a plain column is direct; an expression over it is derived', async () => {
    const p = await prov('select id, upper(city), email from customers where id = 1');
    assert.deepEqual(p.violations, []);
    assert.deepEqual(
      p.outputs.map((o) => [o.name, o.sources, o.direct]),
      [
        ['id', [`${C}.id`], true],
        ['upper', [`${C}.city`], false],
        ['email', [`${C}.email`], true],
      ],
    );
    assert.deepEqual(p.predicateColumns, [`${C}.id`]);
  });

  test('t.f where f is not a column is the call f(t): refused', async () => {
    for (const sql of [
      'select c.row_to_json from customers c',
      'select c.to_jsonb from customers c',
      'select customers.concat from customers',
      'select c.pg_typeof from customers c',
    ]) {
      assert.deepEqual(await violations(sql), ['function'], sql);
    }
  });

  test('(value).f on a non-composite is the call f(value): refused', async () => {
    for (const sql of [
      "select ('postgresql.conf'::text).pg_read_file",
      'select (7::float8).pg_sleep',
      "select ('x'::text).upper",
      'select (c.email).length from customers c',
    ]) {
      assert.ok((await violations(sql)).includes('function'), sql);
    }
  });

  test('(row).f and (c).col select a field by name or position', async () => {
    const p = await prov('select (row(id, email)).f2, (c).email from customers c');
    assert.deepEqual(p.violations, []);
    assert.deepEqual(p.outputs[0].sources, [`${C}.email`]);
    assert.deepEqual(p.outputs[1].sources, [`${C}.email`]);
    assert.equal(p.outputs[1].direct, true);
  });

  test('a quoted name with other case is another table, not the exposed one', async () => {
    assert.deepEqual(await violations('select id from "Customers"'), ['exposure']);
    assert.deepEqual(await violations('select "ID" from customers'), ['column']);
  });

  test('unknown and ambiguous columns are refused rather than guessed', async () => {
    assert.deepEqual(await violations('select nosuch from customers'), ['column']);
    assert.deepEqual(await violations('select id from customers, orders'), ['column']);
  });
});

describe('provenance: whole-row references stand for every column', () => {
  for (const sql of [
    'select c from customers c',
    'select c::text from customers c',
    'select row_to_json(c) from customers c',
    'select to_jsonb(c) from customers c',
    'select array_agg(c) from customers c',
    'select row_to_json(c.*) from customers c',
    "select string_agg(translate(c::text, '0123456789@', 'abcdefghij#'), ';') from customers c",
  ]) {
    test(sql, async () => {
      const p = await prov(sql);
      assert.deepEqual(p.violations, []);
      assert.equal(p.outputs.length, 1);
      assert.ok(p.outputs[0].sources.includes(`${C}.card_number`));
      assert.ok(p.outputs[0].sources.includes(`${C}.ssn`));
      assert.equal(p.outputs[0].direct, false);
      assert.deepEqual(p.wholeRowTables, [C]);
    });
  }

  test('(c).* expands to every column in catalog order', async () => {
    const p = await prov('select (c).* from customers c');
    assert.deepEqual(
      p.outputs.map((o) => o.name),
      DEMO_TABLES[0].columns.map((c) => c.name),
    );
    assert.ok(p.outputs.every((o) => o.direct));
  });

  test('a whole row in WHERE tests every column', async () => {
    const p = await prov("select id from customers c where c::text like '%4111%'");
    assert.ok(p.predicateColumns.includes(`${C}.card_number`));
  });
});

describe('provenance: outputs match by position through every construct', () => {
  test('subquery and CTE aliases, renamed columns', async () => {
    const p = await prov('with x(a, b) as (select email, id from customers) select b, a from x');
    assert.deepEqual(p.outputs[0].sources, [`${C}.id`]);
    assert.deepEqual(p.outputs[1].sources, [`${C}.email`]);
    assert.equal(p.outputs[1].direct, true);
    const q = await prov('select s.x from (select email as x from customers) s(x)');
    assert.deepEqual(q.outputs[0].sources, [`${C}.email`]);
  });

  test('UNION merges by position, not by name', async () => {
    const p = await prov('select id as email from customers union all select ssn::int from customers');
    assert.deepEqual(p.outputs[0].sources, [`${C}.id`, `${C}.ssn`]);
  });

  test('LATERAL and set-returning functions in FROM carry their arguments', async () => {
    const p = await prov('select u.x from customers c, lateral unnest(array[c.email, c.phone]) as u(x)');
    assert.deepEqual(p.outputs[0].sources, [`${C}.email`, `${C}.phone`]);
    assert.equal(p.outputs[0].direct, false);
  });

  test('VALUES and ROW constructors', async () => {
    const p = await prov('select * from (values (1, (select email from customers limit 1))) v(a, b)');
    assert.deepEqual(p.outputs[1].sources, [`${C}.email`]);
  });

  test('scalar and ARRAY subqueries; ARRAY carries many rows', async () => {
    const p = await prov(
      'select (select email from customers where id = 1), array(select ssn from customers)',
    );
    assert.deepEqual(p.outputs[0].sources, [`${C}.email`]);
    assert.equal(p.outputs[0].direct, true);
    assert.deepEqual(p.outputs[1].sources, [`${C}.ssn`]);
    assert.equal(p.outputs[1].aggregatesRows, true);
    assert.equal(p.rowPreserving, true);
  });

  test('EXISTS reveals what it tested', async () => {
    const p = await prov(
      "select id, exists(select 1 from customers c2 where c2.ssn like '1%' and c2.id = c.id) from customers c",
    );
    assert.ok(p.outputs[1].sources.includes(`${C}.ssn`));
    assert.ok(p.predicateColumns.includes(`${C}.ssn`));
  });

  test('CASE conditions count: the result reveals what they test', async () => {
    const p = await prov(
      "select case when card_number like '4%' then 'visa' else 'other' end from customers",
    );
    assert.deepEqual(p.outputs[0].sources, [`${C}.card_number`]);
  });

  test('a recursive CTE reaches a fixpoint over what it reads', async () => {
    const p = await prov(
      'with recursive r(n, e) as (select 1, email from customers where id = 1 union all select n + 1, e from r where n < 3) select n, e from r',
    );
    assert.deepEqual(p.violations, []);
    assert.deepEqual(p.outputs[1].sources, [`${C}.email`]);
  });

  test('USING merges the join column; star puts it first once', async () => {
    const p = await prov('select * from orders join payments using (id)');
    assert.equal(p.outputs[0].name, 'id');
    assert.deepEqual(p.outputs[0].sources, ['public.orders.id', 'public.payments.id']);
    assert.equal(p.outputs.length, 6 + 5 - 1);
  });
});

describe('provenance: aggregates and volume', () => {
  test('summarising aggregates are not row-preserving; count(*) reads nothing, count(x) reads x', async () => {
    const p = await prov(
      'select count(*), count(ssn), sum(amount), avg(amount), max(o.created_at) from orders o, customers',
    );
    assert.equal(p.rowPreserving, false);
    assert.deepEqual(p.outputs[0].sources, []);
    assert.deepEqual(p.outputs[1].sources, [`${C}.ssn`]);
  });

  test('what decides the number of rows is a predicate: FROM function arguments, LIMIT, OFFSET', async () => {
    for (const sql of [
      'select count(*) from customers c, generate_series(1, ascii(c.email)) g where c.id = 1',
      'select generate_series(1, ascii(email)) from customers where id = 1',
      'select id from orders limit (select ascii(ssn) from customers where id = 1)',
    ]) {
      const p = await prov(sql);
      assert.ok(
        p.predicateColumns.some((c) => c === `${C}.email` || c === `${C}.ssn`),
        sql,
      );
    }
  });

  test('WITH RECURSIVE: a CTE naming a later one is refused, not resolved to a table', async () => {
    const p = await prov(
      'with recursive a as (select id from customers), customers(id) as (select card_number from public.customers) select id from a',
    );
    assert.ok(p.violations.some((v) => v.rule === 'construct'));
  });

  test('every form of SELECT body traces its own ORDER BY, LIMIT and OFFSET (red-team round 17)', async () => {
    const ascii = '(select ascii(substr(ssn, 1, 1)) from customers where id = 1)';
    for (const sql of [
      // A set operation under WITH RECURSIVE (the keyword alone took the recursive path).
      `with recursive x(n) as (select n from generate_series(1, 300) n union all select 0 limit ${ascii}) select count(*) from x`,
      `with recursive x(n) as (select 1 union all select n + 1 from x where n < 3 order by ${ascii}) select n from x`,
      `with recursive x(n) as (select 1 union all select 2 offset ${ascii}) select n from x`,
      // A VALUES list.
      `select count(*) from (values (1), (2) limit ${ascii}) v`,
      `select count(*) from (values (1), (2) order by ${ascii}) v`,
      `select count(*) from (values (1), (2) offset ${ascii}) v`,
      // A plain set operation.
      `select count(*) from (select 1 union all select 2 offset ${ascii}) v`,
    ]) {
      const p = await prov(sql);
      assert.ok(p.predicateColumns.includes(`${C}.ssn`), sql);
      assert.ok(p.computedColumns.includes(`${C}.ssn`), sql);
    }
  });

  test('WITH RECURSIVE: UNION and INTERSECT compare what they read, as outside it', async () => {
    for (const sql of [
      "with recursive x(v) as (select ssn from customers where id = 1 intersect select '748-93-8418') select count(*) from x",
      "with recursive r(v) as (select email from customers where id = 1 union select 'a@b.c' from r) select count(*) from r",
      "with recursive r(v) as (select email from customers where id = 1 except select 'a@b.c') select count(*) from r",
    ]) {
      assert.ok(
        (await prov(sql)).predicateColumns.some((c) => c === `${C}.ssn` || c === `${C}.email`),
        sql,
      );
    }
    const all = await prov(
      'with recursive r(n, e) as (select 1, email from customers where id = 1 union all select n + 1, e from r where n < 3) select n from r',
    );
    assert.ok(!all.predicateColumns.includes(`${C}.email`), 'UNION ALL compares nothing');
  });

  test('ROLLUP, CUBE and GROUPING SETS read positions and output names as GROUP BY does (round 19)', async () => {
    for (const sql of [
      'select ssn, count(*), min(id) from customers where id < 8 group by rollup(1)',
      'select ssn, count(*) from customers group by cube(1)',
      'select ssn, count(*) from customers group by grouping sets ((1), ())',
      'select city, ssn, count(*) from customers group by rollup(1, (1, 2))',
      'select ssn, count(*) from customers group by grouping sets (cube(1))',
      // A name that is an output alias here and a column only further out.
      'select t.* from customers c cross join lateral (select p.ssn as city, count(*) n from customers p where p.id < 40 group by rollup(city)) t where c.id = 1',
    ]) {
      assert.ok((await prov(sql)).predicateColumns.includes(`${C}.ssn`), sql);
    }
    const plain = await prov('select city, count(*) from customers group by rollup(city)');
    assert.deepEqual(plain.predicateColumns, [`${C}.city`]);
  });

  test('ORDER BY, GROUP BY and DISTINCT ON names may mean an output whose name was guessed (round 20)', async () => {
    for (const [sql, column] of [
      [
        "select c.id, x.m from customers c, lateral (select (select * from (select c.ssn as city) s), 1 as m union all select '500-00-0000', 2 order by city limit 1) x(a, m) where c.id < 12 order by c.id",
        `${C}.ssn`,
      ],
      [
        'select id, (select * from (select c2.ssn as city from customers c2 where c2.id = c.id) s) from customers c where id < 12 order by city',
        `${C}.ssn`,
      ],
      [
        'select id, (select (s).* from (select c.ssn as city) s) from customers c where id < 12 order by city',
        `${C}.ssn`,
      ],
      [
        'select count(*) from (select distinct on (city) (select * from (select p.card_number as city) s) from payments p, (values (1)) z(city) order by city) d',
        'public.payments.card_number',
      ],
      [
        'select (select * from (select c.email as city) s), count(*) from customers c group by city',
        `${C}.email`,
      ],
    ] as const) {
      assert.ok((await prov(sql)).predicateColumns.includes(column), sql);
    }
    // A name that is sure stays exact.
    const sure = await prov('select id, upper(city) u from customers order by id');
    assert.deepEqual(sure.predicateColumns, [`${C}.id`]);
  });

  test('GROUP BY reads a FROM column of guessed name before an output of that name (round 21)', async () => {
    for (const [sql, column] of [
      [
        "select count(*) as groups from (select 1 as one, 'z' as k from customers c join lateral (select (select * from (select c.full_name as k) s)) x on true group by k) g",
        `${C}.full_name`,
      ],
      [
        "select string_agg(c.id::text, ',' order by c.id) as ids, 'z' as k from customers c join lateral (select (select * from (select c.ssn as k) s)) x on true where c.id <= 10 group by k",
        `${C}.ssn`,
      ],
      [
        "select 'z' as k, count(*) from (select card_number from customers union all select card_number from payments) u join lateral (select (select * from (select u.card_number as k) s)) x on true group by k having count(*) > 1",
        'public.payments.card_number',
      ],
      [
        "select 'z' as k, count(*) from customers c join lateral (select (select * from (select c.ssn as k) s)) x on true group by rollup(k)",
        `${C}.ssn`,
      ],
      [
        // ORDER BY a bare output name sorts by the output (round 44); an expression reads the input.
        "select 'z' as k from customers c, lateral (select (select * from (select c.ssn as k) s)) x order by k || ''",
        `${C}.ssn`,
      ],
    ] as const) {
      assert.ok((await prov(sql)).predicateColumns.includes(column), sql);
    }
    // PostgreSQL sorts `order by k` by the output `'z' as k`, not the lateral column of that name.
    const byOutput = await prov(
      "select 'z' as k from customers c, lateral (select (select * from (select c.ssn as k) s)) x order by k",
    );
    assert.ok(!byOutput.predicateColumns.includes(`${C}.ssn`));
  });

  test('candidate columns are work: thousands of unsure columns times thousands of references is refused', async () => {
    const sql = `select ${Array(7_000).fill('t.x').join(',')} from rows from (${Array(6_500).fill('pi()').join(',')}) t`;
    await assert.rejects(analysePostgres(sql, { catalog: DEMO_CATALOG }), (e: unknown) => {
      assert.ok(isGatewayError(e) && e.code === 'statement_refused', String(e));
      return true;
    });
    assert.deepEqual(
      (await prov('select g, t.x from generate_series(1, 3) g, rows from (pi(), pi()) t')).violations,
      [],
    );
  });

  test('the pass has a work budget: nested WITH RECURSIVE is refused, not traced for seconds (round 19)', async () => {
    const level = (k: number): string =>
      k === 0
        ? '1'
        : `(with recursive r${k}(a, b, c, d, e, f) as (select 1, 1, 1, 1, 1, id from customers where id = 1 union all select b, c, d, e, f, ${level(k - 1)} from r${k} where a < 0) select a from r${k} limit 1)`;
    await assert.rejects(analysePostgres(`select ${level(10)}`, { catalog: DEMO_CATALOG }), (e: unknown) => {
      assert.ok(isGatewayError(e), String(e));
      assert.equal(e.code, 'statement_refused');
      assert.deepEqual(e.details, { limit: 'provenanceWork', max: MAX_PROVENANCE_WORK });
      return true;
    });
    // Two levels, and a 15,000-value IN list, are well inside it.
    assert.deepEqual((await prov(`select ${level(2)}`)).violations, []);
    const list = Array.from({ length: 15_000 }, (_, i) => i).join(',');
    assert.deepEqual((await prov(`select id from customers where id in (${list})`)).violations, []);
  });

  test('WITH RECURSIVE: a WITH on the set operation scopes both terms and is traced', async () => {
    const p = await prov(
      'with recursive x(n) as (with y as (select ascii(ssn) a from customers) select a from y union all select n from x where n < 0) select count(*) from x',
    );
    assert.ok(p.computedColumns.includes(`${C}.ssn`));
  });

  for (const sql of [
    "select string_agg(email, ',') from customers",
    'select array_agg(id) from customers',
    'select json_agg(city) from customers',
    'select jsonb_object_agg(id, city) from customers',
    'select s from (select array_agg(ssn) s from customers) t',
  ]) {
    test(`collection aggregate counts rows read: ${sql}`, async () => {
      assert.equal((await prov(sql)).rowPreserving, true);
    });
  }

  test('ordered-set aggregates reveal the sorted column', async () => {
    const p = await prov('select percentile_disc(0.5) within group (order by ssn) from customers');
    assert.deepEqual(p.outputs[0].sources, [`${C}.ssn`]);
  });
});

describe('provenance: allowlists', () => {
  test('system catalogs and undeclared tables are not exposed', async () => {
    for (const sql of [
      'select * from pg_authid',
      'select rolname from pg_catalog.pg_roles',
      'select query from pg_stat_activity',
      'select * from information_schema.tables',
      'select name, setting from pg_settings',
      'select histogram_bounds from pg_stats',
      'select * from other.customers',
    ]) {
      assert.deepEqual(await violations(sql), ['exposure'], sql);
    }
  });

  test('functions off the list, in any form, are refused', async () => {
    for (const sql of [
      "select pg_read_file('postgresql.conf')",
      "select ts_stat('select 1')",
      "select * from ts_stat('select 1')",
      "select current_setting('data_directory')",
      'select version()',
      'select clock_timestamp()',
      "select query_to_xml('select 1', true, true, '')",
      'select current_user',
      "select 'pg_class'::regclass",
      'select pg_catalog.pg_sleep(1)',
      "select * from json_to_record('{}') as x(a int)",
      'select id from customers for update',
      'select 1 <-> 2',
      'select 1 operator(public.+) 2',
    ]) {
      assert.ok((await violations(sql)).length > 0, sql);
    }
  });

  test('the shipped list covers ordinary reads', async () => {
    for (const sql of [
      'select count(*) from customers',
      "select date_trunc('month', created_at), count(*) from orders group by 1 order by 1",
      'select city, count(*) from customers group by city',
      'select id, row_number() over (partition by status order by amount) from orders',
      "select case when amount > 100 then 'big' else 'small' end from orders where id = 3",
      'select extract(year from created_at) y, sum(amount) from orders group by y',
      "select substring(order_ref from 1 for 3), trim(both from status), coalesce(status, '') from orders",
      'select c.id, o.amount from customers c join orders o on o.customer_id = c.id where c.id < 5',
      'select body from support_tickets where id = 1',
      "select now() - interval '1 day', current_date",
      'select * from generate_series(1, 3) g',
    ]) {
      assert.deepEqual((await prov(sql)).violations, [], sql);
    }
  });

  test('a connection can deny a shipped function and allow one of its own', async () => {
    const catalog = catalogOf(DEMO_TABLES);
    const functions = functionPolicy({ deny: ['upper'], allow: { 'public.score': 'scalar' } });
    const denied = await analysePostgres('select upper(city) from customers', { catalog, functions });
    assert.equal(denied.provenance?.violations[0].rule, 'function');
    const allowed = await analysePostgres('select public.score(id) from customers', { catalog, functions });
    assert.deepEqual(allowed.provenance?.violations, []);
    assert.throws(() => functionPolicy({ allow: { pg_read_file: 'scalar' } }), /never be allowed/);
  });

  test('unexposed columns are refused, also through * and whole rows', async () => {
    const catalog = catalogOf([
      {
        ...DEMO_TABLES[0],
        columns: DEMO_TABLES[0].columns.map((c) => ({ ...c, exposed: c.name !== 'ssn' })),
      },
    ]);
    for (const sql of [
      'select ssn from customers',
      'select * from customers',
      'select c::text from customers c',
    ]) {
      const p = await prov(sql, catalog);
      assert.ok(
        p.violations.some((v) => v.rule === 'exposure'),
        sql,
      );
      assert.deepEqual(p.unexposed, [`${C}.ssn`], sql);
    }
    assert.deepEqual((await prov('select id, email from customers', catalog)).violations, []);
  });
});
