import { randomBytes } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { stringify as toYaml } from 'yaml';
import { parseConfig } from '../../shared/config/connections.js';
import { DEFAULT_DEMO_CUSTOMERS, generateDemoData } from '../dev/demo-data.js';
import { DEMO_BUDGET, DEMO_EXPOSURE, DEMO_PUBLIC_COLUMNS, DEMO_TABLE_BUDGETS } from '../dev/demo-exposure.js';
import {
  DEMO_READER_ROLE,
  DEMO_TABLES,
  DemoTablesExistError,
  loadDemoIntoPostgres,
  scramSha256Verifier,
} from '../dev/demo-load-pg.js';
import { DEMO_CLASSIFICATION } from '../dev/demo-schema.js';
import type { CliIo } from '../io.js';

const HELP = `Usage: agentgate demo load --database-url URL [--config-out FILE] [--customers N]
                          [--reader-password-env NAME] [--replace]

Loads the embedded demo (customers, orders, payments, support tickets: the same seeded fake
data) into a PostgreSQL server of yours, creates a read-only login role ${DEMO_READER_ROLE}
(SELECT on the four demo tables, default_transaction_read_only), runs ANALYZE, and writes a
config whose "demo" connection points at that server with the embedded demo's id, limits and
classification. The gateway reads the role's password from PGPASSWORD.

  --database-url URL         a role that may create tables in public and create roles
  --config-out FILE          where to write the config (default: print it on stdout)
  --customers N              how many customers (default ${DEFAULT_DEMO_CUSTOMERS}); orders etc. follow
  --reader-password-env NAME take ${DEMO_READER_ROLE}'s password from this environment
                             variable instead of generating one (printed once)
  --replace                  drop existing demo tables and overwrite FILE instead of refusing

Example:
  agentgate demo load --database-url postgres://admin@localhost:5432/shop --config-out agentgate.yaml
  PGPASSWORD='<printed password>' AGENTGATE_CONFIG=agentgate.yaml npx agentgate dev

Exit codes: 0 loaded, 1 failure (server, existing tables, file), 2 usage.`;

const MAX_CUSTOMERS = 1_000_000;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\/.*)$/;

/** Only the demo's `prod` connection, pointed at the given server. */
export function demoServerConfig(target: {
  host: string;
  port: number;
  database: string;
  user: string;
}): Record<string, unknown> {
  return {
    connections: [
      {
        id: 'demo',
        engine: 'postgres',
        environment: 'prod',
        description:
          'The demo data (customers, orders, payments, support tickets) loaded by agentgate demo load.',
        tags: ['demo', 'pii'],
        target: {
          ...target,
          auth: 'password-from-env',
          passwordEnv: 'PGPASSWORD',
          // TLS wherever the server is not this machine.
          ssl: !LOOPBACK.test(target.host),
        },
        maxRows: 1000,
        statementTimeoutMs: 5000,
        classification: { ...DEMO_CLASSIFICATION, ...DEMO_PUBLIC_COLUMNS },
        exposure: { ...DEMO_EXPOSURE },
        budget: { ...DEMO_BUDGET },
        tableBudgets: structuredClone(DEMO_TABLE_BUDGETS),
      },
    ],
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`agentgate demo: ${message}\n\n${HELP}\n`);
  return 2;
}

async function runLoad(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'database-url': { type: 'string' },
      'config-out': { type: 'string' },
      customers: { type: 'string' },
      'reader-password-env': { type: 'string' },
      replace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const url = values['database-url'];
  if (!url) return usage(io, '--database-url URL is required');
  const customers = Number(values.customers ?? DEFAULT_DEMO_CUSTOMERS);
  if (!Number.isInteger(customers) || customers < 1 || customers > MAX_CUSTOMERS) {
    return usage(io, `--customers must be an integer from 1 to ${MAX_CUSTOMERS}`);
  }
  const passwordEnv = values['reader-password-env'];
  let password: string;
  let generated = false;
  if (passwordEnv !== undefined) {
    const fromEnv = io.env[passwordEnv];
    if (!fromEnv) return usage(io, `environment variable ${passwordEnv} is not set`);
    password = fromEnv;
    try {
      scramSha256Verifier(password);
    } catch (e) {
      return usage(io, `${passwordEnv}: ${e instanceof Error ? e.message : String(e)}`);
    }
  } else {
    password = randomBytes(24).toString('base64url');
    generated = true;
  }
  const outFile = values['config-out'] === undefined ? undefined : resolve(io.cwd, values['config-out']);
  if (outFile && !values.replace && (await exists(outFile))) {
    io.stderr.write(`agentgate demo: ${outFile} exists; pass --replace to overwrite it\n`);
    return 1;
  }
  // Messages go to stderr when the config itself is printed on stdout.
  const say = (text: string) => (outFile ? io.stdout : io.stderr).write(text);

  const client = new Client({ connectionString: url, application_name: 'agentgate demo load' });
  try {
    await client.connect();
  } catch (e) {
    io.stderr.write(
      `agentgate demo: cannot connect to the database: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return 1;
  }
  let config: Record<string, unknown>;
  try {
    const data = generateDemoData({ customers });
    const result = await loadDemoIntoPostgres(client, data, {
      replace: values.replace === true,
      reader: { role: DEMO_READER_ROLE, password },
    });
    const where = await client.query<{ db: string }>('select current_database() as db');
    const target = {
      host: client.host,
      port: client.port,
      database: where.rows[0]?.db ?? client.database ?? 'postgres',
      user: DEMO_READER_ROLE,
    };
    config = demoServerConfig(target);
    // What we write must be what the gateway accepts.
    parseConfig(config, 'generated config');
    const counts = DEMO_TABLES.map((t) => `${result.rows[t]} ${t.replace('_', ' ')}`).join(', ');
    say(
      `Loaded the demo into ${target.database} on ${target.host}:${target.port}: ${counts} ` +
        `(${(result.loadMs / 1000).toFixed(1)} s, ANALYZE ${(result.analyzeMs / 1000).toFixed(1)} s).\n` +
        `Read-only role ${DEMO_READER_ROLE}: SELECT on the demo tables, default_transaction_read_only.\n`,
    );
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    io.stderr.write(
      `agentgate demo: ${e instanceof DemoTablesExistError ? message : `load failed: ${message}`}\n`,
    );
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }

  const yaml = `# Written by agentgate demo load. The gateway reads ${DEMO_READER_ROLE}'s password from PGPASSWORD.\n${toYaml(config, { lineWidth: 0 })}`;
  if (outFile) {
    try {
      await writeFile(outFile, yaml, { flag: values.replace ? 'w' : 'wx' });
    } catch (e) {
      const taken = (e as NodeJS.ErrnoException).code === 'EEXIST';
      io.stderr.write(
        `agentgate demo: ${taken ? `${outFile} exists; pass --replace to overwrite it` : `cannot write ${outFile}: ${String(e)}`}\n`,
      );
      return 1;
    }
    say(`Wrote ${outFile}.\n`);
  } else {
    io.stdout.write(yaml);
  }
  // The generated password is shown here once and stored nowhere else (the server keeps a SCRAM verifier).
  const secret = generated ? `'${password}'` : `"$${passwordEnv}"`;
  say(
    `${generated ? `The password of ${DEMO_READER_ROLE} is shown only here: keep it.\n` : ''}` +
      `Start the gateway on it:\n  PGPASSWORD=${secret} AGENTGATE_CONFIG=${outFile ?? 'FILE'} npx agentgate dev\n`,
  );
  return 0;
}

export async function runDemoCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'load') return usage(io, `unknown subcommand '${sub}'`);
  return runLoad(rest, io);
}
