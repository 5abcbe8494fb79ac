import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type GatewayConfig, loadConfigFile } from '../../shared/config/connections.js';
import { prepareQueryDecision } from '../../shared/decide-query.js';
import { GatewayError } from '../../shared/errors.js';
import { loadPolicyEngine, type PolicyEngine } from '../../shared/policy/index.js';
import { analyseStatement } from '../../shared/sql/analyse.js';
import type { Decision, Principal } from '../../shared/types.js';
import { parsePrincipalSpec, UsageError } from '../args.js';
import { demoConfig } from '../dev/host.js';
import { callGateway, reportFailure } from '../http.js';
import type { CliIo } from '../io.js';
import { printReport, tableText } from '../output.js';
import { offlineAnalysis } from './offline-analysis.js';
import {
  type CheckArguments,
  decideWithEstimate,
  estimateFromTarget,
  type PolicyCommandDeps,
  principalFrom,
  SHIPPED_POLICY_DIR,
} from './policy.js';
import { mintDevToken } from './token.js';

/** Exit codes of `policy test` and `policy diff`. */
export const TEST_EXIT_CODES = { pass: 0, mismatch: 1, usage: 2 } as const;

const principalText = z.string().refine((t) => {
  try {
    parsePrincipalSpec(t);
    return true;
  } catch {
    return false;
  }
}, 'principal: agent:NAME or human:NAME');

const caseSchema = z
  .object({
    name: z.string().min(1).optional(),
    as: principalText,
    groups: z.array(z.string().min(1)).default([]),
    roles: z.array(z.string().min(1)).default([]),
    connection: z.string().min(1),
    sql: z.string().min(1),
    estimatedRows: z.number().int().min(0).optional(),
    maxRows: z.number().int().min(1).optional(),
    expect: z.enum(['allow', 'approval', 'deny', 'error']),
    policyIds: z.array(z.string()).optional(),
  })
  .strict();

const caseListSchema = z.array(caseSchema).min(1);
const casesFileSchema = z.object({ cases: caseListSchema }).strict();

export type PolicyCase = z.output<typeof caseSchema>;

export interface CaseResult {
  name: string;
  expected: string;
  outcome: string;
  policyIds: string[];
  /** Policy ids the case asked for, when it did. */
  expectedPolicyIds: string[] | undefined;
  estimatedRows: number | null;
  pass: boolean;
  detail: string | null;
}

function configFor(path: string | undefined): Promise<GatewayConfig> | GatewayConfig {
  return path ? loadConfigFile(path) : demoConfig();
}

/** Decides one case as `policy check` would and compares it with what the case expects. */
export async function runCase(
  engine: PolicyEngine,
  config: GatewayConfig,
  c: PolicyCase,
  options: { estimateFromTarget: boolean; io: CliIo; deps: PolicyCommandDeps },
  index: number,
): Promise<CaseResult> {
  const name = c.name ?? `case ${index + 1}`;
  let outcome: string;
  let policyIds: string[] = [];
  let estimatedRows: number | null = null;
  let detail: string | null = null;
  try {
    const connection = config.connections.find((x) => x.id === c.connection);
    if (!connection) throw new GatewayError('connection_not_found', `No connection ${c.connection}`);
    const { facts, catalog } = await offlineAnalysis(connection, c.sql);
    const { decide } = prepareQueryDecision({
      policy: engine,
      principal: principalFrom(c.as, c.groups, c.roles),
      connection,
      facts,
      requestedMaxRows: c.maxRows ?? connection.maxRows,
      purpose: undefined,
      now: new Date(),
      ...(catalog ? { catalog } : {}),
    });
    const args: CheckArguments = {
      connection: c.connection,
      as: c.as,
      groups: c.groups,
      roles: c.roles,
      sql: c.sql,
      estimatedRows: c.estimatedRows,
      estimateFromTarget: options.estimateFromTarget && c.estimatedRows === undefined,
      maxRows: c.maxRows,
      config: undefined,
    };
    const r = await decideWithEstimate(decide, facts, args, () =>
      estimateFromTarget(connection, c.sql, options.io, options.deps),
    );
    outcome = r.decision.outcome;
    policyIds = r.decision.policyIds;
    estimatedRows = r.estimatedRows;
    if (r.dependsOnEstimate) detail = `hangs on the estimate: ${r.outcomeIfSmall} for a small read`;
  } catch (e) {
    outcome = 'error';
    detail = e instanceof Error ? e.message : String(e);
  }
  const outcomeOk = outcome === c.expect;
  const idsOk = c.policyIds === undefined || sameSet(c.policyIds, policyIds);
  if (outcomeOk && !idsOk) detail = `expected policies ${c.policyIds?.join(', ')}`;
  return {
    name,
    expected: c.expect,
    outcome,
    policyIds,
    expectedPolicyIds: c.policyIds,
    estimatedRows,
    pass: outcomeOk && idsOk,
    detail,
  };
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

async function loadCases(path: string): Promise<PolicyCase[]> {
  let raw: unknown;
  try {
    const text = await readFile(path, 'utf8');
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // A bare list or {cases: [...]}; parsed by its shape so errors name the field at fault.
  const parsed = Array.isArray(raw) ? caseListSchema.safeParse(raw) : casesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new UsageError(`${path} is not a valid case list: ${issues}`);
  }
  return Array.isArray(parsed.data) ? parsed.data : parsed.data.cases;
}

export async function runPolicyTest(
  argv: string[],
  io: CliIo,
  deps: PolicyCommandDeps = {},
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        config: { type: 'string' },
        'estimate-from-target': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      const { runPolicyCommand } = await import('./policy.js');
      return runPolicyCommand(['--help'], io);
    }
    if (positionals.length !== 1) throw new UsageError('give one CASES.yaml file');
    const cases = await loadCases(positionals[0]);
    const engine = await loadPolicyEngine(values.dir ?? io.env.AGENTGATE_POLICY_DIR ?? SHIPPED_POLICY_DIR);
    const config = await configFor(values.config ?? io.env.AGENTGATE_CONFIG);
    const results: CaseResult[] = [];
    for (const [i, c] of cases.entries()) {
      results.push(
        await runCase(
          engine,
          config,
          c,
          { estimateFromTarget: values['estimate-from-target'] === true, io, deps },
          i,
        ),
      );
    }
    const failed = results.filter((r) => !r.pass).length;
    printReport(io, values.json, { passed: results.length - failed, failed, results }, () =>
      tableText({
        columns: ['result', 'case', 'expected', 'outcome', 'policies', 'estimate', 'detail'],
        rows: results.map((r) => ({
          result: r.pass ? 'ok' : 'FAIL',
          case: r.name,
          expected: r.expectedPolicyIds ? `${r.expected} (${r.expectedPolicyIds.join(',')})` : r.expected,
          outcome: r.outcome,
          policies: r.policyIds.join(','),
          estimate: r.estimatedRows,
          detail: r.detail ?? '',
        })),
        maxWidth: 60,
        footer: `${results.length - failed} passed, ${failed} failed`,
      }),
    );
    return failed === 0 ? TEST_EXIT_CODES.pass : TEST_EXIT_CODES.mismatch;
  } catch (e) {
    return failure(io, 'policy test', e);
  }
}

function failure(io: CliIo, command: string, e: unknown): number {
  io.stderr.write(`agentgate ${command}: ${e instanceof Error ? e.message : String(e)}\n`);
  return e instanceof UsageError ||
    (e instanceof Error && 'code' in e && e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    ? TEST_EXIT_CODES.usage
    : TEST_EXIT_CODES.mismatch;
}

// ---------- policy diff ----------

const replayRecord = z
  .object({
    requestId: z.string(),
    time: z.string().optional(),
    action: z.string(),
    connection: z.string().nullable(),
    statement: z.string().nullable(),
    principal: z
      .object({
        id: z.string(),
        kind: z.enum(['agent', 'human']),
        appId: z.string().optional(),
        name: z.string().optional(),
        groups: z.array(z.string()).default([]),
        roles: z.array(z.string()).default([]),
        onBehalfOf: z.object({ id: z.string(), name: z.string().optional() }).optional(),
      })
      .passthrough()
      .nullable(),
    facts: z.object({ estimatedRows: z.number().nullable() }).passthrough().nullable(),
    decision: z.object({ outcome: z.string(), policyIds: z.array(z.string()) }).passthrough(),
  })
  .passthrough();

const recordsFile = z.union([
  z.array(z.unknown()),
  z.object({ records: z.array(z.unknown()) }).passthrough(),
]);

export type ReplayRecord = z.output<typeof replayRecord>;

export interface DiffRow {
  requestId: string;
  principal: string;
  connection: string;
  statement: string;
  audited: string;
  current: string;
  against: string;
}

function principalOf(p: NonNullable<ReplayRecord['principal']>): Principal {
  return {
    kind: p.kind,
    id: p.id,
    tenantId: undefined,
    appId: p.appId,
    name: p.name,
    groups: p.groups,
    roles: p.roles,
    scopes: [],
    onBehalfOf: p.onBehalfOf ? { id: p.onBehalfOf.id, name: p.onBehalfOf.name } : undefined,
    issuer: 'agentgate-replay',
    tokenId: undefined,
  };
}

function label(d: Decision): string {
  return `${d.outcome} (${d.policyIds.join(',')})`;
}

/** Replays query records through two policy sets; returns those whose outcome or policies differ. */
export async function diffRecords(
  records: readonly unknown[],
  current: PolicyEngine,
  against: PolicyEngine,
  config: GatewayConfig,
): Promise<{ replayed: number; skipped: number; changed: DiffRow[] }> {
  let replayed = 0;
  let skipped = 0;
  const changed: DiffRow[] = [];
  for (const raw of records) {
    const parsed = replayRecord.safeParse(raw);
    const r = parsed.success ? parsed.data : undefined;
    const connection = r ? config.connections.find((c) => c.id === r.connection) : undefined;
    if (r?.action !== 'query' || r.statement === null || r.principal === null || !connection) {
      skipped++;
      continue;
    }
    let facts: Awaited<ReturnType<typeof analyseStatement>>;
    try {
      facts = await analyseStatement(connection.engine, r.statement, {
        defaultSchema: connection.defaultSchema,
      });
    } catch {
      // A statement the analyser refuses is refused whatever the policies say.
      skipped++;
      continue;
    }
    replayed++;
    const estimate = r.facts?.estimatedRows ?? null;
    const decideWith = (engine: PolicyEngine) =>
      prepareQueryDecision({
        policy: engine,
        principal: principalOf(r.principal as NonNullable<ReplayRecord['principal']>),
        connection,
        facts,
        requestedMaxRows: connection.maxRows,
        purpose: undefined,
        now: new Date(),
      }).decide(estimate);
    const a = decideWith(current);
    const b = decideWith(against);
    if (a.outcome !== b.outcome || !sameSet(a.policyIds, b.policyIds)) {
      changed.push({
        requestId: r.requestId,
        principal: r.principal.id,
        connection: connection.id,
        statement: r.statement,
        audited: `${r.decision.outcome} (${r.decision.policyIds.join(',')})`,
        current: label(a),
        against: label(b),
      });
    }
  }
  return { replayed, skipped, changed };
}

export async function runPolicyDiff(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        against: { type: 'string' },
        records: { type: 'string' },
        url: { type: 'string' },
        limit: { type: 'string' },
        dir: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      const { runPolicyCommand } = await import('./policy.js');
      return runPolicyCommand(['--help'], io);
    }
    if (!values.against) throw new UsageError('--against DIR is required');
    if (values.records && values.url) throw new UsageError('give --records FILE or --url URL, not both');
    const limit = values.limit ?? '200';
    if (!/^[0-9]{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 200) {
      throw new UsageError('--limit must be a whole number from 1 to 200');
    }
    const current = await loadPolicyEngine(values.dir ?? io.env.AGENTGATE_POLICY_DIR ?? SHIPPED_POLICY_DIR);
    const against = await loadPolicyEngine(values.against);
    const config = await configFor(values.config ?? io.env.AGENTGATE_CONFIG);
    let records: unknown[];
    if (values.records) {
      const parsed = recordsFile.safeParse(JSON.parse(await readFile(values.records, 'utf8')));
      if (!parsed.success)
        throw new UsageError(`${values.records}: expected a JSON array of audit records or {records: [...]}`);
      records = Array.isArray(parsed.data) ? parsed.data : parsed.data.records;
    } else {
      const token = await mintDevToken(
        io,
        { kind: 'human', name: 'cli-auditor' },
        { groups: ['auditors'], ttlSeconds: 300 },
      );
      const call = await callGateway(io, `/api/v1/audit?limit=${limit}`, { token, url: values.url });
      const body = z.object({ records: z.array(z.unknown()) }).safeParse(call.body);
      if (!call.ok || !body.success) return reportFailure(io, 'policy diff', call);
      records = body.data.records;
    }
    const result = await diffRecords(records, current, against, config);
    const footer = `${result.changed.length} changed of ${result.replayed} replayed (${result.skipped} records skipped: not a query, no statement, or an unknown connection)`;
    // Nothing changed prints the count alone, not an empty table.
    printReport(io, values.json, result, () =>
      result.changed.length === 0
        ? `${footer}\n`
        : tableText({
            columns: ['requestId', 'principal', 'connection', 'current', 'against', 'audited', 'statement'],
            rows: result.changed.map((r) => ({ ...r })),
            maxWidth: 50,
            footer,
          }),
    );
    return result.changed.length === 0 ? TEST_EXIT_CODES.pass : TEST_EXIT_CODES.mismatch;
  } catch (e) {
    return failure(io, 'policy diff', e);
  }
}
