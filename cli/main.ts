import { runClassifyCommand } from './commands/classify.js';
import { runDemoCommand } from './commands/demo.js';
import { runDevCommand } from './commands/dev.js';
import { runMaskCommand } from './commands/mask.js';
import { runPolicyCommand } from './commands/policy.js';
import { runPostureCommand } from './commands/posture.js';
import { runQueryCommand } from './commands/query.js';
import { runTokenCommand } from './commands/token.js';
import type { CliIo } from './io.js';

const HELP = `agentgate: a data gateway between AI agents and your data.

Usage: agentgate <command> [options]   (agentgate <command> --help for details)

Commands:
  dev       run the gateway locally on embedded defaults (same as npm start)
  token     mint a dev token for an agent or a user
  query     send a statement to a running gateway and print the rows
  policy    validate the Cedar policies, or check what they decide for a statement
  mask      mask records from stdin (ndjson or csv) with the gateway's masking engine
  classify  suggest data classes for a connection's columns from names and sampled content
  demo      load the demo data and a read-only role into your own PostgreSQL (demo load)
  posture   find the paths by which agents can reach data without the gateway (secrets, roles, network, logs)`;

const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  dev: runDevCommand,
  token: runTokenCommand,
  query: runQueryCommand,
  policy: runPolicyCommand,
  mask: (argv, io) => runMaskCommand(argv, io),
  classify: runClassifyCommand,
  demo: runDemoCommand,
  posture: runPostureCommand,
};

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`agentgate: unknown command '${name}'\n\n${HELP}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    // Argument errors from parseArgs and the like: one line, no stack trace.
    io.stderr.write(`agentgate ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}
