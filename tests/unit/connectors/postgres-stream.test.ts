import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { generateDemoData } from '../../../cli/dev/demo-data.js';
import { type DemoDatabase, startDemoDatabase } from '../../../cli/dev/demo-database.js';
import { DEMO_READER_ROLE, loadDemoIntoPostgres } from '../../../cli/dev/demo-load-pg.js';
import type { RowBatch, StreamOptions } from '../../../shared/connectors/connector.js';
import { createPostgresConnector, type PostgresConnector } from '../../../shared/connectors/postgres.js';
import { isGatewayError } from '../../../shared/errors.js';
import {
  type PostgresServer,
  skipUnlessRealPostgres,
  startPostgresServer,
} from '../../support/postgres-server.js';

/**
 * The PostgreSQL connector's streamed read (cursor FETCH n, repeated) on the embedded demo
 * (PGlite, no pipelining) and on a real server (pipelined): batch boundaries, the row cap
 * met exactly, an empty result, and failures part-way (the sink's and the target's).
 */

const CUSTOMERS = 500;
const ALL = 'select id, email from customers order by id';

interface Seen {
  sizes: number[];
  ids: number[];
  columns: string[];
}

async function streamed(connector: PostgresConnector, sql: string, options: Partial<StreamOptions>) {
  const session = connector.openRead?.(5000);
  assert.ok(session?.stream, 'the PostgreSQL read session streams');
  const seen: Seen = { sizes: [], ids: [], columns: [] };
  const summary = await session.stream(
    sql,
    [],
    { maxRows: 1000, statementTimeoutMs: 5000, plainQuery: true, ...options },
    async (batch: RowBatch) => {
      seen.sizes.push(batch.rows.length);
      seen.columns = batch.columns.map((c) => c.name);
      for (const row of batch.rows) seen.ids.push(Number(row[0]));
    },
  );
  return { summary, seen };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function streamCases(name: string, make: () => PostgresConnector): void {
  describe(`streamed read: ${name}`, () => {
    let connector: PostgresConnector;
    before(() => {
      connector = make();
    });
    after(async () => {
      await connector.close();
    });

    it('hands over full batches and stops when the cursor runs dry', async () => {
      const { summary, seen } = await streamed(connector, ALL, { batchRows: 100 });
      assert.deepEqual(seen.sizes, [100, 100, 100, 100, 100]);
      assert.deepEqual(seen.ids, range(1, CUSTOMERS));
      assert.deepEqual(seen.columns, ['id', 'email']);
      assert.deepEqual(
        { rows: summary.rows, truncated: summary.truncated },
        { rows: CUSTOMERS, truncated: false },
      );
    });

    it('cuts the last batch at maxRows and reports the cut', async () => {
      const { summary, seen } = await streamed(connector, ALL, { batchRows: 100, maxRows: 250 });
      assert.deepEqual(seen.sizes, [100, 100, 50]);
      assert.deepEqual(seen.ids, range(1, 250));
      assert.equal(summary.truncated, true);
      assert.equal(summary.rows, 250);
    });

    it('a result of exactly maxRows rows is whole, and one row fewer allowed is truncated', async () => {
      const exact = await streamed(connector, ALL, { batchRows: 100, maxRows: CUSTOMERS });
      assert.deepEqual(exact.seen.sizes, [100, 100, 100, 100, 100]);
      assert.equal(exact.summary.truncated, false);
      const short = await streamed(connector, ALL, { batchRows: 100, maxRows: CUSTOMERS - 1 });
      assert.equal(short.seen.ids.length, CUSTOMERS - 1);
      assert.equal(short.summary.truncated, true);
    });

    it('a batch larger than the cap fetches maxRows + 1 once', async () => {
      const { summary, seen } = await streamed(connector, ALL, { batchRows: 5000, maxRows: 200 });
      assert.deepEqual(seen.sizes, [200]);
      assert.equal(summary.truncated, true);
    });

    it('an empty result is one empty batch that still names its columns', async () => {
      const { summary, seen } = await streamed(connector, 'select id, email from customers where id < 0', {});
      assert.deepEqual(seen.sizes, [0]);
      assert.deepEqual(seen.columns, ['id', 'email']);
      assert.deepEqual({ rows: summary.rows, truncated: summary.truncated }, { rows: 0, truncated: false });
    });

    it('the same rows as a read in one FETCH', async () => {
      const whole = await connector.execute(ALL, [], {
        maxRows: 1000,
        statementTimeoutMs: 5000,
        plainQuery: true,
      });
      const { seen } = await streamed(connector, ALL, { batchRows: 7 });
      assert.deepEqual(
        seen.ids,
        whole.rows.map((r) => Number(r.id)),
      );
    });

    it('a sink failing part-way ends the read with its own error, and the pool stays usable', async () => {
      const session = connector.openRead?.(5000);
      const boom = new Error('sink failed');
      let batches = 0;
      await assert.rejects(
        session!.stream!(
          ALL,
          [],
          { maxRows: 1000, statementTimeoutMs: 5000, plainQuery: true, batchRows: 100 },
          async () => {
            batches++;
            if (batches === 2) throw boom;
          },
        ),
        (e) => e === boom,
      );
      assert.equal(batches, 2);
      const after = await streamed(connector, 'select id, email from customers where id <= 3', {});
      assert.deepEqual(after.seen.ids, [1, 2, 3]);
    });

    it('a target failure part-way is query_failed after the batches before it', async () => {
      const failing = 'select id, 1 / (id - 301) as x from customers order by id';
      const sizes: number[] = [];
      const session = connector.openRead?.(5000);
      await assert.rejects(
        session!.stream!(
          failing,
          [],
          { maxRows: 1000, statementTimeoutMs: 5000, plainQuery: true, batchRows: 100 },
          async (b) => {
            sizes.push(b.rows.length);
          },
        ),
        (e) => isGatewayError(e) && e.code === 'query_failed',
      );
      assert.deepEqual(sizes.slice(0, 2), [100, 100]);
      assert.ok(sizes.length <= 3, 'no batch after the failing one');
      const after = await streamed(connector, 'select id, email from customers where id <= 2', {});
      assert.deepEqual(after.seen.ids, [1, 2]);
    });

    it('refuses a batch size that could not be a FETCH count', async () => {
      const session = connector.openRead?.(5000);
      await assert.rejects(
        session!.stream!(
          ALL,
          [],
          { maxRows: 10, statementTimeoutMs: 5000, plainQuery: true, batchRows: 0.5 },
          async () => {},
        ),
        TypeError,
      );
      await session!.end();
    });

    it('a statement that is not a plain query is read whole, in one batch', async () => {
      const { summary, seen } = await streamed(connector, 'show transaction_read_only', {
        plainQuery: false,
      });
      assert.deepEqual(seen.sizes, [1]);
      assert.equal(summary.rows, 1);
    });
  });
}

let demo: DemoDatabase | undefined;
before(async () => {
  demo = await startDemoDatabase({ customers: CUSTOMERS });
});
after(async () => {
  await demo?.stop();
});

streamCases('PGlite (embedded demo)', () =>
  createPostgresConnector({
    host: demo!.host,
    port: demo!.port,
    database: 'postgres',
    user: 'postgres',
    password: 'postgres',
    ssl: false,
    poolMax: 1,
    pipeline: false,
  }),
);

describe('on a real PostgreSQL server', { skip: skipUnlessRealPostgres() }, () => {
  const password = 'stream-reader-password';
  let server: PostgresServer | undefined;
  before(async () => {
    server = await startPostgresServer();
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    try {
      await loadDemoIntoPostgres(admin, generateDemoData({ customers: CUSTOMERS }), {
        reader: { role: DEMO_READER_ROLE, password },
      });
    } finally {
      await admin.end();
    }
  });
  after(async () => {
    await server?.stop();
  });
  streamCases('real server (pipelined)', () =>
    createPostgresConnector({
      host: server!.host,
      port: server!.port,
      database: server!.database,
      user: DEMO_READER_ROLE,
      password,
      ssl: false,
      poolMax: 1,
    }),
  );
});
