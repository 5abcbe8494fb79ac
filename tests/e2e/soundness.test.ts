import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';
import { leakedSecrets } from '../support/leak-oracle.js';

/**
 * The bypasses an attacker with a plain agent token found, sent to the local host as an
 * agent would send them (PGlite over the wire, the shipped policies), and the ordinary
 * reads that must keep working. The secrets to look for are read from the demo database
 * directly, and every response is checked through easy disguises.
 */
describe('agents cannot talk their way around enforcement (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let secrets: string[] = [];
  let agent = 0;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-sound-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
    const client = new pg.Client({ host: host.demo?.host, port: host.demo?.port, user: 'postgres' });
    await client.connect();
    try {
      const rows = await client.query('select card_number, ssn, email, phone from customers');
      secrets = rows.rows.flatMap((r) => [r.card_number, r.ssn, r.email]);
    } finally {
      await client.end();
    }
  });

  after(async () => {
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** Each call is a fresh agent unless a name is given, so budgets do not interfere. */
  async function send(sql: string, name = `agent-${agent++}`, extra: Record<string, unknown> = {}) {
    const answer = await sendUnchecked(sql, name, extra);
    assert.deepEqual(leakedSecrets(answer.json, secrets), [], `leak through: ${sql}`);
    return answer;
  }

  /**
   * The same request without the leak check, for callers that check afterwards: the check of a
   * 1,000-row page takes seconds of this process's CPU, during which the host (same process)
   * lets its idle keep-alive sockets lapse, and the next fetch may race a closing socket.
   */
  async function sendUnchecked(sql: string, name: string, extra: Record<string, unknown> = {}) {
    const token = await host.issuer.mint({ agent: name });
    const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql, ...extra }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    return { status: res.status, json };
  }

  function errorOf(json: Record<string, unknown>) {
    return json.error as { code: string; message: string; policyIds?: string[]; sqlstate?: string };
  }

  test('one cell cannot carry the table, disguised or not', async () => {
    for (const sql of [
      "select string_agg(translate(c::text, '0123456789@', 'abcdefghij#'), ';') from customers c",
      'select c from customers c where id = 1',
      'select row_to_json(c) from customers c where id = 1',
      'select (c).* from customers c where id = 1',
      "select string_agg(card_number, ',') from customers",
      'select array_agg(id) from customers',
      'select array(select ssn from customers)',
    ]) {
      const { status } = await send(sql);
      assert.notEqual(status, 200, sql);
    }
  });

  test('(c).column reads that one column, masked like c.column; the whole row is still refused', async () => {
    // Read as the whole row, it was refused as a select star (red-team rounds 43-44).
    for (const [sql, column] of [
      ['select (c).email from customers c where id = 1', 'email'],
      ['select (customers).card_number from customers where id = 1', 'card_number'],
      ['select ((c).full_name) from customers c where id = 1', 'full_name'],
    ] as const) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json)}`);
      const masking = json.masking as { columns: Record<string, string> };
      assert.ok(masking.columns[column], `${sql}: ${JSON.stringify(json.masking)}`);
    }
    for (const sql of [
      'select (c).nosuch from customers c where id = 1',
      'select (c).* from customers c where id = 1',
      "select id from customers c where (c).email like 'a%'",
      'select (c).email, count(*) from customers c group by 1',
    ]) {
      const { status } = await send(sql);
      assert.notEqual(status, 200, sql);
    }
  });

  test('ORDER BY an output name sorts by that output, as PostgreSQL does; an input of the name is not read', async () => {
    // Held for approval as a sort on the masked email (red-team round 44).
    const ok = await send('select id as email from customers where id < 4 order by email desc');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.deepEqual(
      (ok.json.rows as Array<{ email: number }>).map((r) => r.email),
      [3, 2, 1],
    );
    // DISTINCT ON reads names the same way.
    const distinct = await send('select distinct on (email) id as email from customers where id < 4');
    assert.equal(distinct.status, 200, JSON.stringify(distinct.json));
    for (const sql of [
      'select email as id from customers where id < 4 order by id',
      'select email as x, id as x from customers where id < 4 order by x',
      "select id as email from customers where id < 4 order by email || ''",
      'select id as email from customers where id < 4 group by email',
      'select distinct on (id) email as id from customers where id < 4',
    ]) {
      const { status } = await send(sql);
      assert.notEqual(status, 200, sql);
    }
  });

  test('field-selection and other disguised calls never run', async () => {
    for (const sql of [
      "select ('postgresql.conf'::text).pg_read_file",
      'select (7::float8).pg_sleep',
      "select * from ts_stat('select body::tsvector from support_tickets')",
      'select c.row_to_json from customers c where id = 1',
      "select 'customers'::regclass::oid",
      'select pg_catalog.version()',
      // A FROM function of one column is a scalar: `(t).f` calls f on it (red-team round 44:
      // ts_stat ran SQL the gateway never read, and returned every email in clear).
      "select (t).ts_stat from unnest(array['select email::tsvector from customers where id < 4']) as t(ts_stat)",
      "select (t).pg_read_file from btrim('PG_VERSION') as t(pg_read_file)",
      "select (t).current_setting from unnest(array['data_directory']) as t(current_setting)",
      "select (t).length from unnest(array['abc']) as t(length)",
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 403, sql);
      assert.deepEqual(errorOf(json).policyIds, ['agent-allowlist'], sql);
    }
    // Of a function of two columns, or with ordinality, the name is a row and `(t).a` its field.
    for (const sql of [
      'select (t).a from unnest(array[1], array[2]) as t(a, b)',
      "select (t).f from unnest(array['x']) with ordinality as t(f, n)",
    ]) {
      const { status } = await send(sql);
      assert.equal(status, 200, sql);
    }
  });

  test('system catalogs do not answer', async () => {
    for (const sql of [
      'select rolname, rolpassword from pg_authid',
      'select usename, passwd from pg_shadow',
      'select query from pg_stat_activity',
      'select name, setting from pg_settings',
      'select table_name from information_schema.tables',
      "select histogram_bounds from pg_stats where attname = 'email'",
      'select id from "Customers"',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 403, sql);
      assert.match(errorOf(json).message, /not exposed/, sql);
    }
  });

  test('transforms before the scan wait for a person; as they are, columns are masked', async () => {
    // Computing on a masked column or on free text is not run for an agent at all: its
    // result would be redacted whole, and how long it takes could still answer a question.
    for (const sql of [
      'select reverse(body) from support_tickets where id < 200',
      "select replace(body, '@', ' at ') from support_tickets where id < 200",
      "select encode(convert_to(body, 'UTF8'), 'base64') from support_tickets where id < 200",
      "select regexp_replace(body, '(\\d)', '\\1.', 'g') from support_tickets where id < 200",
      "select translate(card_number, '0123456789', 'abcdefghij') from customers where id < 50",
      'select jsonb_object_agg(body, id) from support_tickets where id < 50',
      "select (select email from customers where id = 1) || ''",
      "select string_agg(reverse(ssn), ',') from customers where id < 10",
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 202, sql);
      assert.deepEqual(errorOf(json).policyIds, ['agent-predicate-on-masked-approval'], sql);
    }
    const { status } = await send('select id as f1, card_number as f1 from customers where id < 50');
    assert.equal(status, 200);
  });

  test('what the red team found stays closed', async () => {
    const refused = [
      // A later CTE of WITH RECURSIVE shadowing the table it copies.
      "with recursive a as (select id, created_at from customers), customers(id, created_at) as (select translate(card_number, '0123456789', 'abcdefghij'), translate(ssn, '0123456789', 'abcdefghij') from public.customers) select string_agg(id || '/' || created_at, ',') s from a where length(id) % 1 = 0",
      // Row counts shaped by a masked value: function arguments in FROM and the select list.
      'select p, count(g) from customers c, generate_series(1,40) p, generate_series(1, ascii(substr(c.email,p,1))) g where c.id=1 group by p order by p',
      'select p, count(*) from customers c, generate_series(1,40) p, generate_series(1, ascii(substr(c.email,p,1))) g where c.id=1 group by p order by p',
      'select generate_series(1, ascii(substr(email,1,1))) from customers where id=1',
      // LIMIT and OFFSET read a masked value.
      'select id from orders limit (select substr(card_number,1,1)::int from customers where id=1)',
      'select id from orders order by id offset (select substr(card_number,1,1)::int from customers where id=1) limit 1',
      // Operators of ANY/ALL are checked like any other.
      "select 'abc' ~<~ any (select 'abd')",
      "select 'a b'::text operator(pg_catalog.@@) any (select 'a')",
      'select "UPPER"(city) from customers where id=1',
      // Rows read are counted, not estimated: the planner cannot be talked down.
      "select length(string_agg(id::text || ':' || city, ',')), count(*) from customers where id % 1 = 0 and id+0 > 0",
    ];
    for (const sql of refused) {
      const { status } = await send(sql);
      assert.notEqual(status, 200, sql);
    }
    // Derived values of a masked column wait for a person; for a person who may not unmask
    // them, NULL and [REDACTED] look the same.
    const derived = [
      "select nullif(substr(ssn,1,1),'7') a, nullif(substr(ssn,1,1),'6') b from customers where id=1",
      "select count(nullif(substr(card_number,1,1),'6')) c from customers where id=1",
    ];
    for (const sql of derived) assert.equal((await send(sql)).status, 202, sql);
    const person = await host.issuer.mint({ user: 'pat' });
    const asPerson = async (sql: string) => {
      const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${person}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql }),
      });
      const json = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 200, JSON.stringify(json));
      assert.deepEqual(leakedSecrets(json, secrets), [], `leak through: ${sql}`);
      return json;
    };
    assert.deepEqual(((await asPerson(derived[0] as string)).rows as unknown[])[0], {
      a: '[REDACTED]',
      b: '[REDACTED]',
    });
    assert.deepEqual(((await asPerson(derived[1] as string)).rows as unknown[])[0], { c: '[REDACTED]' });
    for (const sql of [
      'select id from customers where id between 1 and 3',
      'select city, count(*) from customers group by rollup(city)',
      "select id, amount from orders where status = 'paid' and customer_id = 3",
    ]) {
      assert.equal((await send(sql)).status, 200, sql);
    }
  });

  test('free text, timing and percentiles: the second red team round stays closed', async () => {
    const fractions = Array.from({ length: 200 }, (_, i) => ((i + 1) / 200).toFixed(3)).join(',');
    const waits: Array<[string, string]> = [
      // Unclassified free text (ticket bodies hold cards, emails, phones) tested in a filter,
      // one character at a time: the answers are constants, the question is the body.
      [
        'select k, d from generate_series(1,90) k, generate_series(0,9) d, support_tickets t where t.id = 1 and substr(t.body, k, 1) = d::text order by k',
        'agent-predicate-on-masked-approval',
      ],
      [
        'select t.id, k, c from support_tickets t, generate_series(1,120) k, generate_series(32,126) c where t.id in (8, 19) and substr(t.body, k, 1) = chr(c) order by t.id, k',
        'agent-predicate-on-masked-approval',
      ],
      ["select id from support_tickets where body like '%5555%'", 'agent-predicate-on-masked-approval'],
      // Functions that cannot fail still take longer on some values: the timing is the answer.
      [
        "select id, length(replace(replace(case when ssn < '8' then 'a' else 'b' end,'a',lpad('',10000)),' ',lpad('',8000))) as n from customers where id = 1",
        'agent-predicate-on-masked-approval',
      ],
      [
        "select id, md5(upper(replace(replace(substr(card_number,1,1),'5',repeat('x',10000)),'x',repeat('y',20000)))) as n from customers where id = 1",
        'agent-predicate-on-masked-approval',
      ],
      [
        "select count(case when c.ssn < '8' then md5(g::text) end) from customers c, generate_series(1,100000) g where c.id = 1",
        'agent-predicate-on-masked-approval',
      ],
      // Computed in a subquery whose value the outer query drops: it is still evaluated.
      [
        "select id from (select id, length(replace(ssn,'7',repeat('x',100000))) as n from customers offset 0) s where id = 1",
        'agent-predicate-on-masked-approval',
      ],
      // A percentile of an array of fractions answers that many of the sorted values.
      [
        `select percentile_disc('{${fractions}}'::float8[]) within group (order by id::text || ':' || city || ':' || created_at::text) as dump from customers`,
        'agent-bulk-read-approval',
      ],
      [
        `select percentile_cont(array[${fractions}]) within group (order by id) from customers`,
        'agent-bulk-read-approval',
      ],
    ];
    for (const [sql, policy] of waits) {
      const { status, json } = await send(sql);
      assert.equal(status, 202, sql);
      assert.deepEqual(errorOf(json).policyIds, [policy], sql);
      assert.ok(!('rows' in json), sql);
    }
    // Next to them, the reads an agent does every day.
    for (const sql of [
      'select percentile_disc(0.5) within group (order by amount) from orders where customer_id = 3',
      "select id, subject from support_tickets where subject = 'Refund not received' and customer_id < 50",
      'select id, subject, body from support_tickets where customer_id = 19',
      'select count(*) from support_tickets where customer_id = 19',
    ]) {
      assert.equal((await send(sql)).status, 200, sql);
    }
  });

  test('a decoy column never stands in for the column the server reads', async () => {
    // Each plants a constant named like a masked column where the pass looked and the server
    // does not (a sibling FROM item, the other side of a JOIN, a column the server names
    // otherwise), and translates the digits past the content scan.
    const t = "'0123456789-', 'abcdefghij_'";
    for (const sql of [
      `select c.id, (select t.v from (select 'x'::text as ssn) z, (select translate(ssn, ${t}) as v) t) as v from customers c where c.id < 3`,
      `select c.id, (select t.v from (select 'x'::text as ssn) z, (values (translate(ssn, ${t}))) t(v)) as v from customers c where c.id < 3`,
      `select c.id, (select t.v from (select 'x'::text as ssn) z join (select translate(ssn, ${t}) as v) t on true) as v from customers c where c.id < 3`,
      `select c.id, (select t.v from (select 'x'::text as ssn) c, (select translate(c.ssn, ${t}) as v) t) as v from customers c where c.id < 3`,
      "select c.id, (select count(*) from (select 'x'::text as ssn) z, (select 1 as a) o join (select 1 as b) p on substr(ssn,1,1) = '7') from customers c where c.id = 1",
      `select c.id, (select translate(unnest, ${t}) from unnest(array['x']) u) as v from (select id, ssn as unnest from customers where id < 3) c`,
      `select c.id, (select translate(json_array_elements::text, ${t}) from json_array_elements('[1]')) as v from (select id, ssn as json_array_elements from customers where id < 3) c`,
      `select d.id, (select translate(column1, ${t}) from (select (values (d.ssn))) s) as v from (select id, ssn, 'x'::text as column1 from customers where id < 3) d`,
      `select d.id, (select translate(ssn, ${t}) from (select (select c.ssn from customers c where c.id = d.id union all select c.ssn from customers c where false)) s) as v from (select id, 'x'::text as ssn from customers where id < 3) d`,
      `select c.id, (select translate("row", ${t}) from (select (row(array['x'])).f1[1]) s) as v from (select id, ssn as "row" from customers where id < 3) c`,
      `select d.id, (select translate(q, ${t}) from (select (select * from (select d.ssn as q) z)) s) as v from (select id, ssn, 'x'::text as q from customers where id < 3) d`,
      // Round three: names the server gives otherwise (field selection, COLLATE and subscripts
      // under a cast, t.* in an expression, a `*` through star expansion), and USING columns.
      `select d.id, (select translate("row", ${t}) from (select (select (row('x'::text)).*)) s) as v from (select id, ssn as "row" from customers where id < 3) d`,
      `select d.id, (select translate("text", ${t}) from (select ('x'::text collate "C")::varchar) s) as v from (select id, ssn as "text" from customers where id < 3) d`,
      `select d.id, (select translate("*", ${t}) from (select (t.*)::text from (select 1 as a) t) s) as v from (select id, ssn as "*" from customers where id < 3) d`,
      `select d.id, (select translate("text", ${t}) from (select (('{x}'::text[])[1])::varchar) s) as v from (select id, ssn as "text" from customers where id < 3) d`,
      `select d.id, (select translate("?column?", ${t}) from (select * from (select (select t.* from (select 'x'::text as k) t)) s1) s) as v from (select id, ssn as "?column?" from customers where id < 3) d`,
      `select d.id, (select t.v from (select 'x'::text as ssn) a join (select 'x'::text as ssn) b using (ssn), (select translate(ssn, ${t}) as v) t) as v from (select id, ssn from customers where id < 3) d`,
      "select d.id, (select count(*) from (select 'x'::text as ssn) a join (select 'x'::text as ssn) b using (ssn), (select 1 as p) o join (select 1 as q) r on substr(ssn,1,1)='7') as v from (select id, ssn from customers where id < 5) d",
      "select d.id, (select xmin::text from orders o where o.id = d.id) from (select 1 as id, 'x' as xmin) d",
      // Round four: NATURAL joins matching on guessed names shift every column after them.
      `select s.a4 as raw, reverse(translate(s.a4, ${t})) as v from (select * from ((select ('x'::text collate "C")::varchar, 1 as k) a natural join (select 'x'::text as "text") b), (select ssn from customers where id < 4) r, ((select ('y'::text collate "C")::varchar) c natural join (select 'y'::varchar as "varchar") e)) s(a1,a2,a3,a4,a5)`,
      `select * from ((select ('x'::text collate "C")::varchar, 1 as k) a natural join (select 'x'::text as "text") b), (select full_name from customers where id < 3 union all select full_name from customers where false) r, ((select ('y'::text collate "C")::varchar) c natural join (select 'y'::varchar as "varchar") e)`,
      // Round five: t.* spread by the server inside ROW(...) and VALUES, and alias lists longer
      // than the columns the pass counted.
      `select s.id, translate((row(s.*, 'x'::text)).f2, ${t}) as v from (select id, ssn from customers where id < 4) s`,
      "select s.id from (select id, ssn from customers where id < 40) s where (row(s.*, 'x'::text)).f2 like '7%'",
      "select s.id, v.* from (select id, ssn from customers where id < 3) s, lateral (values (s.*, 'x')) v",
      `select translate(s.a3, ${t}) from (select id from orders where id < 2) w, (select * from (select ssn from customers where id < 4) r, (select 1 as k) k) s(a1, a2, a3)`,
      // Round ten: `(x).*` spread by the server into columns the pass did not count, so a name
      // meant for a column further out resolved to a guessed one at the pass's level.
      `select id, (select translate("?column?", ${t}) from (select (jsonb_each('{"a":1}')).*) s) as v from (select id, ssn as "?column?" from customers where id <= 5) o`,
      `select id, (select translate("?column?", ${t}) from (select (jsonb_each_text('{"a":1}')).*) s) as v from (select id, card_number as "?column?" from customers where id <= 5) o`,
      `select 1 as hit from (select ssn as "?column?" from customers where id = 1) o where exists (select 1 from (select (jsonb_each('{"a":1}')).*) s where "?column?" like '7%')`,
      `select (select translate(v, ${t}) from (select (lower('x')).*) s) as v from (select ssn as v from customers where id < 3) o`,
      // Round eleven: unnest spreads an array of table rows into the table's columns.
      'select o.id, r.b from orders o, rows from (unnest(array[o]), generate_series(1,1)) r(a,b) where o.id <= 3',
      `select r.b, translate(r.f, ${t}) from customers c, rows from (unnest(array[c]), generate_series(1,1)) r(a,b,x,d,e,f) where c.id < 3`,
    ]) {
      const { status } = await send(sql);
      assert.notEqual(status, 200, sql);
    }
    // As they are, such columns come back redacted whole: never in clear, and never as the
    // token of a constant the server chose instead (a dictionary of tokens, round ten).
    for (const sql of [
      `select (select "?column?" from (select (jsonb_each('{"a":1}')).*) s) as v from (select full_name as "?column?" from customers where id = 1) o`,
      "select (select full_name from (select (select 'Ximena Andersen'::text as full_name)) s) as v from customers where id = 1",
      "select (select full_name from (select 'Ximena Andersen'::text) s) as v from customers where id = 1",
    ]) {
      const { status, json } = await send(sql);
      const rows = (json.rows ?? []) as Array<Record<string, unknown>>;
      if (status === 200) assert.deepEqual(rows, [{ v: '[REDACTED]' }], sql);
    }
    for (const sql of [
      'select u from unnest(array[1, 2]) u',
      "select value from json_array_elements('[1, 2]')",
      'select o.id, s.city from orders o, (select id, city from customers where id < 3) s where o.customer_id = s.id',
      'select c.id, (select max(amount) from orders where customer_id = c.id) from customers c where c.id < 5',
      'select id, email from (select id, email from customers where id < 3) s',
      'select city as c, count(*) from customers group by c',
      'select count from (select count(*) from orders where customer_id = 3) s',
      'select o.id, o.status from orders o natural join (select id from orders where id < 3) s',
    ]) {
      assert.equal((await send(sql)).status, 200, sql);
    }
  });

  test('target errors carry no data to agents', async () => {
    // Whether a cast of a masked value fails is one bit of it: such a cast waits for a person.
    const masked = await send(
      "select ('x' || substr(card_number, 1, 2))::int from customers where id = 1 -- x55 x56 x41 x42 x37",
    );
    assert.equal(masked.status, 202);
    const { status, json } = await send(
      "select ('x' || order_ref)::int from orders where id = 1 -- xORD xA xB",
    );
    assert.equal(status, 422);
    const error = errorOf(json);
    assert.equal(error.sqlstate, '22P02');
    assert.doesNotMatch(error.message, /"|x[A-Z0-9]/);
  });

  test('an under-estimated read releases nothing and asks for approval', async () => {
    // The planner guesses a few rows for each modulus test; 3,000 rows match.
    const { status, json } = await send('select id from customers where (id % 2) = 0 or (id % 2) = 1');
    assert.equal(status, 202);
    assert.ok(!('rows' in json));
  });

  test("a held statement's estimate is not an oracle on the masked columns it filters on", async () => {
    // The planner's estimate of a filter on a masked column is read from the column's
    // statistics; with four copies of the table joined under an OR, it is precise enough to
    // walk the smallest email one character at a time (red-team round 13). Whatever the
    // estimate, the agent sees the same decision and no estimate.
    const probes = [
      "select id from customers where ssn < '1'",
      "select id from customers where ssn < '9'",
      "select id from customers where email < 'a'",
      "select id from customers where email < 'zzz'",
      "select a.id from customers a, customers b, customers c, customers d where (a.email < 'ada' or (b.id + c.id + d.id) is null)",
      "select a.id from customers a, customers b, customers c, customers d where (a.email < 'b' or (b.id + c.id + d.id) is null)",
    ];
    const seen = new Set<string>();
    const name = 'stats-prober';
    const token = await host.issuer.mint({ agent: name });
    for (const sql of probes) {
      const { status, json } = await send(sql, name);
      assert.equal(status, 202, sql);
      const error = json.error as { policyIds: string[]; reasons: string[]; statusUrl: string };
      const res = await fetch(`${host.url}${error.statusUrl}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200);
      const { request } = (await res.json()) as { request: Record<string, unknown> };
      assert.equal(request.estimatedRows, null, sql);
      seen.add(
        JSON.stringify([error.policyIds, error.reasons, request.policyIds, request.reasons, request.maxRows]),
      );
    }
    assert.equal(seen.size, 1, [...seen].join('\n'));
    assert.deepEqual(JSON.parse([...seen][0] as string)[0], ['agent-predicate-on-masked-approval']);
    // Not estimated at all (no EXPLAIN, so no planning time either): approvers see it unknown.
    const owner = await host.issuer.mint({ user: 'dana', groups: ['data-owners'] });
    const { json } = await send(probes[0] as string, name);
    const statusUrl = (json.error as { statusUrl: string }).statusUrl;
    const res = await fetch(`${host.url}${statusUrl}`, { headers: { authorization: `Bearer ${owner}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { request: { estimatedRows: unknown } }).request.estimatedRows, null);
  });

  test("the content scan tokenises nothing: the caller's own names are no token oracle", async () => {
    // full_name is a token column; a name the scan finds in the agent's own text must not come
    // back as the same token, or one statement of guessed names decodes the column.
    const { status, json } = await send(
      "select 'Ximena Zhang <a@b.co>' as a, 'x@example.com (Jonas Ueda)' as b, full_name from customers where id = 1",
    );
    assert.equal(status, 200, JSON.stringify(json));
    const row = (json.rows as Array<Record<string, string>>)[0] as Record<string, string>;
    assert.match(row.full_name as string, /^tok_/);
    assert.doesNotMatch(`${row.a} ${row.b}`, /tok_|Ximena|Zhang|Jonas|Ueda/);
  });

  test('paging through a table runs into the budget', async () => {
    const name = 'pager';
    let released = 0;
    let last: { status: number; json: Record<string, unknown> } | undefined;
    const pages: Record<string, unknown>[] = [];
    for (let page = 0; page < 10; page++) {
      last = await sendUnchecked(
        `select id, status from orders order by id limit 1000 offset ${page * 1000}`,
        name,
      );
      pages.push(last.json);
      if (last.status !== 200) break;
      released += Number(last.json.rowCount);
      assert.ok((last.json.budget as { rowsLeft: number }).rowsLeft >= 0);
    }
    assert.equal(last?.status, 202);
    assert.deepEqual(errorOf(last?.json ?? {}).policyIds, ['gateway-budget']);
    assert.ok(released <= 4000, `released ${released}`);
    assert.deepEqual(leakedSecrets(pages, secrets), [], 'leak through the pages');
  });

  test('the schema route answers what an agent would ask a catalog, and is audited', async () => {
    const token = await host.issuer.mint({ agent: 'schema-reader' });
    const res = await fetch(`${host.url}/api/v1/connections/demo/schema`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const json = (await res.json()) as {
      requestId: string;
      tables: Array<{ name: string; columns: Array<{ name: string; type: string; dataClass?: string }> }>;
    };
    assert.deepEqual(json.tables.map((t) => t.name).sort(), [
      'public.customers',
      'public.orders',
      'public.payments',
      'public.support_tickets',
    ]);
    const card = json.tables
      .find((t) => t.name === 'public.customers')
      ?.columns.find((c) => c.name === 'card_number');
    assert.deepEqual(card, { name: 'card_number', type: 'varchar', dataClass: 'pci.pan' });

    const auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
    const audit = await fetch(`${host.url}/api/v1/audit?limit=200`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    const records = ((await audit.json()) as { records: Array<{ requestId: string; action: string }> })
      .records;
    assert.ok(records.some((r) => r.requestId === json.requestId && r.action === 'connections.describe'));
  });

  test('the audit trail is for people: an agent with the auditor role or group is refused', async () => {
    for (const claims of [
      { agent: 'sneaky', groups: ['auditors'] },
      { agent: 'sneaky2', roles: ['Auditor'] },
    ]) {
      const token = await host.issuer.mint(claims);
      const res = await fetch(`${host.url}/api/v1/audit`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 403);
    }
  });

  test('round 17: no form of SELECT body hides a LIMIT, ORDER BY or comparison from the analysis', async () => {
    const ascii = '(select ascii(substr(ssn, 1, 1)) from customers where id = 1)';
    for (const sql of [
      `with recursive x(n) as (select n from generate_series(1, 300) n union all select 0 limit ${ascii}) select count(*) from x`,
      `select count(*) from (values (1), (2), (3) limit ${ascii}) v`,
      `select count(*) from (values (1), (2), (3) order by ${ascii}) v`,
      "with recursive x(v) as (select ssn from customers where id = 1 intersect select '748-93-8418') select count(*) from x",
      "with recursive r(v) as (select email from customers where id = 1 union select 'a@b.c' from r) select count(*) from r",
    ]) {
      const { status, json } = await send(sql);
      assert.notEqual(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 200)}`);
    }
    // An ordinary recursive CTE still answers.
    const { status, json } = await send(
      'with recursive n(i) as (select 1 union all select i + 1 from n where i < 5) select i from n',
    );
    assert.equal(status, 200, JSON.stringify(json.error));
    assert.equal((json.rows as unknown[]).length, 5);
  });

  test('round 19: grouping sets group by what they name; nested WITH RECURSIVE is refused quickly', async () => {
    for (const sql of [
      'select ssn, count(*), min(id) from customers where id < 8 group by rollup(1)',
      "select card_number, count(*) n, min(src) from (select card_number, 'c'||id src from customers where id < 4 union all select card_number, 'p'||id from payments where id < 40) t group by rollup(1) order by 2 desc",
      'select t.* from customers c cross join lateral (select p.card_number as city, count(*) n, min(p.id) m from payments p where p.id < 40 group by rollup(city)) t where c.id = 1 order by n desc',
    ]) {
      const { status, json } = await send(sql);
      assert.notEqual(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 200)}`);
    }
    const level = (k: number): string =>
      k === 0
        ? '1'
        : `(with recursive r${k}(a,b,c,d,e,f) as (select 1,1,1,1,1,id from customers where id = 1 union all select b,c,d,e,f, ${level(k - 1)} from r${k} where a < 0) select a from r${k} limit 1)`;
    const { status, json } = await send(`select ${level(10)}`);
    assert.equal(status, 400);
    assert.equal(errorOf(json).code, 'statement_refused');
    assert.equal((await send('select city, count(*) from customers group by rollup(city)')).status, 200);
  });

  test('round 20: a name meant for an output the gateway could not name is traced to it', async () => {
    for (const sql of [
      "select c.id, x.m from customers c, lateral (select (select * from (select c.ssn as city) s), 1 as m union all select '500-00-0000', 2 order by city limit 1) x(a, m) where c.id < 12 order by c.id",
      'select id, (select * from (select c2.ssn as city from customers c2 where c2.id = c.id) s) from customers c where id < 12 order by city',
      'select count(*) from (select distinct on (city) (select * from (select p.card_number as city) s) from payments p, (values (1)) z(city) order by city) d',
    ]) {
      const { status, json } = await send(sql);
      assert.notEqual(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 200)}`);
    }
    const many = `select ${Array(7_000).fill('t.x').join(',')} from rows from (${Array(6_500).fill('pi()').join(',')}) t`;
    const { status, json } = await send(many);
    assert.equal(status, 400);
    assert.equal(errorOf(json).code, 'statement_refused');
  });

  test('round 21: GROUP BY a name that is also a FROM column of guessed name groups by that column', async () => {
    for (const sql of [
      "select count(*) as groups from (select 1 as one, 'z' as k from customers c join lateral (select (select * from (select c.full_name as k) s)) x on true group by k) g",
      "select string_agg(c.id::text, ',' order by c.id) as ids, 'z' as k from customers c join lateral (select (select * from (select c.ssn as k) s)) x on true where c.id <= 10 group by k",
      "select 'z' as k, count(*) from (select card_number from customers union all select card_number from payments) u join lateral (select (select * from (select u.card_number as k) s)) x on true group by k having count(*) > 1",
    ]) {
      const { status, json } = await send(sql);
      assert.notEqual(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 200)}`);
    }
    // Ordinary sorted and grouped reads still run.
    for (const sql of [
      'select upper(city) as k, count(*) from customers group by k',
      'select id, city::text, upper(city), card_number from customers where id < 5 order by id',
      'select city, count(*) from customers join lateral (select upper(customers.city) u) x on true group by city',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 300)}`);
    }
  });

  test('round 23: rows carried, not rows returned, are what a read costs', async () => {
    // Ten copies of customers in one join: 300 rows that are 3,000 customers, the whole table.
    const copies = Array.from({ length: 9 }, (_, i) => i + 1);
    const selfJoin = `select a0.id, a0.card_number, ${copies.map((k) => `a${k}.id i${k}, a${k}.card_number k${k}`).join(', ')} from customers a0 ${copies.map((k) => `join customers a${k} on a${k}.id = a0.id + ${k * 300}`).join(' ')} where a0.id <= 300`;
    // Eleven scalar subqueries of 999 rows each: every InitPlan's rows were read.
    const initPlans = `select ${Array.from({ length: 11 }, (_, k) => `(select string_agg(id::text || ':' || city, ',') from customers where id > ${k * 999} and id <= ${(k + 1) * 999}) c${k}`).join(', ')}`;
    for (const sql of [selfJoin, initPlans]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      assert.notEqual(status, 200, `${sql.slice(0, 80)}: ${JSON.stringify(json).slice(0, 300)}`);
    }
    // A two-way join of different tables still counts as its rows.
    const join = await send(
      'select o.id, c.city from orders o join customers c on c.id = o.customer_id where o.id <= 50',
    );
    assert.equal(join.status, 200, JSON.stringify(join.json).slice(0, 300));
    const left = (join.json.budget as { rowsLeft: number }).rowsLeft;
    assert.equal(left, 4000 - 50);
  });

  test('round 25: a row that carries other rows is counted for them; a counted read cannot change between runs', async () => {
    const lags = Array.from({ length: 19 }, (_, k) => `lag(city, ${k + 1}) over w as c${k + 1}`).join(', ');
    const pivot = Array.from(
      { length: 100 },
      (_, k) => `max(city) filter (where id % 100 = ${k}) as c${k}`,
    ).join(', ');
    for (const sql of [
      `select * from (select id, city, ${lags} from customers window w as (order by id)) s where id % 20 = 0`,
      `select id / 100 as g, ${pivot} from customers group by id / 100`,
      // A sum over a filter of one row is that row's amount; a window aggregate over a frame
      // of one other row is that row's value.
      `select id / 100 as g, ${pivot.replaceAll('max(city)', 'sum(amount)')} from orders group by id / 100`,
      `select * from (select id, ${Array.from({ length: 19 }, (_, k) => `sum(amount) over (order by id rows between ${k + 1} following and ${k + 1} following) as a${k}`).join(', ')} from orders) s where id % 20 = 0`,
    ]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      assert.notEqual(status, 200, `${sql.slice(0, 80)}: ${JSON.stringify(json).slice(0, 300)}`);
    }
    // Counted by one run and read by another, a fold over random() read nothing when counted
    // and everything when read, one time in four: refused before either run.
    const coin = await send(
      "select string_agg(id || ':' || city, ';') as s from customers where (select random()) < 0.5",
    );
    assert.equal(coin.status, 403, JSON.stringify(coin.json).slice(0, 300));
    assert.match(errorOf(coin.json).message, /random in a read that folds rows/);
    // Ordinary grouped and windowed reads still answer.
    for (const sql of [
      'select city, count(*), max(created_at) from customers group by city',
      'select id, lag(amount) over (order by id) from orders where id <= 100',
      'select count(*) from customers',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 300)}`);
    }
  });

  test('round 26: an aggregate narrowed to chosen rows carries them; a plain summary does not', async () => {
    const slopes = Array.from(
      { length: 100 },
      (_, k) => `regr_slope(amount, case when id % 100 = ${k} then 1 else 0 end) as s${k}`,
    ).join(', ');
    const counts = Array.from(
      { length: 500 },
      (_, k) => `count(*) filter (where id = ${k + 1}) as c${k + 1}`,
    ).join(', ');
    for (const sql of [
      `select id / 100 as g, count(*) as n, regr_intercept(amount, case when id % 100 = 1 then 1 else 0 end) as i0, ${slopes} from orders where id < 5000 group by 1`,
      `select city, ${counts} from customers where id <= 500 group by city`,
    ]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      assert.notEqual(status, 200, `${sql.slice(0, 80)}: ${JSON.stringify(json).slice(0, 300)}`);
    }
    // A daily report of plain summaries (and one max per day) is an ordinary read.
    const daily = await send(
      'select created_at::date as day, count(*), sum(amount), avg(amount), max(amount) from orders group by 1 order by 1 limit 500',
    );
    assert.equal(daily.status, 200, JSON.stringify(daily.json).slice(0, 300));
  });

  test('round 28: ordinary reports over summaries and parts of values answer', async () => {
    for (const sql of [
      'select avg(n) from (select customer_id, count(*) n from orders group by customer_id) t',
      'with t as (select customer_id, sum(amount) ltv from orders group by 1) select count(*), avg(ltv), stddev(ltv) from t',
      'select avg(extract(hour from o.created_at)), avg(length(c.city)) from orders o join customers c on c.id = o.customer_id',
      'select status, sum(amount) / sum(sum(amount)) over () as share from orders group by status',
      'select sum(greatest(amount, 0)) from orders',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 300)}`);
    }
    // A weight per row is still a fold, counted by the rows it read.
    const packed = await sendUnchecked(
      'select sum(s * 10 ^ id) from (select id, sum(amount) s from orders group by id) t',
      `agent-${agent++}`,
    );
    assert.notEqual(packed.status, 200, JSON.stringify(packed.json).slice(0, 300));
  });

  test('rounds 29 and 30: a weight per CASE arm is a fold; arms of one value are counted a row each', async () => {
    // A chain of one constant built a weight per arm: 216 amounts in a cell for 1 row.
    const chain = (k: number) => `amount${'*1e6'.repeat(k)}`;
    const arms = Array.from({ length: 12 }, (_, k) => `when id = ${k + 1} then ${chain(k)}`).join(' ');
    const folded = await sendUnchecked(
      `select 'x' || sum(case ${arms} end) as p from orders`,
      `agent-${agent++}`,
    );
    assert.notEqual(folded.status, 200, JSON.stringify(folded.json).slice(0, 300));
    // Round 30: arms of their own weights are a fold however the weights are made, windowed
    // or a level out; arms of one value are charged a row each.
    for (const sql of [
      'select sum(case when id=1 then amount when id=2 then amount*1e7 when id=3 then amount*1e7*1e7 end) over () as p from orders limit 1',
      "select sum(case status when 'paid' then (id-id+1) when 'shipped' then (id-id+1+1) when 'delivered' then (id-id+1+1+1) end) from orders",
      'select sum(case g when 1 then s when 2 then s * 1e133 end) from (select id / 10 g, sum(amount) s from orders group by 1) t',
    ]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      assert.notEqual(status, 200, `${sql.slice(0, 80)}: ${JSON.stringify(json).slice(0, 300)}`);
    }
    // Round 31: var_samp over {x, 0} squares x, and a chain of them packed 200 amounts into a
    // cell for 29 rows of budget. A variance's output is never a plain summand: the read is a
    // fold, charged every row its scans read.
    const squares = await sendUnchecked(
      "select translate(sum(v)::text, '0123456789', 'klmnopqrst') from (select t.id, var_samp(case when x.b = 1 then t.v + t.v else 0 end) v from (select o.id, var_samp(case when x.b = 1 then o.id + o.id else 0 end) v from orders o cross join (values (0), (1)) x(b) where o.id <= 200 group by o.id) t cross join (values (0), (1)) x(b) group by t.id) s",
      `agent-${agent++}`,
    );
    assert.equal(squares.status, 200, JSON.stringify(squares.json).slice(0, 300));
    const left = (squares.json.budget as { rowsLeft: number }).rowsLeft;
    assert.ok(left <= 4000 - 200, `charged ${4000 - left} rows for 200 rows read`);
    const columns = Array.from(
      { length: 20 },
      (_, c) =>
        `sum(case ${[1, 2, 3, 4, 5].map((k) => `when id = ${c * 5 + k} then amount`).join(' ')} end) as c${c}`,
    ).join(', ');
    const charged = await sendUnchecked(`select ${columns} from orders`, `agent-${agent++}`);
    assert.equal(charged.status, 200, JSON.stringify(charged.json).slice(0, 300));
    assert.equal((charged.json.budget as { rowsLeft: number }).rowsLeft, 4000 - 20 * 5);
    // An ordinary pivot by status is a plain read.
    const pivot = await send(
      "select status, sum(amount), avg(amount), sum(case when status = 'paid' then amount else 0 end) from orders group by status",
    );
    assert.equal(pivot.status, 200, JSON.stringify(pivot.json).slice(0, 300));
    // A long number written inside a text is withheld like a long number.
    const text = await send("select 'x' || (10::numeric ^ 60)::text as t");
    assert.equal(text.status, 200);
    assert.equal((text.json.rows as Array<{ t: string }>)[0]?.t, '[REDACTED]');
  });

  test('round 32: a count over a frame of one other row, and each percentile fraction, carry a row', async () => {
    const cities = ['Geneva', 'Zurich', 'Lisbon', 'Istanbul', 'Warsaw'];
    const bits = Array.from({ length: 20 }, (_, k) =>
      cities.map(
        (c, b) =>
          `count(*) filter (where city = '${c}') over (order by id rows between ${k} following and ${k} following) c${k}_${b}`,
      ),
    ).flat();
    const fractions = Array.from(
      { length: 100 },
      (_, k) => `percentile_cont(${k / 100}) within group (order by id * 1000 + length(city)) p${k}`,
    );
    for (const sql of [
      `select * from (select id, city, ${bits.join(', ')} from customers) s where id % 20 = 1`,
      `select * from (select id, ${bits.map((b) => b.replace(/count\(\*\) filter \(where (city = '\w+')\)/, 'count(nullif($1, false))')).join(', ')} from customers) s where id % 20 = 1`,
      `select (id - 1) / 50 g, ${fractions.join(', ')} from customers group by 1`,
      `select (id - 1) / 50 g, ${fractions.map((f, k) => f.replace(/percentile_cont\([^)]*\)/, `rank(${k * 50}) `)).join(', ')} from customers group by 1`,
    ]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      assert.notEqual(status, 200, `${sql.slice(0, 120)}: ${JSON.stringify(json).slice(0, 300)}`);
    }
    // One numbering, a median, and a count per city are ordinary.
    for (const sql of [
      'select id, row_number() over (order by id) from customers where id <= 50',
      'select id, rank() over (partition by city order by id), count(*) over (partition by city) from customers where id <= 50',
      'select city, percentile_cont(0.5) within group (order by id) from customers group by city',
      'select id, ntile(4) over (order by created_at) from orders where id <= 100',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 300)}`);
    }
  });

  test('round 34: a condition moved into a derived table is still a condition; rows repeated by a column are counted', async () => {
    const bools = Array.from({ length: 60 }, (_, k) =>
      Array.from({ length: 5 }, (_, b) => `(id = ${k + 1} and (ascii(city) >> ${b}) & 1 = 1) b${k}_${b}`),
    ).flat();
    const counts = Array.from({ length: 200 }, (_, k) => `case when c.id = ${k + 1} then 1 end a${k}`);
    // 60 customers' cities as bits: charged a row per call, so at least the 60 it carries.
    const bits = await sendUnchecked(
      `select ${bools.map((b) => `bool_or(${b.split(' ').at(-1)})`).join(', ')} from (select ${bools.join(', ')} from customers where id <= 60) t`,
      `agent-${agent++}`,
    );
    if (bits.status === 200) assert.ok((bits.json.budget as { rowsLeft: number }).rowsLeft <= 4000 - 60);
    for (const sql of [
      `select ${counts.map((_, k) => `count(a${k})`).join(', ')} from (select ${counts.join(', ')} from customers c, generate_series(1, ascii(c.city) - 64) g where c.id <= 200) t`,
      'select (c.id - 1) / 4 as grp, count(*) as n from customers c, generate_series(1, (ascii(c.city) - 65) * power(26, (c.id - 1) % 4)::int) g where c.id <= 400 group by 1',
      // One free numbering, partitioned by a derived expression: a bit of every dropped row.
      `select * from (select id, ${Array.from({ length: 5 }, (_, k) => `count(*) over (partition by g${k} order by id) n${k}`).join(', ')} from (select id, ${Array.from({ length: 5 }, (_, k) => `(ascii(city) >> ${k}) & 1 = 1 as g${k}`).join(', ')} from customers) t) u where id % 2 = 0`,
    ]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      assert.notEqual(status, 200, `${sql.slice(0, 120)}: ${JSON.stringify(json).slice(0, 300)}`);
    }
    // Plain derived columns and constant series stay plain.
    for (const sql of [
      'select count(city), count(distinct city) from (select id, city from customers) t',
      'select id, row_number() over (order by id) from (select id from customers where id <= 50) t',
      'select c.id, g from customers c, generate_series(1, 3) g where c.id <= 10',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 300)}`);
    }
  });

  test('round 35: an outer name counted inside a subquery, and rows repeated by a select-list series or a range join', async () => {
    const n = 300;
    const arms = Array.from({ length: n }, (_, k) => `case when id = ${k + 1} then 1 end as a${k + 1}`);
    const counted = Array.from({ length: n }, (_, k) => `count(a${k + 1})`);
    const weight = 'case (id - 1) % 3 when 0 then 1 when 1 then 27 else 729 end';
    for (const sql of [
      `select city, (select array[${counted.join(', ')}] from orders limit 1) as v from (select city, ${arms.join(', ')} from customers where id <= ${n}) s group by city`,
      `select g, count(*) as n from (select (id - 1) / 3 as g, generate_series(1, (ascii(city) - 64) * ${weight}) from customers where id <= 600) s group by g`,
      `select (c.id - 1) / 3 as g, count(*) as n from customers c join generate_series(1, 19683) q on q <= (ascii(c.city) - 64) * ${weight.replaceAll('id', 'c.id')} where c.id <= 600 group by 1`,
      `select (c.id - 1) / 3 as g, count(*) from customers c join orders o on o.id <= (ascii(c.city) - 64) * ${weight.replaceAll('id', 'c.id')} where c.id <= 600 group by 1`,
    ]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      if (process.env.SOUND_DEBUG)
        console.log(status, JSON.stringify(json.budget ?? json.error).slice(0, 200));
      if (status !== 200) continue;
      // Allowed only if charged at least the customers it carries.
      const left = (json.budget as { tables?: Record<string, { rowsLeft: number }> }).tables?.[
        'public.customers'
      ];
      assert.ok(
        left === undefined || left.rowsLeft <= 3000 - n,
        `${sql.slice(0, 120)}: ${JSON.stringify(json).slice(0, 300)}`,
      );
    }
    // An ordinary report over an equi-join, and a selective range join, still answer.
    for (const sql of [
      'select sum(length(order_ref)), avg(length(city)) from orders join customers c on c.id = orders.customer_id',
      'select c.city, count(*) from customers c join orders o on o.customer_id = c.id and o.amount > 100 where c.id <= 20 group by c.city',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json).slice(0, 300)}`);
    }
  });

  test('round 39: rows weighted by a joined VALUES list or a range written with ANY are counted', async () => {
    const cities = ['Geneva', 'Zurich', 'Lisbon', 'Istanbul', 'Warsaw', 'Berlin'];
    const repeated = cities.flatMap((c, i) => Array.from({ length: i }, () => `('${c}')`)).join(', ');
    for (const sql of [
      `select c.id / 3 as g, sum(c.id) s from customers c join (values ${repeated}) m(city) on m.city = c.city where c.id <= 300 group by 1`,
      'select c.id, count(*) n from customers c join orders o on o.id <= any(array[ascii(c.city) * 40]) where c.id <= 30 group by 1',
    ]) {
      const { status, json } = await sendUnchecked(sql, `agent-${agent++}`);
      if (status !== 200) continue;
      // Counted by the rows the join made, so charged more than the groups it returned.
      const left = (json.budget as { rowsLeft: number }).rowsLeft;
      assert.ok(
        4000 - left > (json.rowCount as number) * 2,
        `${sql.slice(0, 100)}: ${JSON.stringify(json).slice(0, 300)}`,
      );
    }
  });

  test('round 23: demo and sandbox, one database, spend one connection budget', async () => {
    const name = `agent-${agent++}`;
    const token = await host.issuer.mint({ agent: name });
    const page = (connection: string, offset: number) =>
      fetch(`${host.url}/api/v1/connections/${connection}/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          sql: `select id, amount from orders order by id limit 1000 offset ${offset}`,
        }),
      });
    for (let i = 0; i < 4; i++) assert.equal((await page('demo', i * 1000)).status, 200);
    const other = await page('sandbox', 4000);
    assert.equal(other.status, 202, 'the same rows through another entry are over the same budget');
  });

  test('round 18: shapes whose analysis or planning outgrow their text are refused before either, and audited', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        Array(5_200).fill('select 1').join(' union all '),
        /UNION, INTERSECT or EXCEPT than .* \(at most 127\)/,
      ],
      [
        `select t0.id from ${Array.from({ length: 2_000 }, (_, i) => `customers t${i}`).join(', ')}`,
        /in FROM than .* \(at most 64\)/,
      ],
      [
        `with ${Array.from({ length: 3_000 }, (_, i) => `q${i} as (select ${i === 0 ? 'id from customers' : `id from q${i - 1}`})`).join(', ')} select id from q2999`,
        /WITH queries than .* \(at most 32\)/,
      ],
    ];
    const auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
    for (const [sql, message] of cases) {
      assert.ok(sql.length < 100 * 1024, `${sql.length} bytes`);
      const { status, json } = await send(sql);
      assert.equal(status, 400);
      assert.equal(errorOf(json).code, 'statement_refused');
      assert.match(errorOf(json).message, message);
      const trail = await fetch(`${host.url}/api/v1/audit/${json.requestId}`, {
        headers: { authorization: `Bearer ${auditor}` },
      });
      assert.equal(trail.status, 200, 'the refusal is in the audit trail');
    }
  });

  test('audited statements are whole, with parameters and what was released', async () => {
    const padding = ' '.repeat(25_000);
    const sql = `select id, city from customers where id = $1 /*${padding}*/ and city <> 'secret-tail'`;
    const { status, json } = await send(sql, 'auditee', { params: [2] });
    assert.equal(status, 200);
    const auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
    const res = await fetch(`${host.url}/api/v1/audit?limit=200`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    const records = ((await res.json()) as { records: Array<Record<string, unknown>> }).records;
    const record = records.find((r) => r.requestId === json.requestId);
    assert.ok(record);
    assert.equal(record.statement, sql);
    assert.deepEqual(record.params, [2]);
    assert.equal(record.rowsReturned, 1);
    assert.equal(record.cellsReturned, 2);
    assert.ok(Number(record.bytesReturned) > 0);
  });

  test('ordinary reads keep working', async () => {
    const ok = [
      'select id, city, email from customers where id = 1',
      'select count(*) from customers',
      'select sum(amount), avg(amount), min(amount), max(amount) from orders',
      'select city, count(*) from customers group by city order by 2 desc',
      'select status, count(*) from orders group by status',
      'select id, amount, rank() over (partition by status order by amount desc) from orders where customer_id = 5',
      'select upper(city) from customers where id < 10',
      "select date_trunc('month', created_at) m, count(*) from orders group by 1 order by 1",
      "select id, case when amount > 100 then 'big' else 'small' end from orders where customer_id = 7",
      'select c.id, o.order_ref, o.amount from customers c join orders o on o.customer_id = c.id where c.id = 3',
      'select body from support_tickets where id < 20',
      'select extract(year from created_at) y, count(*) from orders group by 1',
    ];
    for (const sql of ok) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql}: ${JSON.stringify(json.error)}`);
    }
    const point = await send('select id, email, card_number from customers where id = 1');
    const row = (point.json.rows as Array<Record<string, string>>)[0];
    assert.match(row.card_number, /^\*+\d{4}$/);
    assert.match(row.email, /\*/);
  });
});
