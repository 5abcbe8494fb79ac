import { parseArgs } from 'node:util';
import { startDevHost } from '../dev/host.js';
import { AlreadyRunningError } from '../dev/lock.js';
import type { CliIo } from '../io.js';
import { projectStateDir } from '../project.js';

const HELP = `Usage: agentgate dev [--port N]

Runs the gateway locally on embedded defaults, all in one process: a demo PostgreSQL
(PGlite over the wire), the in-process Cosmos DB emulator for the audit trail, and a dev
token issuer whose key is kept under .agentgate/. Listens on http://localhost:7071
(PORT or --port overrides). Ctrl-C stops it. The lock file .agentgate/dev.lock records the
URL and port, so "agentgate query" and "agentgate audit" find this host without flags.

Example:
  PORT=17390 agentgate dev

Exit codes: 0 stopped, 1 could not start, 2 usage.`;

export async function runDevCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = Number(values.port ?? io.env.PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`agentgate dev: invalid port ${values.port ?? io.env.PORT}\n`);
    return 2;
  }
  io.stderr.write(
    io.env.AGENTGATE_CONFIG
      ? `Starting agentgate (connections from ${io.env.AGENTGATE_CONFIG}, Cosmos DB emulator, dev issuer)...\n`
      : 'Starting agentgate (demo database, Cosmos DB emulator, dev issuer)...\n',
  );
  const started = Date.now();
  let host: Awaited<ReturnType<typeof startDevHost>>;
  try {
    // The project's own .agentgate, found from any subdirectory, so the CLI finds the lock and key.
    host = await startDevHost({ port, env: io.env, stateDir: projectStateDir(io) });
  } catch (e) {
    if (e instanceof AlreadyRunningError) {
      io.stderr.write(`agentgate dev: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`agentgate dev: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  // The banner names the connections actually configured, and suggests one that exists.
  const connections = host.gateway.connections;
  const first = connections[0]?.id ?? 'demo';
  const isDemo = connections.some((c) => c.id === first && c.target === 'embedded-demo');
  const sample = isDemo ? 'select id, full_name, email, city from customers where id < 4' : 'select 1 as one';
  const list = connections.map((c) => `${c.id} (${c.kind}, ${c.environment})`).join(', ');
  io.stdout.write(`
agentgate is running at ${host.url} (started in ${secs} s)

  Mint an agent token:   TOKEN=$(npx agentgate token --as agent:demo-agent)
  Ask a question:        curl -s -X POST ${host.url}/api/v1/connections/${first}/query \\
                           -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
                           -d '{"sql":"${sample}"}'
  Or with the CLI:       npx agentgate query --connection ${first} "${sample}"

Connections: ${list}. Press Ctrl-C to stop.
`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.stderr.write('\nStopping agentgate...\n');
  await host.stop();
  return 0;
}
