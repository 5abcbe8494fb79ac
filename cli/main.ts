import { readFileSync } from 'node:fs';
import type { CliIo } from './io.js';

/** A command module is loaded only when it runs, so `agentgate --help` loads nothing heavy. */
type Command = (argv: string[], io: CliIo) => Promise<number>;

const HELP = `agentgate: a data gateway between AI agents and your data.

Usage: agentgate <command> [options]   (agentgate <command> --help for details)

Commands:
  dev       run the gateway locally on embedded defaults (same as npm start)
  token     mint a dev token for an agent or a human
  query     send a statement to a running gateway and print the rows
  audit     list the audit trail, or show the decision trace of one request
  policy    validate, check, test or diff the Cedar policies
  doctor    check every connection of the config and say how to fix what fails
  mask      mask records from stdin (ndjson or csv) with the gateway's masking engine
  classify  suggest data classes for a connection's columns from names and sampled content
  demo      load the demo data and a read-only role into your own PostgreSQL (demo load)

Options:
  -h, --help     show this help (every command takes it too)
  --version      print the version

Example:
  agentgate query --connection demo "select id, city from customers where id < 4"

Exit codes: 0 success, 1 failure, 2 usage; policy check and policy test add their own
(see agentgate policy --help and docs/operations.md).`;

const COMMANDS: Record<string, () => Promise<Command>> = {
  dev: async () => (await import('./commands/dev.js')).runDevCommand,
  token: async () => (await import('./commands/token.js')).runTokenCommand,
  query: async () => (await import('./commands/query.js')).runQueryCommand,
  audit: async () => (await import('./commands/audit.js')).runAuditCommand,
  policy: async () => {
    const { runPolicyCommand } = await import('./commands/policy.js');
    return (argv, io) => runPolicyCommand(argv, io);
  },
  doctor: async () => {
    const { runDoctorCommand } = await import('./commands/doctor.js');
    return (argv, io) => runDoctorCommand(argv, io);
  },
  mask: async () => {
    const { runMaskCommand } = await import('./commands/mask.js');
    return (argv, io) => runMaskCommand(argv, io);
  },
  classify: async () => (await import('./commands/classify.js')).runClassifyCommand,
  demo: async () => (await import('./commands/demo.js')).runDemoCommand,
  // Further commands (e.g. posture) register here the same way: a lazy import per command.
};

/** The package version, read from package.json beside the CLI (no import of the package). */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || (rest.includes('--version') && name in COMMANDS)) {
    io.stdout.write(`agentgate ${cliVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`agentgate: unknown command '${name}'\n\n${HELP}\n`);
    return 2;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (e) {
    // Argument errors from parseArgs and the like: one line, no stack trace.
    io.stderr.write(`agentgate ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}
