import assert from 'node:assert/strict';
import { createServer, type Server, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { generateDemoData } from '../../../cli/dev/demo-data.js';
import { DEMO_READER_ROLE, loadDemoIntoPostgres } from '../../../cli/dev/demo-load-pg.js';
import { drawThreshold } from '../../../shared/connectors/postgres/wire-meter.js';
import { createPostgresConnector, type PostgresConnector } from '../../../shared/connectors/postgres.js';
import { GatewayError } from '../../../shared/errors.js';
import {
  type PostgresServer,
  skipUnlessRealPostgres,
  startPostgresServer,
} from '../../support/postgres-server.js';

/**
 * A TCP relay in front of the server that counts what the gateway costs the target: round
 * trips (each time the client sends after having received), and transactions (BEGINs, one
 * per pool checkout). Counting on the wire needs no server extension and no pg internals.
 */
interface Wire {
  port: number;
  roundTrips: number;
  /** Writes the gateway's sockets made to the relay (the relay's reads merge them). */
  sends: number;
  begins: number;
  sent: string;
  reset(): void;
  close(): Promise<void>;
}

async function wireCounter(target: { host: string; port: number }): Promise<Wire> {
  const sockets = new Set<Socket>();
  const wire = {
    port: 0,
    roundTrips: 0,
    sends: 0,
    begins: 0,
    sent: '',
    reset() {
      wire.roundTrips = 0;
      wire.sends = 0;
      wire.begins = 0;
      wire.sent = '';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    // A send counts as a new round trip when the server has answered since the last send.
    let answered = true;
    client.on('data', (chunk: Buffer) => {
      if (answered) wire.roundTrips++;
      answered = false;
      const text = chunk.toString('latin1');
      wire.sent += text;
      wire.begins += text.split('BEGIN READ ONLY').length - 1;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      answered = true;
      client.write(chunk);
    });
    upstream.connect(target.port, target.host);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  wire.port = (server.address() as { port: number }).port;
  countWrites(wire);
  return wire;
}

/**
 * Counts the writes of client sockets to the relay, at the stream methods a socket's writes
 * (corked or not) all go through: what reaches the kernel as one system call each.
 */
function countWrites(wire: Wire): void {
  type WriteFn = (this: Socket, ...args: unknown[]) => void;
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', WriteFn>;
  for (const name of ['_write', '_writev'] as const) {
    const original = proto[name];
    proto[name] = function (this: Socket, ...args: unknown[]) {
      if (this.remotePort === wire.port) wire.sends++;
      return original.apply(this, args);
    };
  }
}

const POINT = 'select id, city, email from customers where id = $1';
const options = { maxRows: 1000, statementTimeoutMs: 5000, plainQuery: true } as const;

describe('postgres read session (real server)', { skip: skipUnlessRealPostgres() }, () => {
  const password = 'session-reader-password';
  let server: PostgresServer;
  let wire: Wire;
  let connector: PostgresConnector;

  before(async () => {
    server = await startPostgresServer();
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    try {
      await loadDemoIntoPostgres(admin, generateDemoData({ customers: 2000 }), {
        reader: { role: DEMO_READER_ROLE, password },
      });
    } finally {
      await admin.end();
    }
    wire = await wireCounter(server);
    connector = createPostgresConnector({
      host: '127.0.0.1',
      port: wire.port,
      database: server.database,
      user: DEMO_READER_ROLE,
      password,
      ssl: false,
      poolMax: 2,
    });
    // Connect (authentication round trips) before counting.
    await connector.execute('select 1', [], options);
  });
  after(async () => {
    await connector?.close();
    await wire?.close();
    await server?.stop();
  });

  const openRead = (timeoutMs = 5000) => {
    assert.ok(connector.openRead, 'the postgres connector opens read sessions');
    return connector.openRead(timeoutMs);
  };

  test('an allowed point read: estimate and read in two round trips and one transaction', async () => {
    // Warm: the pool's client exists, so nothing below is connection set-up.
    wire.reset();
    const session = openRead();
    const estimated = await session.estimateRows(POINT, [7], options);
    const result = await session.execute(POINT, [7], options);
    await session.end();
    assert.equal(estimated, 1);
    assert.equal(result.rows.length, 1);
    assert.equal((result.rows[0] as { id: number }).id, 7);
    assert.equal(wire.begins, 1, 'one transaction, one checkout');
    assert.ok(wire.roundTrips <= 2, `round trips: ${wire.roundTrips}`);
    // A write per round trip (BEGIN with EXPLAIN; DECLARE, FETCH and ROLLBACK), not one per
    // statement: on a virtual machine each write is a costly system call.
    assert.ok(wire.sends <= 2, `writes: ${wire.sends}`);
    assert.match(wire.sent, /ROLLBACK/);
  });

  test("an estimate that asks for the plan's sources gets them, in the same round trip", async () => {
    wire.reset();
    const told: unknown[] = [];
    const session = openRead();
    const estimated = await session.estimateRows(
      'select c.city, o.amount from customers c join orders o on o.customer_id = c.id where c.id = $1',
      [7],
      { ...options, onPlanSources: (s) => told.push(s) },
    );
    await session.end();
    assert.equal(typeof estimated, 'number');
    assert.deepEqual(told, [[['public.customers.city'], ['public.orders.amount']]]);
    assert.match(wire.sent, /EXPLAIN \(VERBOSE, FORMAT JSON\)/);
    assert.ok(wire.roundTrips <= 2, `round trips: ${wire.roundTrips}`);
  });

  test('an answer larger than maxReadBytes fails result_too_large, on either path, and the pool lives on', async () => {
    const small = createPostgresConnector({
      host: server.host,
      port: server.port,
      database: server.database,
      user: DEMO_READER_ROLE,
      password,
      ssl: false,
      poolMax: 1,
      maxReadBytes: 1_048_576,
    });
    try {
      // 3 MB of one cell: masking would make it one [REDACTED], so only the read bound sees it.
      const big = "select repeat('x', 3000000) as t";
      assert.ok(small.openRead);
      const session = small.openRead(5000);
      await assert.rejects(
        (async () => {
          await session.estimateRows(big, [], options);
          return session.execute(big, [], options);
        })(),
        (e) => e instanceof GatewayError && e.code === 'result_too_large' && e.status === 422,
      );
      await session.end();
      await assert.rejects(
        small.execute(big, [], { ...options, plainQuery: false }),
        (e) => e instanceof GatewayError && e.code === 'result_too_large',
      );
      // The one client was destroyed, not returned broken: the next reads are answered, and
      // each request counts afresh (two 600 KB reads in a row are each within the bound).
      const again = await small.execute("select repeat('y', 600000) as t", [], options);
      assert.equal(String((again.rows[0] as { t: string }).t).length, 600_000);
      const more = await small.execute("select repeat('z', 600000) as t", [], options);
      assert.equal(String((more.rows[0] as { t: string }).t).length, 600_000);
    } finally {
      await small.close();
    }
  });

  test('an answer just over maxReadBytes is result_too_large too, never target_unavailable (round 17)', async () => {
    const limit = 1_048_576;
    const small = createPostgresConnector({
      host: server.host,
      port: server.port,
      database: server.database,
      user: DEMO_READER_ROLE,
      password,
      ssl: false,
      poolMax: 1,
      maxReadBytes: limit,
    });
    const seen = new Set<string>();
    try {
      assert.ok(small.openRead);
      // Around the bound, one of these crosses it in the chunk that also completes the
      // statement, so the destroyed socket fails the next statement of the session instead.
      // The bound falls at random in [limit * 7/8, limit]: below it every read is answered,
      // above the limit none is, and in between each crossing falls somewhere new.
      for (let size = Math.floor((limit * 7) / 8) - 1_500; size <= limit + 300; size += 2_000) {
        const sql = `select repeat('x', ${size}) as t`;
        const session = small.openRead(5000);
        try {
          await session.estimateRows(sql, [], options);
          await session.execute(sql, [], options);
          seen.add('ok');
        } catch (e) {
          assert.ok(e instanceof GatewayError && e.code === 'result_too_large', `${size}: ${String(e)}`);
          seen.add('result_too_large');
        } finally {
          await session.end().catch(() => undefined);
        }
      }
    } finally {
      await small.close();
    }
    assert.deepEqual([...seen].sort(), ['ok', 'result_too_large']);
  });

  test('where the bound trips is drawn per request: one size both passes and trips (round 44)', async () => {
    // A fixed bound was a length oracle: an agent padded a masked email with numbers (which
    // masking withholds) and binary-searched the padding that tipped 200 into 422.
    const limit = 1_048_576;
    const small = createPostgresConnector({
      host: server.host,
      port: server.port,
      database: server.database,
      user: DEMO_READER_ROLE,
      password,
      ssl: false,
      poolMax: 1,
      maxReadBytes: limit,
    });
    const outcomes = new Set<string>();
    try {
      const sql = `select repeat('x', ${Math.floor((limit * 15) / 16)}) as t`;
      for (let i = 0; i < 30 && outcomes.size < 2; i++) {
        try {
          await small.execute(sql, [], options);
          outcomes.add('ok');
        } catch (e) {
          assert.ok(e instanceof GatewayError && e.code === 'result_too_large', String(e));
          outcomes.add('result_too_large');
        }
      }
    } finally {
      await small.close();
    }
    assert.deepEqual([...outcomes].sort(), ['ok', 'result_too_large']);
  });

  test('the bound is drawn in the last eighth below the limit', () => {
    const limit = 1_048_576;
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const t = drawThreshold(limit);
      assert.ok(t > limit - limit / 8 && t <= limit, String(t));
      seen.add(t);
    }
    assert.ok(seen.size > 1_900, `only ${seen.size} distinct bounds`);
  });

  test('the old path, for comparison, costs more round trips and two transactions', async () => {
    wire.reset();
    await connector.estimateRows(POINT, [7], options);
    await connector.execute(POINT, [7], options);
    assert.equal(wire.begins, 2);
    assert.ok(wire.roundTrips > 2, `round trips: ${wire.roundTrips}`);
  });

  test('a read refused after the estimate never declares the cursor, and rolls back', async () => {
    wire.reset();
    const session = openRead();
    await session.estimateRows(POINT, [8], options);
    await session.end();
    await session.end();
    assert.doesNotMatch(wire.sent, /DECLARE/);
    assert.match(wire.sent, /ROLLBACK/);
    assert.equal(wire.begins, 1);
  });

  test('a session that never estimates or reads checks out nothing', async () => {
    wire.reset();
    await openRead().end();
    assert.equal(wire.roundTrips, 0);
  });

  test('1,000 rows through the pipelined read, capped with truncation', async () => {
    const session = openRead();
    const sql =
      'select id, full_name, email, phone, card_number, ssn, city, created_at from customers order by id';
    await session.estimateRows(sql, [], options);
    const result = await session.execute(sql, [], { ...options, maxRows: 1000 });
    assert.equal(result.rows.length, 1000);
    assert.equal(result.truncated, true);
    assert.equal(result.columns.length, 8);
  });

  test('a statement error in the read is the statement error, and the session is reusable', async () => {
    const session = openRead();
    await assert.rejects(
      session.execute("select ('x' || city)::int from customers where id = 1", [], options),
      (e: unknown) => e instanceof GatewayError && e.code === 'query_failed',
    );
    // Both pooled clients still work: the failed transaction was rolled back, not leaked.
    const again = await Promise.all([0, 1].map(() => connector.execute(POINT, [3], options)));
    assert.deepEqual(
      again.map((r) => r.rows.length),
      [1, 1],
    );
  });

  test('an estimate of a rejected statement fails as the statement, and ends the session', async () => {
    const session = openRead();
    await assert.rejects(
      session.estimateRows('select nope from customers', [], options),
      (e: unknown) => e instanceof GatewayError && e.code === 'query_failed',
    );
    await assert.rejects(session.execute(POINT, [1], options));
  });

  test('the read stays read-only: a write inside the read session is refused by the server', async () => {
    const session = openRead();
    await assert.rejects(
      session
        .execute("select set_config('default_transaction_read_only', 'off', false)", [], options)
        .then(() => connector.execute('create table owned (x int)', [], { ...options, plainQuery: false })),
      (e: unknown) => e instanceof GatewayError,
    );
  });

  test("the estimate tells the plan's cost from the same EXPLAIN: a point read stays two round trips", async () => {
    wire.reset();
    const costs: number[] = [];
    const session = openRead();
    await session.estimateRows(POINT, [7], { ...options, onPlanCost: (c) => costs.push(c.total) });
    await session.execute(POINT, [7], options);
    assert.equal(costs.length, 1);
    assert.ok((costs[0] ?? 0) > 0 && (costs[0] ?? 0) < 100, `cost ${costs}`);
    assert.equal(wire.begins, 1);
    assert.ok(wire.roundTrips <= 2, `round trips: ${wire.roundTrips}`);
  });

  test('a counted estimate over maxPlanCost is priced with BEGIN and never run (no EXPLAIN ANALYZE)', async () => {
    wire.reset();
    const costs: number[] = [];
    const session = openRead();
    const rows = await session.estimateRows(
      "select string_agg(a.city, ',') from customers a, customers b, customers c",
      [],
      { ...options, rowsRead: true, maxPlanCost: 1_000_000, onPlanCost: (c) => costs.push(c.total) },
    );
    await session.end();
    assert.ok(rows !== null && rows > 1_000_000, `the planner's largest step: ${rows}`);
    assert.ok((costs[0] ?? 0) > 1_000_000, `cost ${costs}`);
    assert.doesNotMatch(wire.sent, /ANALYZE/);
    assert.equal(wire.begins, 1);
    assert.ok(wire.roundTrips <= 2, `round trips: ${wire.roundTrips}`);
  });

  test('a counted estimate under the cap costs no more round trips than one without a cap', async () => {
    const sql = "select string_agg(city, ',') from customers where id < 50";
    const counted = { ...options, rowsRead: true };
    const trips = async (opts: typeof counted & { maxPlanCost?: number }) => {
      wire.reset();
      const session = openRead();
      const rows = await session.estimateRows(sql, [], opts);
      await session.execute(sql, [], options);
      return { rows, roundTrips: wire.roundTrips, begins: wire.begins, sent: wire.sent };
    };
    const plain = await trips(counted);
    const capped = await trips({ ...counted, maxPlanCost: 1_000_000 });
    assert.equal(capped.rows, plain.rows, 'counted the same');
    assert.match(capped.sent, /ANALYZE/);
    assert.equal(capped.begins, 1);
    assert.ok(capped.roundTrips <= plain.roundTrips, `${capped.roundTrips} > ${plain.roundTrips}`);
  });

  test('the statement timeout holds in the session', async () => {
    const session = openRead(200);
    await assert.rejects(
      session.execute('select pg_sleep(2)', [], { ...options, statementTimeoutMs: 200 }),
      (e: unknown) => e instanceof GatewayError && e.code === 'query_timeout',
    );
  });
});
