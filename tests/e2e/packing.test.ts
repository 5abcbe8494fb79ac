import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';

/**
 * Issue 7, arithmetic packing: a summarising aggregate whose argument gives each row its own
 * weight (`amount * 10^(8*id)`, `1 << id`) carries many rows in one number. Such a call is
 * counted as the rows it reads, like `string_agg`, and a released number longer than any
 * plain sum is withheld. Ordinary sums, averages and counts keep working, with right values.
 */
describe('agents cannot pack rows into one number (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let agent = 0;
  let direct: pg.Client;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-packing-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
    direct = new pg.Client({ host: host.demo?.host, port: host.demo?.port, user: 'postgres' });
    await direct.connect();
  });

  after(async () => {
    await direct?.end();
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function send(sql: string) {
    const token = await host.issuer.mint({ agent: `packer-${agent++}` });
    const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function truth(sql: string): Promise<unknown[]> {
    return (await direct.query(sql)).rows.map((r) => Object.values(r).map(String));
  }

  function cells(json: Record<string, unknown>): unknown[] {
    return ((json.rows as Record<string, unknown>[]) ?? []).map((r) => Object.values(r).map(String));
  }

  test('a whole table packed into one number waits for a person', async () => {
    for (const sql of [
      'select sum(amount * 10::numeric ^ (8*id)) from orders',
      'select avg(amount * 10::numeric ^ (8*id)) from orders',
      'select sum(id * 2::numeric ^ (20*id)) from customers',
      'select sum(amount * power(10::numeric, 8*id)) from orders',
      'select bit_or(1::bigint << id) from orders',
      'select bit_and(~(1::bigint << id)) from orders',
      'select var_pop(amount * 10::numeric ^ (8*id)) from orders',
      'select sum(amount * 10::numeric ^ (8*id)) over () from orders limit 1',
      // Through a derived column of a subquery or CTE.
      'select sum(x) from (select amount * 10::numeric ^ (8*id) x from orders) s',
      'with w as (select id, 10::numeric ^ (8*id) k from orders) select sum(o.amount * w.k) from orders o join w using (id)',
      // Two row values multiplied: one of them can be a weight.
      'select sum(o.amount * c.id) from orders o join customers c on c.id = o.customer_id',
      // A weight per row chosen by a condition.
      "select sum(case when status = 'paid' then 1 when id % 2 = 0 then 2 when id % 3 = 0 then 4 when id % 5 = 0 then 8 else 16 end) from orders",
      'select sum(amount * 10::numeric ^ (8*id))::text from orders',
      // No aggregate: a recursive CTE folds one row per step into its accumulator.
      "with recursive r(i, acc) as (select 0, ''::text union all select i+1, acc || ',' || (select city from customers where id=i+1) from r where i < 3000) select acc from r order by i desc limit 1",
    ]) {
      const { status, json } = await send(sql);
      if (process.env.PACKING_DEBUG)
        console.log(status, JSON.stringify(json.error ?? json).slice(0, 160), sql);
      assert.notEqual(status, 200, `${sql} answered ${JSON.stringify(json).slice(0, 200)}`);
    }
  });

  test('a packed number under the row rules is still not released', async () => {
    const sql = 'select sum(amount * 10::numeric ^ (8*id)) p from orders where id <= 20';
    const { status, json } = await send(sql);
    if (process.env.PACKING_DEBUG) console.log(status, JSON.stringify(json).slice(0, 300));
    if (status === 200) {
      const [[value]] = cells(json) as string[][];
      assert.equal(value, '[REDACTED]');
    }
    const [[packed]] = (await truth(sql)) as string[][];
    assert.ok(!JSON.stringify(json).includes(packed.slice(0, 30)));
  });

  test('a packed number in disguise (letters, other digits, base64, JSON, bytes) is withheld', async () => {
    const n = `(select sum(amount * 10::numeric ^ (8*id))::text from orders where id <= 20)`;
    const disguises = {
      letters: `translate(${n}, '0123456789.', 'abcdefghijk')`,
      arabic: `translate(${n}, '0123456789', '٠١٢٣٤٥٦٧٨٩')`,
      base64: `encode(convert_to(${n}, 'UTF8'), 'base64')`,
      json: `json_build_object('v', translate(${n}, '0123456789', 'QWERTYUIOP'))`,
      bytes: `convert_to(translate(${n}, '0123456789', 'abcdefghij'), 'UTF8')`,
    };
    // The analysis charges the read 20 rows and lets it run: the backstop is what holds here.
    let released = 0;
    for (const [name, expression] of Object.entries(disguises)) {
      const sql = `select ${expression} as p`;
      const { status, json } = await send(sql);
      if (process.env.PACKING_DEBUG) console.log(name, status, JSON.stringify(json).slice(0, 300));
      if (status !== 200) {
        assert.equal(status, 202, name);
        continue;
      }
      released++;
      const [row] = json.rows as Record<string, unknown>[];
      assert.equal(row?.p, '[REDACTED]', `${name}: ${JSON.stringify(json).slice(0, 200)}`);
      assert.deepEqual((json.masking as { columns: object }).columns, { p: 'gateway.packed_number' }, name);
    }
    assert.ok(released > 0, 'the backstop was not reached');
  });

  test('a counted estimate never runs what a masked value could make fail', async () => {
    const [[first]] = (await truth('select substr(ssn, 1, 1) from customers where id = 1')) as string[][];
    const other = first === '7' ? '6' : '7';
    for (const form of [
      "select sum(case when substr(ssn,1,1) = 'X' then 1/(id-id) else 0 end) from customers where id = 1",
      "select string_agg(case when substr(ssn,1,1) = 'X' then (1/(id-id))::text end, ',') from customers where id = 1",
    ]) {
      const right = await send(form.replace('X', first));
      const wrong = await send(form.replace('X', other));
      const answer = (r: { status: number; json: Record<string, unknown> }) => {
        const { code, policyIds, sqlstate } = (r.json.error ?? {}) as Record<string, unknown>;
        return { status: r.status, code, policyIds, sqlstate };
      };
      assert.deepEqual(answer(right), answer(wrong), form);
      assert.equal(right.status, 202, form);
    }
  });

  test('ordinary summaries keep working, with the values the database gives', async () => {
    for (const sql of [
      'select count(*) from customers',
      'select sum(amount) from orders',
      'select avg(amount) from orders',
      'select round(avg(amount), 2) from orders',
      'select status, sum(amount) from orders group by status order by status',
      'select max(id) from customers',
      'select min(amount), max(amount) from orders',
      'select sum(amount * 2) from orders',
      'select sum(-amount / 100) from orders',
      'select sum(amount::float8) from orders',
      "select sum(case when status = 'paid' then amount else 0 end) from orders",
      "select sum(case when status = 'paid' then 1 else 0 end), count(*) from orders",
      'select sum(x) from (select amount x from orders) s',
      'select customer_id, sum(amount) from orders group by customer_id order by 2 desc, 1 limit 5',
      'select stddev(amount) from orders',
      'select bit_or(id) from orders',
      'with recursive n(i) as (select 1 union all select i + 1 from n where i < 10) select i from n order by i',
    ]) {
      const { status, json } = await send(sql);
      assert.equal(status, 200, `${sql} answered ${JSON.stringify(json).slice(0, 300)}`);
      assert.deepEqual(cells(json), await truth(sql), sql);
    }
  });
});
