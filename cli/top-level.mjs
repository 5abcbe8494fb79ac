// Plain JavaScript on purpose: bin/agentgate.mjs answers `agentgate --help` and `--version`
// from this module before the TypeScript loader (tsx) is registered, which costs most of a
// second. Keep it free of imports beyond node: built-ins.
import { readFileSync } from 'node:fs';

export const TOP_HELP = `agentgate: a data gateway between AI agents and your data.

Usage: agentgate <command> [options]   (agentgate <command> --help for details)

Commands:
  dev       run the gateway locally on embedded defaults (same as npm start)
  token     mint a dev token for an agent or a human
  query     send a statement to a running gateway and print the rows
  blobs     list (ls) or read (cat) blobs of a blob connection through the gateway
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

/** The answer to `agentgate ARG` when ARG asks only for help or the version, else undefined. */
export function topLevelAnswer(argv) {
  if (argv.length !== 1) return undefined;
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return `${TOP_HELP}\n`;
  if (argv[0] === '--version' || argv[0] === '-V') return `agentgate ${cliVersion()}\n`;
  return undefined;
}
