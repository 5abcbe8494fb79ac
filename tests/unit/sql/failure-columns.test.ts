import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analysePostgres } from '../../../shared/sql/postgres.js';
import { DEMO_CATALOG } from '../../support/demo-catalog.js';

const SSN = 'public.customers.ssn';

async function facts(sql: string) {
  const f = await analysePostgres(sql, { catalog: DEMO_CATALOG });
  assert.ok(f.provenance, sql);
  assert.deepEqual(f.provenance.violations, [], sql);
  return f;
}

/** A masked value that can decide whether the statement fails is tested, like a filter. */
describe('provenance: values that decide a failure are tested', () => {
  test('functions, casts and operators that can fail on some input', async () => {
    for (const expr of [
      '1/(case when substr(ssn,1,1) = $1 then 0 else 1 end)',
      "(case when substr(ssn,1,1) = '1' then 'x' else '1' end)::int",
      'substr(ssn, 5, 1)::int',
      "replace(ssn, '-', '')::bigint",
      "to_number(ssn, '999-99-9999')",
      "to_date(ssn, 'YYYY')",
      'sqrt(ascii(ssn) - 60)',
      'ln(ascii(ssn) - 49)',
      'ascii(ssn) * 100000000',
      '-ascii(ssn)',
      "json_build_object(nullif(ssn, 'x'), 1)",
      "jsonb_build_object(ssn, 1) -> 'a'",
      "regexp_replace('x', ssn, '')",
      "ssn ~ '('",
      "ssn like 'a\\'",
      'ssn like ssn',
      "substr('abc', 1, ascii(ssn) - 50)",
      'substr(ssn, 1, -1)',
      "split_part(ssn, '-', 0)",
      'repeat(ssn, 3)',
      'lpad(ssn, 100000)',
      'sum(ascii(ssn))',
      'avg(length(ssn))',
      'jsonb_object_agg(ssn, 1)',
      'lag(ssn, 1) over (order by id)',
      '(array[1,2])[ascii(ssn)]',
      'array[ssn]',
      'ssn::varchar(3)::int',
      "'abc'::bytea = ssn::bytea",
    ]) {
      const f = await facts(`select ${expr} from customers where id = 1`);
      assert.ok(f.predicateColumns.includes(SSN), expr);
    }
  });

  test('branches that choose work which can fail or take time', async () => {
    for (const expr of [
      "case when ssn > '5' then 1/(id-id) else 0 end",
      "case ssn when '1' then (select count(*) from orders) end",
      "case when ssn > '5' then exists(select 1 from orders) end",
      "case when ssn > '5' then array(select id from orders) end",
      "coalesce(nullif(ssn, 'x'), (1/(id-id))::text)",
      "(ssn > '5') and (1/(id-id) = 1)",
      "(ssn > '5') or (id::text::int = 1)",
      "ssn between '5' and (1/(id-id))::text",
      "ssn in ('5', (1/(id-id))::text)",
      "(select 1/(case when c2.ssn > '5' then 0 else 1 end) from customers c2 where c2.id = customers.id)",
    ]) {
      const f = await facts(`select ${expr} from customers where id = 1`);
      assert.ok(f.predicateColumns.includes(SSN), expr);
    }
  });

  test('through CTEs, subqueries, LATERAL and whole rows', async () => {
    for (const sql of [
      "with t as (select substr(ssn,1,1) s from customers) select 1/(case when s = '1' then 0 else 1 end) from t",
      "select x from customers c, lateral (select 1/(case when c.ssn > '5' then 0 else 1 end) x) l",
      "select 1/(case when c::text like '%1%' then 0 else 1 end) from customers c",
      "select 1/(case when (select ssn from customers where id = 1) > '5' then 0 else 1 end)",
      // PostgreSQL inlines a CTE or subquery column into the branch that reads it.
      "with a as (select ssn, (1/(id-id))::text s from customers) select case when ssn > '5' then s end from a",
      "select case when ssn > '5' then x end from (select ssn, 1/(id-id) x from customers) t",
      "select coalesce(nullif(ssn, 'x'), t.s) from customers, lateral (select (select 'a'::text) s) t",
    ]) {
      const f = await facts(sql);
      assert.ok(f.predicateColumns.includes(SSN), sql);
    }
  });

  test('set operations other than UNION ALL and DISTINCT compare their outputs', async () => {
    for (const sql of [
      "select ssn from customers intersect select 'x'",
      "select ssn from customers except select 'x'",
      "select ssn from customers union select 'x'",
      'select distinct ssn from customers',
      'select count(*) from (select distinct ssn from customers) t',
    ]) {
      assert.ok((await facts(sql)).predicateColumns.includes(SSN), sql);
    }
    const all = await facts("select ssn from customers union all select 'x'");
    assert.ok(!all.predicateColumns.includes(SSN));
  });

  test('a column passed through as it is stays untested; computing on it, even what cannot fail, tests it', async () => {
    for (const expr of ['ssn', '(ssn)', 'customers.ssn', '(select ssn from customers c2 where c2.id = 2)']) {
      const f = await facts(`select ${expr} from customers where id = 1`);
      assert.ok(!f.predicateColumns.includes(SSN), expr);
    }
    // How long an expression takes can depend on the value (`case when ssn < '8' then <slow>
    // end`, `replace(ssn, '7', repeat('x', 100000))`): the value is redacted on the way
    // out, yet the timing answers a question about it, so it is tested like a filter.
    for (const expr of [
      'upper(ssn)',
      'length(ssn)',
      "translate(ssn, '0123456789', 'abcdefghij')",
      'reverse(ssn)',
      "replace(ssn, '-', '')",
      'substr(ssn, 1, 3)',
      'left(ssn, -2)',
      "ssn || 'x'",
      'ssn::text',
      "nullif(substr(ssn, 1, 1), '7')",
      "coalesce(ssn, 'none')",
      "case when ssn > '5' then 'a' else 'b' end",
      "case when ssn like '1%' then 'a' end",
      'ssn is null',
      "ssn = '123-45-6789'",
      "ssn between '1' and '5'",
      "ssn in ('1', '2')",
      'md5(ssn)',
      'count(ssn)',
      'count(distinct ssn)',
      'min(ssn)',
      "string_agg(ssn, ',')",
      'to_jsonb(ssn)',
      'row_to_json(customers)',
      'json_build_array(ssn, 1)',
      'first_value(ssn) over ()',
      "greatest(ssn, 'x')",
    ]) {
      const f = await facts(`select ${expr} from customers where id = 1`);
      assert.ok(f.predicateColumns.includes(SSN), expr);
      assert.ok(f.provenance?.computedColumns.includes(SSN), expr);
    }
  });

  test('ordinary reads test only the columns they filter or compute on', async () => {
    const f = await facts('select count(*), sum(amount), avg(amount) from orders');
    assert.ok(f.predicateColumns.every((c) => c.startsWith('public.orders.')));
    const g = await facts('select id, city, email, upper(city) from customers where id = 1');
    assert.deepEqual(g.predicateColumns, ['public.customers.city', 'public.customers.id']);
  });
});
