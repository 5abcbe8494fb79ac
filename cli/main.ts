import type { CliIo } from './io.js';
import { cliVersion, TOP_HELP as HELP } from './top-level.mjs';

export { cliVersion };

/** A command module is loaded only when it runs, so `agentgate --help` loads nothing heavy. */
type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  dev: async () => (await import('./commands/dev.js')).runDevCommand,
  token: async () => (await import('./commands/token.js')).runTokenCommand,
  query: async () => (await import('./commands/query.js')).runQueryCommand,
  blobs: async () => (await import('./commands/blobs.js')).runBlobsCommand,
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
  posture: async () => (await import('./commands/posture.js')).runPostureCommand,
  approvals: async () => {
    const { runApprovalsCommand } = await import('./commands/approvals.js');
    return (argv, io) => runApprovalsCommand(argv, io);
  },
  requests: async () => (await import('./commands/requests.js')).runRequestsCommand,
  mcp: async () => (await import('./commands/mcp.js')).runMcpCommand,
};

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
