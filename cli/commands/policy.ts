import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type GatewayConfig, loadConfigFile } from '../../shared/config/connections.js';
import { prepareQueryDecision } from '../../shared/decide-query.js';
import { GatewayError } from '../../shared/errors.js';
import { loadPolicyEngine } from '../../shared/policy/index.js';
import { analyseStatement } from '../../shared/sql/analyse.js';
import type { Principal } from '../../shared/types.js';
import { demoConfig } from '../dev/host.js';
import type { CliIo } from '../io.js';

const POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

const HELP = `Usage:
  agentgate policy validate [--dir DIR]
  agentgate policy check --connection ID --as agent:NAME|human:NAME [--group G]... [--role R]...
                         --sql "SQL" [--estimated-rows N] [--max-rows N] [--config FILE] [--dir DIR]

validate: parses every *.cedar file in DIR (default: the shipped policies/) and validates it
against schema.cedarschema; prints JSON and exits 1 on any error, naming the file.
check: analyses the statement and prints the decision as JSON ({outcome, policyIds, reasons,
obligations, facts}) without executing anything. Connections come from --config, else
AGENTGATE_CONFIG, else the embedded demo config.`;

function print(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function principalFrom(spec: string, groups: string[], roles: string[]): Principal {
  const m = /^(agent|human):(.+)$/.exec(spec);
  if (!m) throw new GatewayError('bad_request', '--as must be agent:NAME or human:NAME');
  const kind = m[1] === 'agent' ? 'agent' : 'human';
  const name = m[2];
  return {
    kind,
    id: `${kind === 'agent' ? 'agent' : 'user'}:${name}`,
    tenantId: undefined,
    appId: kind === 'agent' ? `agent:${name}` : undefined,
    name,
    groups,
    roles,
    scopes: [],
    onBehalfOf: undefined,
    issuer: 'agentgate-cli',
    tokenId: undefined,
  };
}

export async function runPolicyCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      connection: { type: 'string' },
      as: { type: 'string' },
      group: { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
      sql: { type: 'string' },
      'estimated-rows': { type: 'string' },
      'max-rows': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || sub === undefined || sub === '--help' || sub === 'help') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  const dir = values.dir ?? io.env.AGENTGATE_POLICY_DIR ?? POLICY_DIR;
  let engine: Awaited<ReturnType<typeof loadPolicyEngine>>;
  try {
    engine = await loadPolicyEngine(dir);
  } catch (e) {
    const file = e instanceof Error && 'file' in e ? String((e as { file: unknown }).file) : undefined;
    print(io, { valid: false, ...(file ? { file } : {}), error: e instanceof Error ? e.message : String(e) });
    return 1;
  }
  if (sub === 'validate') {
    print(io, { valid: true, dir, policies: engine.policyIds() });
    return 0;
  }
  if (sub !== 'check') {
    io.stderr.write(`agentgate policy: unknown subcommand ${sub}\n${HELP}\n`);
    return 2;
  }
  if (!values.connection || !values.as || !values.sql) {
    io.stderr.write('agentgate policy check: --connection, --as and --sql are required\n');
    return 2;
  }
  try {
    const configPath = values.config ?? io.env.AGENTGATE_CONFIG;
    const config: GatewayConfig = configPath ? await loadConfigFile(configPath) : demoConfig();
    const connection = config.connections.find((c) => c.id === values.connection);
    if (!connection) throw new GatewayError('connection_not_found', `No connection ${values.connection}`);
    const principal = principalFrom(values.as, values.group ?? [], values.role ?? []);
    const facts = await analyseStatement(connection.engine, values.sql, {
      defaultSchema: connection.defaultSchema,
    });
    const estimated = values['estimated-rows'] === undefined ? null : Number(values['estimated-rows']);
    const { decide, clear, maskedPredicates } = prepareQueryDecision({
      policy: engine,
      principal,
      connection,
      facts,
      requestedMaxRows: values['max-rows'] === undefined ? connection.maxRows : Number(values['max-rows']),
      purpose: undefined,
      now: new Date(),
    });
    const decision = decide(estimated);
    print(io, {
      outcome: decision.outcome,
      policyIds: decision.policyIds,
      reasons: decision.reasons,
      obligations: decision.obligations,
      estimatedRows: estimated,
      unmaskedClasses: [...clear],
      maskedPredicateColumns: maskedPredicates,
      facts,
    });
    return 0;
  } catch (e) {
    const code = e instanceof GatewayError ? e.code : 'error';
    print(io, { outcome: 'error', error: { code, message: e instanceof Error ? e.message : String(e) } });
    return 1;
  }
}
