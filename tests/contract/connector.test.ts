import { createServer } from 'node:net';
import { after, before, describe } from 'node:test';
import { Client } from 'pg';
import { generateDemoData } from '../../cli/dev/demo-data.js';
import { type DemoDatabase, startDemoDatabase } from '../../cli/dev/demo-database.js';
import { DEMO_READER_ROLE, loadDemoIntoPostgres } from '../../cli/dev/demo-load-pg.js';
import { createPostgresConnector } from '../../shared/connectors/postgres.js';
import {
  type PostgresServer,
  skipUnlessRealPostgres,
  startPostgresServer,
} from '../support/postgres-server.js';
import { runConnectorContract } from './connector.contract.js';

const CUSTOMERS = 500;
let demo: DemoDatabase | undefined;

before(async () => {
  demo = await startDemoDatabase({ customers: CUSTOMERS });
});
after(async () => {
  await demo?.stop();
});

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

runConnectorContract('postgres on the embedded demo (PGlite)', async () => {
  if (demo === undefined) throw new Error('demo database not started');
  const dead = await closedPort();
  const base = {
    database: 'postgres',
    user: 'postgres',
    password: 'postgres',
    ssl: false,
    poolMax: 1,
  } as const;
  return {
    connector: createPostgresConnector({ ...base, host: demo.host, port: demo.port }),
    customerCount: CUSTOMERS,
    unreachable: () =>
      createPostgresConnector({ ...base, host: '127.0.0.1', port: dead, connectTimeoutMs: 2000 }),
  };
});

// The same contract on a real server (Debian's postgresql), as the read-only role that
// `agentgate demo load` creates: the way the gateway reaches a user's own PostgreSQL.
describe('real PostgreSQL server', { skip: skipUnlessRealPostgres() }, () => {
  const readerPassword = 'contract-reader-password';
  let server: PostgresServer | undefined;
  before(async () => {
    server = await startPostgresServer();
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    try {
      await loadDemoIntoPostgres(admin, generateDemoData({ customers: CUSTOMERS }), {
        reader: { role: DEMO_READER_ROLE, password: readerPassword },
      });
    } finally {
      await admin.end();
    }
  });
  after(async () => {
    await server?.stop();
  });

  runConnectorContract('postgres on a real PostgreSQL server', async () => {
    if (server === undefined) throw new Error('PostgreSQL server not started');
    const dead = await closedPort();
    const base = {
      database: server.database,
      user: DEMO_READER_ROLE,
      password: readerPassword,
      ssl: false,
    } as const;
    return {
      connector: createPostgresConnector({ ...base, host: server.host, port: server.port }),
      customerCount: CUSTOMERS,
      unreachable: () =>
        createPostgresConnector({ ...base, host: '127.0.0.1', port: dead, connectTimeoutMs: 2000 }),
    };
  });
});
