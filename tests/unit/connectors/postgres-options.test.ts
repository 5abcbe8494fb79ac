import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { type ConnectionConfig, connectionSchema } from '../../../shared/config/connections.js';
import {
  closeAllPostgresConnectors,
  createPostgresConnector,
  getPostgresConnector,
  POSTGRES_ENTRA_SCOPE,
  postgresOptionsFor,
} from '../../../shared/connectors/postgres.js';

/** Test fake: records the scopes asked for and hands out a fixed token. */
class FakeTokenCredential implements TokenCredential {
  readonly requests: Array<string | string[]> = [];
  constructor(private readonly token: string | null) {}
  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
    this.requests.push(scopes);
    return this.token === null ? null : { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

function connection(target: unknown, id = 'sales'): ConnectionConfig {
  return connectionSchema.parse({ id, engine: 'postgres', environment: 'test', target });
}

const server = { host: 'db.example.postgres.database.azure.com', database: 'sales', user: 'agentgate-mi' };

async function passwordOf(options: { password: string | (() => Promise<string>) }): Promise<string> {
  return typeof options.password === 'string' ? options.password : options.password();
}

describe('postgres connection options', () => {
  after(() => closeAllPostgresConnectors());

  it('auth entra asks the credential for the Azure Database for PostgreSQL scope', async () => {
    const credential = new FakeTokenCredential('entra-access-token');
    const options = postgresOptionsFor(connection({ ...server, auth: 'entra' }), { credential });
    assert.equal(credential.requests.length, 0, 'no token fetched before a connection opens');
    assert.equal(await passwordOf(options), 'entra-access-token');
    assert.deepEqual(credential.requests, ['https://ossrdbms-aad.database.windows.net/.default']);
    assert.equal(POSTGRES_ENTRA_SCOPE, 'https://ossrdbms-aad.database.windows.net/.default');
  });

  it('the pool size is per connection: 5 by default, pool.max when given, and bounded', () => {
    const env = { PGPASSWORD: 'x' };
    const base = { ...server, auth: 'password-from-env', passwordEnv: 'PGPASSWORD' };
    assert.equal(postgresOptionsFor(connection(base), { env }).poolMax, 5);
    assert.equal(postgresOptionsFor(connection({ ...base, pool: { max: 20 } }), { env }).poolMax, 20);
    for (const bad of [{ max: 0 }, { max: 101 }, { max: 2.5 }, { max: 5, min: 1 }]) {
      assert.throws(() => connection({ ...base, pool: bad }), `pool ${JSON.stringify(bad)}`);
    }
  });

  it('auth entra always verifies TLS, even when the config says ssl: false', () => {
    const credential = new FakeTokenCredential('t');
    const options = postgresOptionsFor(connection({ ...server, auth: 'entra', ssl: false }), { credential });
    assert.deepEqual(options.ssl, { rejectUnauthorized: true });
    assert.equal(options.port, 5432);
    assert.equal(options.user, 'agentgate-mi');
  });

  it('auth entra fails the connection when the credential gives no token', async () => {
    const options = postgresOptionsFor(connection({ ...server, auth: 'entra' }), {
      credential: new FakeTokenCredential(null),
    });
    await assert.rejects(passwordOf(options), /no token/);
  });

  it('auth entra without a credential is a programming error', () => {
    assert.throws(() => postgresOptionsFor(connection({ ...server, auth: 'entra' }), {}), TypeError);
  });

  it('password-from-env reads the named variable from the record it is given, when connecting', async () => {
    const env: Record<string, string | undefined> = {};
    const options = postgresOptionsFor(
      connection({ ...server, auth: 'password-from-env', passwordEnv: 'SALES_DB_PASSWORD', ssl: false }),
      { env },
    );
    assert.equal(options.ssl, false);
    await assert.rejects(passwordOf(options), /SALES_DB_PASSWORD is not set/);
    env.SALES_DB_PASSWORD = 's3cret';
    assert.equal(await passwordOf(options), 's3cret');
  });

  it('embedded-demo connects to the demo address without TLS as postgres, one connection', () => {
    const options = postgresOptionsFor(connection('embedded-demo'), {
      demo: { host: '127.0.0.1', port: 54321 },
    });
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.port, 54321);
    assert.equal(options.user, 'postgres');
    assert.equal(options.ssl, false);
    assert.equal(options.poolMax, 1);
    assert.throws(() => postgresOptionsFor(connection('embedded-demo'), {}), TypeError);
  });

  it('refuses a non-postgres connection', () => {
    const tsql = connectionSchema.parse({
      id: 'erp',
      engine: 'tsql',
      environment: 'test',
      target: { ...server, auth: 'entra' },
    });
    assert.throws(() => postgresOptionsFor(tsql, { credential: new FakeTokenCredential('t') }), TypeError);
  });

  it('keeps one connector per connection id and replaces it when the target changes', () => {
    const demo = { host: '127.0.0.1', port: 1 };
    const first = getPostgresConnector(connection('embedded-demo', 'warm'), { demo });
    assert.equal(getPostgresConnector(connection('embedded-demo', 'warm'), { demo }), first);
    assert.notEqual(getPostgresConnector(connection('embedded-demo', 'other'), { demo }), first);
    const moved = getPostgresConnector(connection('embedded-demo', 'warm'), { demo: { ...demo, port: 2 } });
    assert.notEqual(moved, first);
  });
});

describe('postgres connector limits', () => {
  // Nothing listens on port 1: validation must fail before any connection is attempted.
  const connector = createPostgresConnector({
    host: '127.0.0.1',
    port: 1,
    database: 'postgres',
    user: 'postgres',
    password: 'postgres',
    ssl: false,
  });
  after(() => connector.close());

  for (const maxRows of [0, 1.5, Number.NaN, 2_000_000]) {
    it(`rejects maxRows ${maxRows} as misuse`, async () => {
      await assert.rejects(
        connector.execute('select 1', [], { maxRows, statementTimeoutMs: 1000 }),
        TypeError,
      );
    });
  }
  for (const statementTimeoutMs of [0, -5, 2.5, Number.POSITIVE_INFINITY]) {
    it(`rejects statementTimeoutMs ${statementTimeoutMs} as misuse`, async () => {
      await assert.rejects(connector.execute('select 1', [], { maxRows: 1, statementTimeoutMs }), TypeError);
      await assert.rejects(
        connector.estimateRows('select 1', [], { maxRows: 1, statementTimeoutMs }),
        TypeError,
      );
    });
  }

  it('closing twice is harmless', async () => {
    const extra = createPostgresConnector({
      host: '127.0.0.1',
      port: 1,
      database: 'postgres',
      user: 'postgres',
      password: 'postgres',
      ssl: false,
    });
    await extra.close();
    await extra.close();
    await assert.rejects(extra.execute('select 1', [], { maxRows: 1, statementTimeoutMs: 1000 }));
  });
});
