import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { demoServerConfig } from '../cli/commands/demo.js';
import { generateDemoData } from '../cli/dev/demo-data.js';
import { loadDemoIntoPostgres } from '../cli/dev/demo-load-pg.js';
import { type PostgresServer, startPostgresServer } from '../tests/support/postgres-server.js';

const UNLIMITED = { rows: 1_000_000_000, bytes: 1_000_000_000_000 };

export interface RealPgDemo {
  server: PostgresServer;
  /** The config file whose connections point at the server (budgets that never run out). */
  configFile: string;
  /** The read-only role's password, for `PGPASSWORD` and direct clients. */
  password: string;
  /** The host's environment for this config. */
  env: Record<string, string>;
}

/**
 * A throwaway PostgreSQL server loaded with the demo (10,000 customers) and the config
 * `agentgate demo load` writes for it, in `dir`. The benches send thousands of reads as one
 * agent, so every budget (the connection's and each table's) is made one that never runs out.
 */
export async function startRealPgDemo(dir: string, password: string): Promise<RealPgDemo> {
  const server = await startPostgresServer();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await loadDemoIntoPostgres(admin, generateDemoData({ customers: 10_000 }), {
      reader: { role: 'agentgate_reader', password },
    });
  } finally {
    await admin.end();
  }
  const config = demoServerConfig({
    host: server.host,
    port: server.port,
    database: server.database,
    user: 'agentgate_reader',
  }) as { connections: Array<Record<string, unknown>> };
  for (const c of config.connections) {
    c.budget = UNLIMITED;
    const tables = Object.keys((c.tableBudgets as Record<string, unknown> | undefined) ?? {});
    c.tableBudgets = Object.fromEntries(tables.map((t) => [t, UNLIMITED]));
  }
  const configFile = join(dir, 'agentgate.json');
  await writeFile(configFile, JSON.stringify(config));
  return { server, configFile, password, env: { AGENTGATE_CONFIG: configFile, PGPASSWORD: password } };
}
