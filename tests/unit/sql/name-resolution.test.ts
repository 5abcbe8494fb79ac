import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { analysePostgres } from '../../../shared/sql/postgres.js';
import { DEMO_CATALOG } from '../../support/demo-catalog.js';

const SSN = 'public.customers.ssn';

const outputs = async (sql: string) => {
  const f = await analysePostgres(sql, { catalog: DEMO_CATALOG });
  assert.ok(f.provenance, sql);
  assert.deepEqual(f.provenance.violations, [], sql);
  return f.provenance.outputs;
};

describe('provenance names columns as the server does', () => {
  let db: PGlite;
  before(async () => {
    db = new PGlite();
  });
  after(async () => {
    await db.close();
  });

  test('functions in FROM, scalar subqueries and field selections', async () => {
    for (const sql of [
      'select * from unnest(array[1]) u',
      'select * from unnest(array[1])',
      'select * from unnest(array[1], array[2]) u',
      'select * from unnest(array[1]) as u(x)',
      'select * from unnest(array[1]) with ordinality u',
      "select * from json_array_elements('[1]') j",
      "select * from jsonb_array_elements_text('[1]') j",
      'select * from jsonb_each(\'{"a": 1}\') e',
      'select * from generate_series(1, 2) g',
      "select * from regexp_split_to_table('a b', ' ') t",
      "select * from lower('A') l",
      'select (values (1))',
      'select (select 1 as a union select 2 limit 1)',
      'select (select 5 as q)',
      "select (row(array['x'])).f1[1]",
      'select (row(1, 2)).f2',
      'select array(select 1)',
      "select case when true then 1 end, 1::int, 'a'::text",
      "select ('x'::text collate \"C\")::varchar, (('{x}'::text[])[1])::varchar, ('x' collate \"C\")",
      'select case when false then null else \'x\'::text collate "C" end',
      'select (jsonb_each(\'{"a": 1}\')).*, (json_each_text(\'{"a": 1}\')).*',
    ]) {
      const server = (await db.query(sql)).fields.map((f) => f.name);
      assert.deepEqual(
        (await outputs(sql)).map((o) => o.name),
        server,
        sql,
      );
    }
  });
});

describe('provenance resolves names in the scope the server uses', () => {
  test('a subquery in FROM that is not LATERAL does not see the items before it', async () => {
    const [v] = await outputs(
      "select (select t.v from (select 'x'::text as ssn) z, (select upper(ssn) as v) t) as v from customers c",
    );
    assert.deepEqual(v?.sources, [SSN]);
    const [w] = await outputs(
      "select (select t.v from (select 'x'::text as ssn) z, lateral (select upper(ssn) as v) t) as v from customers c",
    );
    assert.deepEqual(w?.sources, []);
  });

  test('an ON clause sees the inputs of its join only', async () => {
    const f = await analysePostgres(
      "select (select count(*) from (select 'x'::text as ssn) z, (select 1 as a) o join (select 1 as b) p on substr(ssn, 1, 1) = '7') from customers c",
      { catalog: DEMO_CATALOG },
    );
    assert.ok(f.predicateColumns.includes(SSN));
  });

  test('an ON clause does not see the USING columns of joins before it', async () => {
    const f = await analysePostgres(
      "select (select count(*) from (select 'x'::text as ssn) a join (select 'x'::text as ssn) b using (ssn), (select 1 as p) o join (select 1 as q) r on substr(ssn, 1, 1) = '7') from customers c",
      { catalog: DEMO_CATALOG },
    );
    assert.ok(f.predicateColumns.includes(SSN));
  });

  test('a guessed name does not stop the search: the column further out is traced too', async () => {
    for (const inner of [
      '(select (\'x\'::text collate "C")::varchar) s',
      "(select (('{x}'::text[])[1])::varchar) s",
      "(select (select (row('x'::text)).*)) s",
      "(select upper('x')) s",
    ]) {
      for (const name of ['"text"', '"row"', 'f1', 'upper', 'varchar']) {
        const [v] = await outputs(
          `select (select ${name} from ${inner}) as v from (select ssn as ${name} from customers) d`,
        );
        assert.ok(v?.sources.includes(SSN), `${name} through ${inner}`);
      }
    }
  });

  test('a guessed name met further in makes a column further out no longer exact', async () => {
    // Red-team round 10: the server takes the inner constant (its name is full_name), the
    // pass took the outer column, and the name's token was applied to the constant: a
    // dictionary of tokens. Traced to both, the output is computed, never that column.
    const FULL_NAME = 'public.customers.full_name';
    for (const sql of [
      "select (select full_name from (select (select 'Ximena Andersen'::text as full_name)) s) as v from customers",
      "select (select full_name from (select upper('x')) s) as v from customers",
      "select (select full_name from (select 'x'::text) s) as v from customers",
    ]) {
      const [v] = await outputs(sql);
      assert.ok(v?.sources.includes(FULL_NAME), sql);
      assert.equal(v?.direct, false, sql);
    }
    // At the column's own level a second column of the name is ambiguous to the server, so
    // the sure one stays exact (an unaliased aggregate beside a table is an ordinary read).
    const [own] = await outputs('select full_name from customers c, (select count(*) from orders) o');
    assert.deepEqual([own?.sources, own?.direct], [[FULL_NAME], true]);
    const [qualified] = await outputs(
      "select (select c.full_name from (select 'x'::text) s) as v from customers c",
    );
    assert.deepEqual([qualified?.sources, qualified?.direct], [[FULL_NAME], true]);
  });

  test('(x).* spreads only values whose fields are known', async () => {
    // Red-team round 10: `(jsonb_each(...)).*` was one column named ?column? to the pass and
    // two (key, value) to the server, so a name meant for a column further out resolved to it.
    const [v] = await outputs(
      'select (select "?column?" from (select (jsonb_each(\'{"a":1}\')).*) s) as v from (select ssn as "?column?" from customers) o',
    );
    assert.ok(v?.sources.includes(SSN), JSON.stringify(v));
    assert.equal(v?.direct, false);
    const each = await outputs('select (jsonb_each(\'{"a":1}\')).*');
    assert.deepEqual(
      each.map((o) => o.name),
      ['key', 'value'],
    );
    for (const sql of ["select (lower('a')).*", "select (select (upper('x')).*) as v"]) {
      const f = await analysePostgres(sql, { catalog: DEMO_CATALOG });
      assert.ok(
        f.provenance?.violations.some((x) => x.message.includes('fields are not known')),
        `${sql}: ${JSON.stringify(f.provenance?.violations)}`,
      );
    }
  });

  test("unnest over whole rows is refused: the server spreads them into the table's columns", async () => {
    for (const sql of [
      'select r.b from customers c, rows from (unnest(array[c]), generate_series(1, 1)) r(a, b)',
      'select * from customers c, rows from (unnest(array[c]), generate_series(1, 1)) r(a, b)',
      'select t.id, (select customer_id from unnest(array[(select o from orders o where o.id = t.id)]) u(a)) from support_tickets t',
      'select * from orders o, unnest(array[o]) u',
    ]) {
      const f = await analysePostgres(sql, { catalog: DEMO_CATALOG });
      assert.ok(
        f.provenance?.violations.some((v) => v.message.includes('unnest over whole rows')),
        `${sql}: ${JSON.stringify(f.provenance?.violations)}`,
      );
    }
    // Arrays of values still unnest.
    for (const sql of [
      'select u from unnest(array[1, 2]) u',
      'select x from customers c, unnest(array[c.id, 2]) x',
    ]) {
      const f = await analysePostgres(sql, { catalog: DEMO_CATALOG });
      assert.deepEqual(f.provenance?.violations, [], sql);
    }
  });

  test('t.* in ROW(...) or VALUES, and more column aliases than columns, are refused', async () => {
    for (const sql of [
      "select (row(s.*, 'x')).f2 from (select id, ssn from customers) s",
      "select v.* from (select id, ssn from customers) s, lateral (values (s.*, 'x')) v",
      'select a3 from (select id, ssn from customers) s(a1, a2, a3)',
    ]) {
      const f = await analysePostgres(sql, { catalog: DEMO_CATALOG });
      assert.ok((f.provenance?.violations.length ?? 0) > 0, sql);
    }
  });

  test('system columns are refused: no catalog lists them, and every table has them', async () => {
    const f = await analysePostgres(
      "select (select xmin::text from orders o where o.id = d.id) from (select 1 as id, 'x' as xmin) d",
      {
        catalog: DEMO_CATALOG,
      },
    );
    assert.ok(f.provenance?.violations.some((v) => v.message.includes('System column xmin')));
  });

  test('a name the pass is not sure of may be the column meant: it is traced too', async () => {
    // The server names this column `q` (from the `*`); a decoy `q` further out must not win.
    const [v] = await outputs(
      "select (select upper(q) from (select (select * from (select d.ssn as q) z)) s) as v from (select ssn, 'x'::text as q from customers) d",
    );
    assert.ok(v?.sources.includes(SSN), JSON.stringify(v));
  });
});
