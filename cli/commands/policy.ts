import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DefaultAzureCredential } from '@azure/identity';
import {
  type ConnectionConfig,
  type GatewayConfig,
  loadConfigFile,
} from '../../shared/config/connections.js';
import type { Connector } from '../../shared/connectors/connector.js';
import { connectorRegistry } from '../../shared/connectors/registry.js';
import { prepareQueryDecision } from '../../shared/decide-query.js';
import { GatewayError } from '../../shared/errors.js';
import { loadPolicyEngine, tableNameWarnings } from '../../shared/policy/index.js';
import type { Decision, Outcome, Principal, StatementFacts } from '../../shared/types.js';
import { parsePrincipalSpec } from '../args.js';
import { demoConfig } from '../dev/host.js';
import type { CliIo } from '../io.js';
import { offlineAnalysis } from './offline-analysis.js';

const POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

/** Exit codes of `policy check`, so a script can branch on the outcome without reading JSON. */
export const CHECK_EXIT_CODES = { allow: 0, error: 1, usage: 2, approval: 3, deny: 4 } as const;

const OUTCOME_EXIT: Record<Outcome, number> = {
  allow: CHECK_EXIT_CODES.allow,
  approval: CHECK_EXIT_CODES.approval,
  deny: CHECK_EXIT_CODES.deny,
};

/** The "small read" a check without an estimate is also decided with. */
const SMALL_ESTIMATE = 1;

const HELP = `Usage:
  agentgate policy validate [--dir DIR]
  agentgate policy test CASES.yaml [--estimate-from-target] [--json] [--config FILE] [--dir DIR]
  agentgate policy diff --against DIR [--records FILE | --url URL] [--limit N] [--json]
                        [--config FILE] [--dir DIR]
  agentgate policy check --connection ID --as agent:NAME|human:NAME [--group G]... [--role R]...
                         --sql "SQL" [--estimated-rows N | --estimate-from-target]
                         [--max-rows N] [--config FILE] [--dir DIR]

validate: parses every *.cedar file in DIR (default: the shipped policies/) and validates it
against schema.cedarschema; prints JSON and exits 1 on any error, naming the file. Warns
(in "warnings", exit 0) when a policy compares context.tables with a name that is not
lower-case and schema-qualified: the gateway fills context.tables with names such as
"public.payments", so context.tables.contains("payments") never matches.

check: analyses the statement and prints the decision as JSON ({outcome, policyIds, reasons,
obligations, estimatedRows, estimateSource, facts, ...}) without executing it. Connections come
from --config, else AGENTGATE_CONFIG, else the embedded demo config.

Row estimate. The gateway asks the target's planner how many rows a single read returns and
decides again with that number; policies may depend on it (the shipped ones ask for approval
when the size is unknown, or above 1,000 rows).
  --estimated-rows N      decide with N rows
  --estimate-from-target  ask the connection's database planner, as the gateway does
                          (EXPLAIN in a read-only transaction; the statement is not run). Not
                          possible for an embedded-demo connection: that database lives inside
                          a running "agentgate dev".
  neither                 decide with the size unknown and with a ${SMALL_ESTIMATE}-row read; when the two
                          differ the JSON says "dependsOnEstimate": true, "outcome" is the
                          unknown-size outcome (fail closed) and "outcomeIfSmall" the other.

Exit codes (check): 0 allow, 3 approval, 4 deny, 1 error (config, connection, statement,
target), 2 usage. validate: 0 valid, 1 invalid, 2 usage.

test: runs every case of CASES.yaml and prints a table; exits 0 when all pass, 1 on any
mismatch or error, 2 when the file is not a valid case list. A case:
  - name: agent reads one customer
    as: agent:reporting-bot          # or human:NAME
    groups: [data-stewards]          # optional; roles: [...] too
    connection: demo
    sql: select id from customers where id = 1
    estimatedRows: 1                 # optional; else unknown size, or --estimate-from-target
    expect: allow                    # allow | approval | deny | error
    policyIds: [agent-read]          # optional: exactly these policies decided it

diff: replays audited statements (query records of GET /api/v1/audit of the running host,
or of --records FILE, a JSON array of records or {records: [...]}) through the policies of
--dir (default: shipped) and of --against DIR, with the estimate each record was decided
with, and lists every changed outcome or policy set. Exit 0 nothing changed, 1 changes
(or an error), 2 usage. Statements come back masked with the reader's own masking posture,
so a statement that names masked data may replay differently.

Examples:
  agentgate policy check --connection demo --as agent:bot --sql "select id from customers where id = 1" --estimated-rows 1
  agentgate policy test policies/cases.yaml
  agentgate policy diff --against ./policies-next

  -h, --help  show this help`;

/** The `.cedar` files of a policy folder, as text. */
export async function readPolicyFiles(dir: string): Promise<Array<{ name: string; text: string }>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.cedar')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

/** The shipped policy folder. */
export const SHIPPED_POLICY_DIR = POLICY_DIR;

export interface PolicyCommandDeps {
  /**
   * Builds the connector that --estimate-from-target asks; the caller owns and closes it.
   * Default: the gateway's connector registry, closed when the check ends.
   */
  connectorFor?: (connection: ConnectionConfig) => Connector;
}

function print(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function principalFrom(spec: string, groups: string[], roles: string[]): Principal {
  let parsed: ReturnType<typeof parsePrincipalSpec>;
  try {
    parsed = parsePrincipalSpec(spec);
  } catch {
    throw new GatewayError('bad_request', '--as must be agent:NAME or human:NAME');
  }
  const { kind, name } = parsed;
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

/** A whole number of at least `min`, written as digits only; anything else is a usage error. */
function wholeNumber(text: string | undefined, min: number): number | undefined | 'invalid' {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(text)) return 'invalid';
  const n = Number(text);
  return n >= min ? n : 'invalid';
}

export async function runPolicyCommand(
  argv: string[],
  io: CliIo,
  deps: PolicyCommandDeps = {},
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'test' || sub === 'diff') {
    const { runPolicyTest, runPolicyDiff } = await import('./policy-test.js');
    return sub === 'test' ? runPolicyTest(rest, io, deps) : runPolicyDiff(rest, io);
  }
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
      'estimate-from-target': { type: 'boolean' },
      'max-rows': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? CHECK_EXIT_CODES.usage : 0;
  }
  if (sub !== 'validate' && sub !== 'check') {
    io.stderr.write(`agentgate policy: unknown subcommand ${sub}\n${HELP}\n`);
    return CHECK_EXIT_CODES.usage;
  }
  const check = sub === 'check' ? checkArguments(values, io) : undefined;
  if (check === 'usage') return CHECK_EXIT_CODES.usage;

  const dir = values.dir ?? io.env.AGENTGATE_POLICY_DIR ?? POLICY_DIR;
  let engine: Awaited<ReturnType<typeof loadPolicyEngine>>;
  try {
    engine = await loadPolicyEngine(dir);
  } catch (e) {
    const file = e instanceof Error && 'file' in e ? String((e as { file: unknown }).file) : undefined;
    print(io, { valid: false, ...(file ? { file } : {}), error: e instanceof Error ? e.message : String(e) });
    return CHECK_EXIT_CODES.error;
  }
  if (check === undefined) {
    const warnings = tableNameWarnings(await readPolicyFiles(dir));
    for (const w of warnings) io.stderr.write(`warning: ${w.file}:${w.line}: ${w.message}\n`);
    print(io, { valid: true, dir, policies: engine.policyIds(), warnings });
    return 0;
  }
  try {
    return await runCheck(engine, check, io, deps);
  } catch (e) {
    const code = e instanceof GatewayError ? e.code : 'error';
    const message = e instanceof Error ? e.message : String(e);
    print(io, { outcome: 'error', error: { code, message } });
    io.stderr.write(`agentgate policy check: ${message}\n`);
    return CHECK_EXIT_CODES.error;
  }
}

export interface CheckArguments {
  connection: string;
  as: string;
  groups: string[];
  roles: string[];
  sql: string;
  estimatedRows: number | undefined;
  estimateFromTarget: boolean;
  maxRows: number | undefined;
  config: string | undefined;
}

function checkArguments(
  values: {
    connection?: string | undefined;
    as?: string | undefined;
    group?: string[] | undefined;
    role?: string[] | undefined;
    sql?: string | undefined;
    'estimated-rows'?: string | undefined;
    'estimate-from-target'?: boolean | undefined;
    'max-rows'?: string | undefined;
    config?: string | undefined;
  },
  io: CliIo,
): CheckArguments | 'usage' {
  const usage = (message: string): 'usage' => {
    io.stderr.write(`agentgate policy check: ${message}\n`);
    return 'usage';
  };
  if (!values.connection || !values.as || !values.sql) {
    return usage('--connection, --as and --sql are required');
  }
  const estimatedRows = wholeNumber(values['estimated-rows'], 0);
  if (estimatedRows === 'invalid') return usage('--estimated-rows must be a whole number, 0 or more');
  const estimateFromTarget = values['estimate-from-target'] === true;
  if (estimatedRows !== undefined && estimateFromTarget) {
    return usage('give either --estimated-rows or --estimate-from-target, not both');
  }
  const maxRows = wholeNumber(values['max-rows'], 1);
  if (maxRows === 'invalid') return usage('--max-rows must be a whole number, 1 or more');
  return {
    connection: values.connection,
    as: values.as,
    groups: values.group ?? [],
    roles: values.role ?? [],
    sql: values.sql,
    estimatedRows,
    estimateFromTarget,
    maxRows,
    config: values.config ?? io.env.AGENTGATE_CONFIG,
  };
}

type EstimateSource = 'given' | 'target' | 'not-given' | 'not-needed';

/** The decision that `outcome` reports, the estimate it used, and what else the reader should know. */
export interface EstimatedDecision {
  decision: Decision;
  estimatedRows: number | null;
  source: EstimateSource;
  /** Without an estimate: whether a small read would be decided differently. */
  dependsOnEstimate?: boolean;
  outcomeIfSmall?: Outcome;
  note?: string;
  ifSmall?: { estimatedRows: number; outcome: Outcome; policyIds: string[]; reasons: string[] };
}

async function runCheck(
  engine: Awaited<ReturnType<typeof loadPolicyEngine>>,
  args: CheckArguments,
  io: CliIo,
  deps: PolicyCommandDeps,
): Promise<number> {
  const config: GatewayConfig = args.config ? await loadConfigFile(args.config) : demoConfig();
  const connection = config.connections.find((c) => c.id === args.connection);
  if (!connection) throw new GatewayError('connection_not_found', `No connection ${args.connection}`);
  const principal = principalFrom(args.as, args.groups, args.roles);
  const { facts, catalog } = await offlineAnalysis(connection, args.sql);
  const { decide, clear, maskedPredicates } = prepareQueryDecision({
    policy: engine,
    principal,
    connection,
    facts,
    requestedMaxRows: args.maxRows ?? connection.maxRows,
    purpose: undefined,
    now: new Date(),
    ...(catalog ? { catalog } : {}),
  });
  const r = await decideWithEstimate(decide, facts, args, () =>
    estimateFromTarget(connection, args.sql, io, deps),
  );
  print(io, {
    outcome: r.decision.outcome,
    ...(r.outcomeIfSmall === undefined ? {} : { outcomeIfSmall: r.outcomeIfSmall }),
    ...(r.dependsOnEstimate === undefined ? {} : { dependsOnEstimate: r.dependsOnEstimate }),
    ...(r.note === undefined ? {} : { note: r.note }),
    policyIds: r.decision.policyIds,
    reasons: r.decision.reasons,
    obligations: r.decision.obligations,
    estimatedRows: r.estimatedRows,
    estimateSource: r.source,
    ...(r.ifSmall === undefined ? {} : { ifSmall: r.ifSmall }),
    ...(r.decision.shadow === undefined ? {} : { shadow: r.decision.shadow }),
    unmaskedClasses: [...clear],
    maskedPredicateColumns: maskedPredicates,
    facts,
  });
  return OUTCOME_EXIT[r.decision.outcome] ?? CHECK_EXIT_CODES.error;
}

export async function decideWithEstimate(
  decide: (estimatedRows: number | null) => Decision,
  facts: StatementFacts,
  args: CheckArguments,
  fromTarget: () => Promise<number | null>,
): Promise<EstimatedDecision> {
  if (args.estimatedRows !== undefined) {
    return { decision: decide(args.estimatedRows), estimatedRows: args.estimatedRows, source: 'given' };
  }
  // As the gateway does: what is denied on its face is never estimated, and only a single
  // plain read is; anything else is decided without an estimate.
  const unknown = decide(null);
  if (unknown.outcome === 'deny' || !isSingleRead(facts)) {
    return {
      decision: unknown,
      estimatedRows: null,
      source: 'not-needed',
      ...(args.estimateFromTarget ? {} : { dependsOnEstimate: false }),
    };
  }
  if (args.estimateFromTarget) {
    const rows = await fromTarget();
    if (rows !== null) return { decision: decide(rows), estimatedRows: rows, source: 'target' };
    return {
      decision: unknown,
      estimatedRows: null,
      source: 'target',
      note:
        'The target gave no estimate: it could not be reached, or its planner could not estimate ' +
        'this statement (one with $n parameters cannot be planned without their values). Decided ' +
        'as the gateway would, with the size unknown.',
    };
  }
  const small = decide(SMALL_ESTIMATE);
  if (small.outcome === unknown.outcome) {
    return { decision: unknown, estimatedRows: null, source: 'not-given', dependsOnEstimate: false };
  }
  return {
    decision: unknown,
    estimatedRows: null,
    source: 'not-given',
    dependsOnEstimate: true,
    outcomeIfSmall: small.outcome,
    note:
      `The outcome hangs on the row estimate, which was not given: "${unknown.outcome}" with the ` +
      `size unknown (reported as outcome: unknown fails closed), "${small.outcome}" for a ` +
      `${SMALL_ESTIMATE}-row read. Pass --estimated-rows N, or --estimate-from-target to ask the ` +
      "connection's database, for the outcome the gateway would give.",
    ifSmall: {
      estimatedRows: SMALL_ESTIMATE,
      outcome: small.outcome,
      policyIds: small.policyIds,
      reasons: small.reasons,
    },
  };
}

function isSingleRead(facts: StatementFacts): boolean {
  return facts.effect === 'read' && facts.statementCount === 1;
}

/** The planner estimate from the connection's own database, through the gateway's connector. */
export async function estimateFromTarget(
  connection: ConnectionConfig,
  sql: string,
  io: CliIo,
  deps: PolicyCommandDeps,
): Promise<number | null> {
  if (connection.target === 'embedded-demo') {
    throw new GatewayError(
      'target_unavailable',
      `Connection ${connection.id} uses the embedded demo database, which runs inside "agentgate dev" ` +
        'and cannot be reached from this command. Pass --estimated-rows N, or use --config with a ' +
        'connection whose target is a real database server.',
    );
  }
  const limits = { maxRows: connection.maxRows, statementTimeoutMs: connection.statementTimeoutMs };
  if (deps.connectorFor !== undefined) {
    return await deps.connectorFor(connection).estimateRows(sql, [], limits);
  }
  const registry = connectorRegistry({
    env: io.env,
    // Only an Entra-authenticated target needs the operator's Azure identity.
    ...(connection.target.auth === 'entra' ? { credential: new DefaultAzureCredential() } : {}),
  });
  try {
    return await registry.connectorFor(connection).estimateRows(sql, [], limits);
  } finally {
    await registry.closeAll();
  }
}
