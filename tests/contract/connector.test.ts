import { createServer } from 'node:net';
import { after, before } from 'node:test';
import { type DemoDatabase, startDemoDatabase } from '../../cli/dev/demo-database.js';
import { createPostgresConnector } from '../../shared/connectors/postgres.js';
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
