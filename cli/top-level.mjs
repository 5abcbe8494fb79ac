// Plain JavaScript on purpose: bin/agentgate.mjs answers `agentgate --help`, `--version` and
// every `agentgate CMD --help` (from help.json) from this module before the TypeScript loader
// (tsx) is registered, which costs most of a second. Keep it free of imports beyond node: built-ins.
import { readFileSync } from 'node:fs';

export const TOP_HELP = `agentgate: a data gateway between AI agents and your data.

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
  posture   find the paths by which agents can reach data without the gateway (secrets, roles, network, logs)
  approvals list, show, approve or deny requests held for approval (as a dev approver)
  requests  follow a request held for approval: status, result, cancel (as the agent)
  mcp       the MCP client configuration for the running gateway, and its tools as a client sees them

Options:
  -h, --help     show this help (every command takes it too)
  --version      print the version

Example:
  agentgate query --connection demo "select id, city from customers where id < 4"

Exit codes: 0 success, 1 failure, 2 usage; policy check and policy test add their own
(see agentgate policy --help and docs/operations.md).`;

/** The package version, read from package.json beside the CLI. */
export function cliVersion() {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Each command's and subcommand's `--help` text ("query", "audit list"), as the command
 * modules print it: generated into help.json by `npm run cli:help`, compared with the
 * modules by a test. Undefined when the file is missing or unreadable (the slow path answers).
 */
export function commandHelp() {
  try {
    const help = JSON.parse(readFileSync(new URL('./help.json', import.meta.url), 'utf8'));
    return help !== null && typeof help === 'object' ? help : undefined;
  } catch {
    return undefined;
  }
}

const isHelpFlag = (a) => a === '--help' || a === '-h';

/**
 * The answer to `agentgate ...argv` when it asks only for help or the version, else
 * undefined: `--help`, `--version`, `CMD --help`, `CMD SUB --help`, `CMD ... --version`
 * (as cli/main.ts answers them, without loading any command).
 */
export function topLevelAnswer(argv) {
  if (argv.length === 1) {
    if (isHelpFlag(argv[0]) || argv[0] === 'help') return `${TOP_HELP}\n`;
    if (argv[0] === '--version' || argv[0] === '-V') return `agentgate ${cliVersion()}\n`;
  }
  if (argv.length < 2 || !/^[a-z]+$/.test(argv[0])) return undefined;
  const wantsHelp = argv.length <= 3 && isHelpFlag(argv[argv.length - 1]);
  if (!wantsHelp && !argv.includes('--version')) return undefined;
  const help = commandHelp();
  if (help === undefined || !Object.hasOwn(help, argv[0])) return undefined;
  if (wantsHelp) {
    const key = argv.slice(0, -1).join(' ');
    return Object.hasOwn(help, key) && typeof help[key] === 'string' ? help[key] : undefined;
  }
  return `agentgate ${cliVersion()}\n`;
}
