import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PostgresConnector as Connector } from '../../shared/connectors/postgres.js';
import { GatewayError } from '../../shared/errors.js';

/**
 * The Connector port's contract, run against every adapter that can run here. The target
 * must hold the demo schema (customers, orders, ...) with `customerCount` customers.
 */

export interface ContractTarget {
  connector: Connector;
  customerCount: number;
  /** A connector for the same engine pointed at an address where nothing listens. */
  unreachable: () => Connector;
}

const LIMITS = { maxRows: 1000, statementTimeoutMs: 5000 };

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<GatewayError> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}, the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

export function runConnectorContract(name: string, makeTarget: () => Promise<ContractTarget>): void {
  describe(`Connector contract: ${name}`, () => {
    let target: ContractTarget;
    let db: Connector;
    before(async () => {
      target = await makeTarget();
      db = target.connector;
    });
    after(async () => {
      await db?.close();
    });

    it('returns typed columns with their source table and column ids', async () => {
      const r = await db.execute(
        'select id, email, created_at from customers where id <= 3 order by id',
        [],
        LIMITS,
      );
      assert.deepEqual(
        r.columns.map((c) => [c.name, c.type]),
        [
          ['id', 'int4'],
          ['email', 'text'],
          ['created_at', 'timestamptz'],
        ],
      );
      for (const c of r.columns) {
        assert.ok((c.tableId ?? 0) > 0, `${c.name} has a table id`);
        assert.ok((c.columnId ?? 0) > 0, `${c.name} has a column id`);
      }
      assert.equal(r.rowCount, 3);
      assert.equal(r.truncated, false);
      assert.deepEqual(
        r.rows.map((row) => row.id),
        [1, 2, 3],
      );
      // The instant the server holds, as the ISO text a Date would give (not a Date).
      const epochs = await db.execute(
        'select (extract(epoch from created_at) * 1000)::bigint::text as ms from customers where id <= 3 order by id',
        [],
        LIMITS,
      );
      assert.deepEqual(
        r.rows.map((row) => row.created_at),
        epochs.rows.map((row) => new Date(Number(row.ms)).toISOString()),
      );
    });

    it('runs a plain query the same way when told it is one, and caps it', async () => {
      const sql = 'select id from customers where id <= $1 order by id';
      const hinted = await db.execute(sql, [5], { ...LIMITS, maxRows: 3, plainQuery: true });
      const plain = await db.execute(sql, [5], { ...LIMITS, maxRows: 3 });
      assert.deepEqual(hinted.rows, plain.rows);
      assert.equal(hinted.truncated, true);
      assert.equal(hinted.rowCount, 3);
    });

    it('a wrong plain-query hint fails the request instead of running anything else', async () => {
      await assert.rejects(
        db.execute('show server_version', [], { ...LIMITS, plainQuery: true }),
        (e: unknown) => e instanceof GatewayError && e.code === 'query_failed',
      );
      await assert.rejects(
        db.execute('delete from orders where id = 1', [], { ...LIMITS, plainQuery: true }),
        (e: unknown) => e instanceof GatewayError && (e.code === 'query_failed' || e.code === 'forbidden'),
      );
      const still = await db.execute('select count(id) as n from orders where id = 1', [], LIMITS);
      assert.equal(Number(still.rows[0]?.n), 1);
    });

    it('keeps both values when two columns share a name', async () => {
      const r = await db.execute(
        'select c.id, o.id from customers c join orders o on o.customer_id = c.id order by o.id limit 1',
        [],
        LIMITS,
      );
      assert.deepEqual(
        r.columns.map((c) => c.name),
        ['id', 'id_2'],
      );
      const row = r.rows[0] ?? {};
      assert.notEqual(row.id_2, undefined);
      assert.equal(r.columns[0]?.tableId === r.columns[1]?.tableId, false, 'distinct source tables');
    });

    it('binds parameters and treats an injection attempt as data', async () => {
      const one = await db.execute('select id, city from customers where id = $1', [5], LIMITS);
      assert.deepEqual(
        one.rows.map((r) => r.id),
        [5],
      );
      const hostile = "x'; drop table customers; --";
      const none = await db.execute('select id from customers where email = $1', [hostile], LIMITS);
      assert.equal(none.rowCount, 0);
      const echoed = await db.execute('select $1::text as v', [hostile], LIMITS);
      assert.equal(echoed.rows[0]?.v, hostile);
      const still = await db.execute('select count(*)::int4 as n from customers', [], LIMITS);
      assert.equal(still.rows[0]?.n, target.customerCount);
    });

    it('caps rows at maxRows and reports truncation', async () => {
      const capped = await db.execute('select id from customers order by id', [], { ...LIMITS, maxRows: 10 });
      assert.equal(capped.rowCount, 10);
      assert.equal(capped.rows.length, 10);
      assert.equal(capped.truncated, true);
      const exact = await db.execute('select id from customers where id <= 10', [], {
        ...LIMITS,
        maxRows: 10,
      });
      assert.equal(exact.rowCount, 10);
      assert.equal(exact.truncated, false);
    });

    it('runs reads a cursor cannot hold, still capped', async () => {
      const show = await db.execute('show server_version', [], LIMITS);
      assert.equal(show.rowCount, 1);
      assert.equal(show.columns[0]?.name, 'server_version');
      const trailing = await db.execute('select id from customers;', [], { ...LIMITS, maxRows: 2 });
      assert.equal(trailing.rowCount, 2);
      assert.equal(trailing.truncated, true);
      const values = await db.execute('values (1), (2), (3)', [], { ...LIMITS, maxRows: 2 });
      assert.deepEqual(
        values.rows.map((r) => r.column1),
        [1, 2],
      );
      assert.equal(values.truncated, true);
    });

    it('refuses more than one statement in a call', async () => {
      await rejectsWith(db.execute('select 1; delete from orders', [], LIMITS), 'query_failed');
      await rejectsWith(db.execute('select 1; commit; delete from orders', [], LIMITS), 'query_failed');
      const n = await db.execute('select count(*)::int4 as n from orders', [], LIMITS);
      assert.ok(Number(n.rows[0]?.n) > 0);
    });

    it('refuses writes through the read-only transaction and leaves the data unchanged', async () => {
      const count = async (table: string) =>
        Number((await db.execute(`select count(*)::int4 as n from ${table}`, [], LIMITS)).rows[0]?.n);
      const orders = await count('orders');
      const customers = await count('customers');
      const firstEmail = (await db.execute('select email from customers where id = 1', [], LIMITS)).rows[0]
        ?.email;

      await rejectsWith(db.execute('delete from orders', [], LIMITS), 'forbidden');
      await rejectsWith(
        db.execute(
          "insert into customers (id, full_name, email, phone, card_number, ssn, city, created_at) values (999999, 'x', 'x', 'x', 'x', 'x', 'x', now())",
          [],
          LIMITS,
        ),
        'forbidden',
      );
      await rejectsWith(
        db.execute('update customers set email = $1 where id = 1', ['evil@example.com'], LIMITS),
        'forbidden',
      );
      await rejectsWith(
        db.execute('with gone as (delete from orders returning id) select count(*) from gone', [], LIMITS),
        'forbidden',
      );

      assert.equal(await count('orders'), orders);
      assert.equal(await count('customers'), customers);
      assert.equal(
        (await db.execute('select email from customers where id = 1', [], LIMITS)).rows[0]?.email,
        firstEmail,
      );
    });

    it('reports a syntax error as query_failed with the server message', async () => {
      const e = await rejectsWith(db.execute('selec id from customers', [], LIMITS), 'query_failed');
      assert.match(e.message, /syntax error/);
      await rejectsWith(db.execute('select nope from customers', [], LIMITS), 'query_failed');
    });

    it('estimates rows from the planner', async () => {
      const all = await db.estimateRows('select id, city from customers', [], LIMITS);
      assert.ok(all !== null, 'an estimate');
      assert.ok(Math.abs(all - target.customerCount) <= target.customerCount * 0.2, `estimate ${all}`);
      const one = await db.estimateRows('select id, city from customers where id = $1', [5], LIMITS);
      assert.equal(one, 1);
      // A statement the target rejects is the statement's error, not an unknown size.
      await rejectsWith(db.estimateRows('selec nonsense', [], LIMITS), 'query_failed');
    });

    it("prices plans: the estimate tells the root plan's cost, a cross join's far above a point read's", async () => {
      const costs: number[] = [];
      const onPlanCost = (c: { total: number }) => costs.push(c.total);
      await db.estimateRows('select id, city from customers where id = $1', [5], { ...LIMITS, onPlanCost });
      await db.estimateRows('select count(*) from customers a, customers b, customers c', [], {
        ...LIMITS,
        onPlanCost,
      });
      const [point, cross] = costs;
      assert.equal(costs.length, 2);
      assert.ok(point !== undefined && point > 0 && point < 100, `point read cost ${point}`);
      assert.ok(cross !== undefined && cross > 1_000_000, `cross join cost ${cross}`);
    });

    it('a counted estimate whose plan costs more than maxPlanCost is priced, never run', async () => {
      // Planning is fine; running divides by zero: only a statement that ran can fail so.
      const sql = "select string_agg((1 / (a.id - a.id))::text, ',') from customers a, customers b";
      const costs: number[] = [];
      const counted = {
        ...LIMITS,
        rowsRead: true,
        onPlanCost: (c: { total: number }) => costs.push(c.total),
      };
      const rows = await db.estimateRows(sql, [], { ...counted, maxPlanCost: 1000 });
      assert.ok(rows !== null && rows >= target.customerCount, `the planner's largest step: ${rows}`);
      assert.ok((costs[0] ?? 0) > 1000, `told the cost: ${costs}`);
      // Under the cap it is counted as before: run, so it fails as the statement.
      await rejectsWith(db.estimateRows(sql, [], { ...counted, maxPlanCost: 1e12 }), 'query_failed');
    });

    it('resolves result columns to their source columns', async () => {
      const r = await db.execute('select id, email, 1 as one from customers where id = 1', [], LIMITS);
      const pairs = r.columns.map((c) => ({ tableId: c.tableId ?? 0, columnId: c.columnId ?? 0 }));
      const resolved = await db.resolveColumns([...pairs, { tableId: 0, columnId: 0 }]);
      assert.deepEqual(resolved, [
        { schema: 'public', table: 'customers', column: 'id' },
        { schema: 'public', table: 'customers', column: 'email' },
        null,
        null,
      ]);
      // Served from the cache the second time, with the same answer.
      assert.deepEqual(await db.resolveColumns(pairs.slice(1, 2)), [resolved[1]]);
    });

    it('reports an unreachable target as target_unavailable', async () => {
      const dead = target.unreachable();
      try {
        const e = await rejectsWith(dead.execute('select 1', [], LIMITS), 'target_unavailable');
        assert.doesNotMatch(e.message, /ECONNREFUSED|127\.0\.0\.1/, 'generic message');
        await rejectsWith(dead.estimateRows('select 1', [], LIMITS), 'target_unavailable');
      } finally {
        await dead.close();
      }
    });

    // Last: on engines that cannot interrupt a statement (PGlite) the sleep keeps running.
    it('stops a statement at its time limit', async () => {
      await rejectsWith(
        db.execute('select pg_sleep(5)', [], { maxRows: 10, statementTimeoutMs: 200 }),
        'query_timeout',
      );
    });
  });
}
