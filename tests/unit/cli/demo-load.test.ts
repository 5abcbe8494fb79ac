import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, DatabaseError } from 'pg';
import { parse as parseYaml } from 'yaml';
import { generateDemoData } from '../../../cli/dev/demo-data.js';
import { DEMO_READER_ROLE, scramSha256Verifier } from '../../../cli/dev/demo-load-pg.js';
import { DEMO_CLASSIFICATION } from '../../../cli/dev/demo-schema.js';
import { demoConfig } from '../../../cli/dev/host.js';
import { main } from '../../../cli/main.js';
import { loadConfigFile, parseConfig } from '../../../shared/config/connections.js';
import { postgresOptionsFor } from '../../../shared/connectors/postgres/connection-options.js';
import { createPostgresConnector } from '../../../shared/connectors/postgres.js';
import { runWithIo } from '../../support/capture-io.js';
import {
  type PostgresServer,
  skipUnlessRealPostgres,
  startPostgresServer,
} from '../../support/postgres-server.js';

const CUSTOMERS = 200;
const LIMITS = { maxRows: 1000, statementTimeoutMs: 5000 };
/** Outside CI a missing server skips the real-server tests; with CI=true this throws. */
const SKIP_REAL = skipUnlessRealPostgres();

async function run(argv: string[], env: Record<string, string | undefined> = {}, cwd?: string) {
  const dir = cwd ?? (await mkdtemp(join(tmpdir(), 'agentgate-demo-')));
  return { ...(await runWithIo(main, ['demo', ...argv], { cwd: dir, env })), dir };
}

/** The SQLSTATE a statement fails with (undefined when it succeeds). */
async function sqlState(client: Client, sql: string): Promise<string | undefined> {
  try {
    await client.query(sql);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof DatabaseError, String(e));
    return e.code;
  }
}

describe('agentgate demo', () => {
  test('--help, with an example, and argument errors', async () => {
    for (const argv of [['--help'], ['load', '--help'], ['load', '-h']]) {
      const r = await run(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /Usage: agentgate demo load --database-url URL/);
      assert.match(r.out, /Example:/);
    }
    assert.equal((await run([])).code, 2);
    const noUrl = await run(['load']);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.err, /--database-url URL is required/);
    const badCount = await run(['load', '--database-url', 'postgres://x@127.0.0.1/x', '--customers', '0']);
    assert.equal(badCount.code, 2);
    assert.match(badCount.err, /--customers/);
    const noSecret = await run([
      'load',
      '--database-url',
      'postgres://x@127.0.0.1/x',
      '--reader-password-env',
      'NOPE',
    ]);
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.err, /NOPE is not set/);
    const weak = await run(
      ['load', '--database-url', 'postgres://x@127.0.0.1/x', '--reader-password-env', 'WEAK'],
      { WEAK: 'short' },
    );
    assert.equal(weak.code, 2);
    assert.match(weak.err, /WEAK: the reader password must be at least 8/);
    assert.equal((await run(['unload'])).code, 2);
  });

  test('the SCRAM verifier has the server format and refuses passwords SASLprep could change', () => {
    const salt = Buffer.alloc(16, 1);
    assert.match(
      scramSha256Verifier('correct-horse', salt),
      /^SCRAM-SHA-256\$4096:[\w+/=]+\$[\w+/=]+:[\w+/=]+$/,
    );
    assert.equal(scramSha256Verifier('correct-horse', salt), scramSha256Verifier('correct-horse', salt));
    assert.throws(() => scramSha256Verifier('pässwörter'), /printable ASCII/);
    assert.throws(() => scramSha256Verifier('short'), /at least 8/);
  });

  describe('load into a real PostgreSQL server', { skip: SKIP_REAL }, () => {
    let server: PostgresServer;
    let admin: Client;
    before(async () => {
      server = await startPostgresServer();
      admin = new Client({ connectionString: server.url });
      await admin.connect();
    });
    after(async () => {
      await admin?.end();
      await server?.stop();
    });

    test('loads the demo and writes a config the gateway accepts', async () => {
      const env = { READER_SECRET: 'reader-secret-1' };
      const r = await run(
        [
          'load',
          '--database-url',
          server.url,
          '--config-out',
          'agentgate.yaml',
          '--customers',
          String(CUSTOMERS),
          '--reader-password-env',
          'READER_SECRET',
        ],
        env,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        new RegExp(`Loaded the demo into postgres on 127\\.0\\.0\\.1:${server.port}: ${CUSTOMERS} customers`),
      );
      assert.doesNotMatch(r.out, /reader-secret-1/, 'a password from the environment is not printed');

      const file = join(r.dir, 'agentgate.yaml');
      const config = parseConfig(parseYaml(await readFile(file, 'utf8')), file);
      assert.deepEqual(await loadConfigFile(file), config);
      assert.equal(config.connections.length, 1);
      const conn = config.connections[0];
      const embedded = demoConfig().connections.find((c) => c.id === 'demo');
      assert.ok(embedded);
      assert.equal(conn.id, embedded.id);
      assert.equal(conn.engine, 'postgres');
      assert.equal(conn.environment, embedded.environment);
      assert.equal(conn.maxRows, embedded.maxRows);
      assert.equal(conn.statementTimeoutMs, embedded.statementTimeoutMs);
      assert.deepEqual(conn.classification, embedded.classification);
      assert.deepEqual(conn.exposure, embedded.exposure);
      assert.deepEqual(conn.budget, embedded.budget);
      assert.ok(
        Object.keys(DEMO_CLASSIFICATION).every((k) => conn.classification[k] === DEMO_CLASSIFICATION[k]),
      );
      assert.deepEqual(conn.target, {
        host: '127.0.0.1',
        port: server.port,
        database: 'postgres',
        user: DEMO_READER_ROLE,
        auth: 'password-from-env',
        passwordEnv: 'PGPASSWORD',
        ssl: false,
        // The connection's pool size, defaulted when the config names none.
        pool: { max: 5 },
      });

      // The gateway's own path: config -> connector options (PGPASSWORD) -> read-only reads.
      const connector = createPostgresConnector(
        postgresOptionsFor(conn, { env: { PGPASSWORD: env.READER_SECRET } }),
      );
      try {
        const count = await connector.execute('select count(*)::int4 as n from customers', [], LIMITS);
        assert.equal(count.rows[0]?.n, CUSTOMERS);
        // The same seeded rows as the embedded demo.
        const expected = generateDemoData({ customers: CUSTOMERS });
        const first = await connector.execute(
          'select email, card_number from customers where id = 1',
          [],
          LIMITS,
        );
        assert.deepEqual(first.rows[0], {
          email: expected.customers[0].email,
          card_number: expected.customers[0].card_number,
        });
        const orders = await connector.execute('select count(*)::int4 as n from orders', [], LIMITS);
        assert.equal(orders.rows[0]?.n, expected.orders.length);
        // ANALYZE ran: the planner knows the size of the table.
        assert.equal(await connector.estimateRows('select id from customers', [], LIMITS), CUSTOMERS);
      } finally {
        await connector.close();
      }
    });

    test('the reader role can read the demo tables and nothing else, and cannot write', async () => {
      await admin.query('create table if not exists public.not_for_agents (secret text)');
      const reader = new Client({
        host: server.host,
        port: server.port,
        database: server.database,
        user: DEMO_READER_ROLE,
        password: 'reader-secret-1',
      });
      await reader.connect();
      try {
        assert.equal(
          (await reader.query('show default_transaction_read_only')).rows[0]?.default_transaction_read_only,
          'on',
        );
        const n = await reader.query('select count(*)::int4 as n from support_tickets');
        assert.ok(n.rows[0]?.n > 0);
        assert.equal(await sqlState(reader, 'delete from orders'), '25006');
        assert.equal(await sqlState(reader, 'select * from public.not_for_agents'), '42501');
        // Even a session that turns read-only off has no privilege to change anything.
        await reader.query('set default_transaction_read_only = off');
        assert.equal(await sqlState(reader, 'delete from orders'), '42501');
        assert.equal(await sqlState(reader, "update customers set email = 'x' where id = 1"), '42501');
        assert.equal(await sqlState(reader, 'create table public.mine (id int)'), '42501');
        assert.equal(await sqlState(reader, 'truncate payments'), '42501');
      } finally {
        await reader.end();
      }
      const still = await admin.query('select count(*)::int4 as n from orders');
      assert.ok(still.rows[0]?.n > 0);
    });

    test('refuses to load twice or to overwrite the config unless --replace; prints a generated password', async () => {
      const first = await run(['load', '--database-url', server.url, '--customers', '50']);
      assert.equal(first.code, 1);
      assert.match(first.err, /already exist.*--replace/);

      const dir = await mkdtemp(join(tmpdir(), 'agentgate-demo-'));
      const again = await run(
        ['load', '--database-url', server.url, '--customers', '50', '--replace'],
        {},
        dir,
      );
      assert.equal(again.code, 0, again.err);
      // No --config-out: the config is stdout, the messages (and the password) stderr.
      const printed = parseConfig(parseYaml(again.out));
      assert.equal(printed.connections[0]?.id, 'demo');
      const password = /PGPASSWORD='([^']+)'/.exec(again.err)?.[1];
      assert.ok(password, again.err);

      const reader = new Client({
        host: server.host,
        port: server.port,
        database: server.database,
        user: DEMO_READER_ROLE,
        password,
      });
      await reader.connect();
      try {
        assert.equal((await reader.query('select count(*)::int4 as n from customers')).rows[0]?.n, 50);
      } finally {
        await reader.end();
      }

      const out = join(dir, 'agentgate.yaml');
      const url = ['--database-url', server.url, '--customers', '50', '--config-out', out];
      assert.equal((await run(['load', ...url, '--replace'], {}, dir)).code, 0);
      const refused = await run(['load', ...url], {}, dir);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /exists; pass --replace/);
    });

    test('a server it cannot reach is one clear line, exit code 1', async () => {
      const r = await run([
        'load',
        '--database-url',
        `postgres://nobody:wrong@127.0.0.1:${server.port}/postgres`,
      ]);
      assert.equal(r.code, 1);
      assert.match(r.err, /^agentgate demo: cannot connect to the database: .*nobody/);
    });
  });
});
