import { parseArgs } from 'node:util';
import { DefaultAzureCredential } from '@azure/identity';
import {
  type ConnectionConfig,
  type GatewayConfig,
  loadConfigFile,
} from '../../shared/config/connections.js';
import type { Connector } from '../../shared/connectors/connector.js';
import { connectorRegistry } from '../../shared/connectors/registry.js';
import { type Suggestion, suggestClasses } from '../../shared/masking/index.js';
import { startDemoDatabase } from '../dev/demo-database.js';
import { demoConfig } from '../dev/host.js';
import type { CliIo } from '../io.js';

const HELP = `Usage: agentgate classify --connection ID [--sample N] [--all] [--json] [--config FILE]

Suggests data classes for the columns of a connection, from column names and from a sample
of their content (N rows per table, default 50), and prints them with a YAML snippet for the
connection's "classification". Nothing is applied: review the suggestions, then edit the
config. Columns already classified are left out unless --all is given.

This is an operator's tool: it reads the target directly (read-only transaction, row cap)
with your own Azure identity (DefaultAzureCredential) or, for the embedded demo, a demo
database it starts for the occasion. Agents never reach it.

Example:
  agentgate classify --connection demo --sample 100

Exit codes: 0 suggestions printed, 1 failure, 2 usage.`;

const MAX_SAMPLE = 1000;

/** Catalog names are quoted, never trusted as SQL. */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function listColumns(connector: Connector): Promise<Map<string, string[]>> {
  const result = await connector.execute(
    `select table_schema, table_name, column_name
       from information_schema.columns
      where table_schema not in ('pg_catalog', 'information_schema')
      order by table_schema, table_name, ordinal_position`,
    [],
    { maxRows: 10_000, statementTimeoutMs: 15_000 },
  );
  const tables = new Map<string, string[]>();
  for (const row of result.rows) {
    const table = `${String(row.table_schema)}.${String(row.table_name)}`;
    const columns = tables.get(table) ?? [];
    columns.push(String(row.column_name));
    tables.set(table, columns);
  }
  return tables;
}

export async function suggestFor(connector: Connector, sample: number): Promise<Suggestion[]> {
  const tables = await listColumns(connector);
  const input: Array<{ table: string; column: string; samples: unknown[] }> = [];
  for (const [table, columns] of tables) {
    const [schema, name] = table.split('.');
    const rows = await connector.execute(
      `select ${columns.map(quoteIdent).join(', ')} from ${quoteIdent(schema)}.${quoteIdent(name)}`,
      [],
      { maxRows: sample, statementTimeoutMs: 15_000 },
    );
    for (const column of columns) input.push({ table, column, samples: rows.rows.map((r) => r[column]) });
  }
  return suggestClasses({ columns: input });
}

export async function runClassifyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      connection: { type: 'string', short: 'c' },
      sample: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!values.connection) {
    io.stderr.write('agentgate classify: --connection ID is required\n');
    return 2;
  }
  const sample = Number(values.sample ?? 50);
  if (!Number.isInteger(sample) || sample < 1 || sample > MAX_SAMPLE) {
    io.stderr.write(`agentgate classify: --sample must be an integer from 1 to ${MAX_SAMPLE}\n`);
    return 2;
  }
  const configPath = values.config ?? io.env.AGENTGATE_CONFIG;
  const config: GatewayConfig = configPath ? await loadConfigFile(configPath) : demoConfig();
  const connection: ConnectionConfig | undefined = config.connections.find((c) => c.id === values.connection);
  if (!connection) {
    io.stderr.write(`agentgate classify: no connection ${values.connection}\n`);
    return 1;
  }
  if (connection.engine !== 'postgres') {
    io.stderr.write('agentgate classify: only postgres connections can be sampled in this release\n');
    return 1;
  }

  const demo = connection.target === 'embedded-demo' ? await startDemoDatabase({ spare: false }) : undefined;
  const registry = connectorRegistry({
    env: io.env,
    ...(demo ? { demo: { host: demo.host, port: demo.port } } : { credential: new DefaultAzureCredential() }),
  });
  try {
    const suggestions = await suggestFor(registry.connectorFor(connection), sample);
    const shown = values.all
      ? suggestions
      : suggestions.filter((s) => connection.classification[s.column] === undefined);
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify(
          shown.map((s) => ({ ...s, current: connection.classification[s.column] ?? null })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (shown.length === 0) {
      io.stdout.write('No new suggestions: every column that looks sensitive is classified.\n');
      return 0;
    }
    for (const s of shown) {
      const current = connection.classification[s.column];
      io.stdout.write(
        `${s.column.padEnd(40)} ${s.suggested.padEnd(10)} (${s.reason}, confidence ${s.confidence.toFixed(2)})${
          current ? ` currently ${current}` : ''
        }\n`,
      );
    }
    io.stdout.write(`\n# Review, then add under connections[id=${connection.id}].classification:\n`);
    for (const s of shown) io.stdout.write(`${s.column}: ${s.suggested}\n`);
    return 0;
  } finally {
    await registry.closeAll();
    await demo?.stop();
  }
}
