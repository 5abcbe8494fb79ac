import { resultDigest } from '../audit/result-digest.js';
import type { ConnectionConfig } from '../config/connections.js';
import type { Connector, PlanSources, ReadSession } from '../connectors/connector.js';
import { prepareQueryDecision } from '../decide-query.js';
import { GatewayError } from '../errors.js';
import { boundedRouteValue } from '../limits.js';
import type { MaskingReport } from '../masking/index.js';
import { type Analysis, analyse } from '../pipeline/analyse.js';
import { type DecideFn, decide, refusalFor, requireAllow } from '../pipeline/decide.js';
import { estimate, holdCostlyPlan } from '../pipeline/estimate.js';
import { executeAndMask, type MaskedResult } from '../pipeline/execute.js';
import { withholdPackedNumbers } from '../pipeline/packed-numbers.js';
import { type BudgetLeft, checkRelease } from '../pipeline/release.js';
import { targetErrorHandler } from '../pipeline/target-error.js';
import { newTrace, type RequestStart, type RequestTrace } from '../pipeline/trace.js';
import { allowlistRefusal } from '../query/exposure.js';
import { rowsPerCopy } from '../sql/row-carriers.js';
import type { Decision, Principal, StatementFacts } from '../types.js';
import { refuseBadCallbackUrl } from './callbacks.js';
import { type Concluded, conclude } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import type { QueryInput } from './inputs.js';
import type { Outcome } from './outcome.js';
import { scannedPurpose } from './purpose.js';
import { withRowsJson } from './released-json.js';
import { keepForReplay } from './replay-keep.js';
import { requestApproval } from './request-approval.js';

export interface QueryValue {
  requestId: string;
  decision: { outcome: Decision['outcome']; policyIds: string[] };
  columns: Array<{ name: string; type: string }>;
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
  masking: MaskingReport;
  budget?: BudgetLeft;
}

/** One statement, screened, decided, run, masked and released: everything a request needs. */
interface Plan {
  connection: ConnectionConfig;
  connector: Connector;
  analysis: Analysis;
  clear: Set<string>;
  decideFn: DecideFn;
  onTargetError: (e: unknown) => never;
  rowPreserving: boolean;
  /** Rows of one table a result row may carry (rowsPerRow); 1 for a counted read. */
  perRow: number;
  /**
   * The statement filters, joins, sorts or computes on columns masked for this caller, so
   * the planner's estimate is read from their statistics (histograms, most common values, an
   * index's real bounds): it is their content, and may decide nothing the caller can see.
   */
  estimateReadsMasked: boolean;
  /** Whose statement it is: the cost cap applies to agents only, like the byte cap. */
  principal: Principal;
}

export function findConnection(deps: UseCaseDeps, id: string | null): ConnectionConfig {
  const conn = id === null ? undefined : deps.connections.get(id);
  if (!conn) throw new GatewayError('connection_not_found', 'No connection with that id exists.');
  return conn;
}

/** The query use case: the same for REST, MCP and anything else that carries a statement. */
export function query(
  deps: UseCaseDeps,
  start: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
  given: QueryInput,
): Promise<Outcome<QueryValue>> {
  const input = scannedPurpose(given, deps.masker);
  const trace = newTrace({ ...start, action: 'query', connection: boundedRouteValue(input.connection) });
  trace.principal = principal;
  trace.statement = input.sql;
  trace.params = input.params ?? [];
  trace.purpose = input.purpose ?? null;
  const run = () => screenDecideRun(deps, trace, principal, input);
  // One slot of the principal's for the whole request, given back however it ends.
  return conclude(deps, trace, () => (deps.inFlight ? deps.inFlight.run(principal, run) : run()));
}

/** The request's body: screened, decided, run and released, or stored for approval. */
async function screenDecideRun(
  deps: UseCaseDeps,
  trace: RequestTrace,
  principal: Principal,
  input: QueryInput,
): Promise<Concluded<QueryValue>> {
  refuseBadCallbackUrl(deps, input.callbackUrl);
  try {
    const screened = await screen(deps, trace, principal, input);
    // One session (one checkout, one read-only transaction) for the estimate and the read;
    // it checks out nothing until the estimate, so what is denied on its face costs none.
    const session = screened.connector.openRead?.(screened.connection.statementTimeoutMs);
    const plan = session ? { ...screened, connector: throughSession(screened.connector, session) } : screened;
    try {
      const decision = await decideBeforeRun(trace, plan, input);
      const run = await runAllowed(deps, trace, plan, input, decision);
      const value = await release(deps, trace, principal, plan, run);
      return { value, end: { rowsReturned: value.rowCount, truncated: value.truncated } };
    } finally {
      // Ends a session the read did not end (refused, failed): ROLLBACK, connection back.
      await session?.end().catch(() => undefined);
    }
  } catch (e) {
    // Policy (or the byte cap, the budget, the plan's cost) sends it to people: with the
    // workflow in place it is stored for approval instead of refused.
    const approvals = deps.approvals;
    if (!approvals || !(e instanceof GatewayError) || e.code !== 'approval_workflow_unavailable') throw e;
    return requestApproval({ ...deps, approvals }, trace, principal, input);
  }
}

/**
 * PostgreSQL binds exactly as many values as the highest `$n`; another count is refused by
 * the server as a protocol violation, which would read as the target failing (502). The
 * caller's mistake is told as one before anything reaches the target.
 */
function refuseParamCountMismatch(conn: ConnectionConfig, wanted: number, given: number): void {
  if (conn.engine !== 'postgres' || wanted === given) return;
  const uses =
    wanted === 0
      ? 'no parameters'
      : wanted === 1
        ? '1 parameter ($1)'
        : `${wanted} parameters ($1 to $${wanted})`;
  throw new GatewayError(
    'bad_request',
    `The statement uses ${uses} and ${given} ${given === 1 ? 'was' : 'were'} given; nothing ran.`,
    { details: { paramsExpected: wanted, paramsGiven: given } },
  );
}

/** The connector with its estimate and read going through one session. */
function throughSession(connector: Connector, session: ReadSession): Connector {
  const bound: Pick<Connector, 'estimateRows' | 'execute'> = {
    estimateRows: (sql, params, options) => session.estimateRows(sql, params, options),
    execute: (sql, params, options) => session.execute(sql, params, options),
  };
  // Everything else (engine, resolveSources, describeTables) is the connector's own.
  return Object.assign(Object.create(connector) as Connector, bound);
}

/** Analysis and the allowlist: what is refused on its face never reaches policy or target. */
async function screen(deps: UseCaseDeps, trace: RequestTrace, principal: Principal, input: QueryInput) {
  const conn = findConnection(deps, input.connection);
  const connector = deps.connectorFor(conn);
  const analysis = await trace.clock.run('analyse', () =>
    analyse({ connection: conn, connector, catalogs: deps.catalogs, sql: input.sql, principal }),
  );
  trace.facts = analysis.facts;
  refuseParamCountMismatch(conn, analysis.facts.paramCount ?? 0, input.params?.length ?? 0);
  const refused = allowlistRefusal(principal, analysis.facts, analysis.unexposed);
  if (refused) requireAllow(trace, refused);
  const {
    clear,
    decide: decideFn,
    maskedPredicates,
  } = prepareQueryDecision({
    policy: deps.policy,
    principal,
    connection: conn,
    facts: analysis.facts,
    requestedMaxRows: input.maxRows ?? conn.maxRows,
    purpose: input.purpose,
    now: trace.time,
    unexposed: analysis.unexposed,
    transport: trace.transport,
    ...(analysis.catalog ? { catalog: analysis.catalog } : {}),
  });
  trace.unmaskedClasses = [...clear].sort();
  const onTargetError = targetErrorHandler({
    trace,
    sql: input.sql,
    clear,
    agent: principal.kind === 'agent',
    masker: deps.masker,
  });
  const rowPreserving = analysis.facts.provenance?.rowPreserving ?? false;
  // A counted read (rowPreserving) counts the rows every step read; any other carries at most
  // this many rows of one table in each of its rows, and is decided as that many.
  const perRow = rowPreserving ? 1 : rowsPerRow(analysis.facts);
  return {
    connection: conn,
    connector,
    analysis,
    clear,
    decideFn:
      perRow === 1 ? decideFn : (rows, source) => decideFn(rows === null ? null : rows * perRow, source),
    onTargetError,
    rowPreserving,
    perRow,
    estimateReadsMasked: maskedPredicates.length > 0,
    principal,
  } satisfies Plan;
}

/**
 * Decide once without touching the target (what is denied on its face never reaches the
 * database, not even as an EXPLAIN), then with the estimate for a single plain read. An
 * approval that only the estimate caused is tried with the row cap of a small read; the
 * rows fetched are then decided again (`recount`).
 */
async function decideBeforeRun(trace: RequestTrace, plan: Plan, input: QueryInput) {
  const { facts } = plan.analysis;
  const conn = plan.connection;
  // What the target's own plan says each result column reads: a second opinion for masking.
  let planSources: PlanSources | undefined;
  let cost: number | undefined;
  let decision = await decide(trace, plan.decideFn, null);
  if (decision.outcome !== 'deny' && facts.effect === 'read' && facts.statementCount === 1) {
    // A counted estimate runs the statement: only when some count could allow it, so that a
    // failure there (a bit of a masked value) never answers before the approval guarding it.
    if (plan.rowPreserving) {
      const floor = await decide(trace, plan.decideFn, 0, 'actual');
      if (floor.outcome !== 'allow') throw refusalFor(floor);
    }
    // The estimate of a statement that filters on masked columns is read from their
    // statistics, and planning it runs the caller's operators on their stored values. It is
    // made only where some estimate lets the read run (its rows then tell more than the
    // estimate): otherwise the approvals it picks, their caps and its timing would answer
    // questions about the masked values (`ssn < '5'` held as a bulk read or not). Decided as
    // 0 rows, the same for every value, and held without touching the target.
    if (plan.estimateReadsMasked) {
      const standIn = await decide(trace, plan.decideFn, 0);
      if (standIn.outcome !== 'allow') throw refusalFor(standIn);
    }
    const limits = { maxRows: conn.maxRows, statementTimeoutMs: conn.statementTimeoutMs };
    // An agent's statement over the cost cap is not even run to be counted.
    const capped = plan.principal.kind === 'agent' ? { maxPlanCost: conn.maxPlanCost } : {};
    const estimated = await estimate(
      trace,
      plan.connector,
      { sql: input.sql, params: input.params ?? [] },
      {
        ...limits,
        ...capped,
        rowsRead: plan.rowPreserving,
        ...(facts.provenance !== undefined
          ? {
              onPlanSources: (sources: PlanSources) => {
                planSources = sources;
              },
            }
          : {}),
      },
      plan.onTargetError,
    );
    cost = estimated.cost;
    decision = await decide(trace, plan.decideFn, estimated.rows);
  }
  if (decision.outcome === 'approval' && !plan.rowPreserving && facts.provenance !== undefined) {
    const small = plan.decideFn(1, 'actual');
    if (small.outcome === 'allow') {
      holdCostlyPlan(trace, plan.principal, conn, cost);
      return { decision: small, counted: true, planSources };
    }
  }
  if (decision.outcome !== 'allow') throw refusalFor(decision);
  // Policy allows it; what the plan costs may still send it to people before it runs.
  holdCostlyPlan(trace, plan.principal, conn, cost);
  return { decision, counted: false, planSources };
}

async function runAllowed(
  deps: UseCaseDeps,
  trace: RequestTrace,
  plan: Plan,
  input: QueryInput,
  decided: { decision: Decision; counted: boolean; planSources: PlanSources | undefined },
): Promise<MaskedResult & { decision: Decision }> {
  const conn = plan.connection;
  let decision = decided.decision;
  trace.decision = decision;
  // The effective cap: the connection's, the caller's and the policy's, whichever is least.
  const maxRows = Math.min(
    conn.maxRows,
    input.maxRows ?? conn.maxRows,
    decision.obligations.maxRows ?? Infinity,
  );
  const recount = async (result: { rows: unknown[]; truncated: boolean }) => {
    // Rows that carry others are decided again as what they carry: the estimate cannot know
    // how many a filter over a window's rows keeps (`where id % 20 = 0`, red-team round 25).
    if (!(decided.counted || result.truncated || plan.perRow > 1) || plan.rowPreserving) return;
    const fetched = result.truncated ? maxRows + 1 : result.rows.length;
    const again = await decide(trace, plan.decideFn, fetched, 'actual');
    trace.estimatedRows = Math.max(trace.estimatedRows ?? 0, fetched);
    requireAllow(trace, again);
    decision = again;
  };
  const masked = await executeAndMask({
    connector: plan.connector,
    connection: conn,
    facts: plan.analysis.facts,
    catalog: plan.analysis.catalog,
    clear: plan.clear,
    masker: deps.masker,
    sql: input.sql,
    params: input.params ?? [],
    maxRows,
    clock: trace.clock,
    onTargetError: plan.onTargetError,
    afterExecute: recount,
    ...(decided.planSources !== undefined ? { planSources: decided.planSources } : {}),
  });
  trace.masking = masked.report;
  return { ...masked, decision };
}

async function release(
  deps: UseCaseDeps,
  trace: RequestTrace,
  principal: Principal,
  plan: Plan,
  run: MaskedResult & { decision: Decision },
): Promise<QueryValue> {
  const { result } = run;
  // A number longer than any plain sum is a packed table: agents do not get it.
  const { rows, report } = principal.kind === 'agent' ? withholdPackedNumbers(run.rows, run.report) : run;
  trace.masking = report;
  const rowsJson = JSON.stringify(rows);
  const bytes = Buffer.byteLength(rowsJson);
  const columns = result.columns.map((c) => ({ name: c.name, type: c.type }));
  trace.released = {
    rows: rows.length,
    cells: rows.length * result.columns.length,
    bytes,
    digest: resultDigest(columns, rowsJson),
  };
  const reads = plan.analysis.facts.tableReads ?? {};
  const spentRows = plan.rowPreserving
    ? Math.max(rows.length, Math.ceil(trace.estimatedRows ?? 0))
    : rows.length * plan.perRow;
  // Each table is charged the rows of it the result carries (a self-join: each copy's).
  const tableRows = plan.rowPreserving
    ? undefined
    : Object.fromEntries(
        Object.entries(reads).map(([t, n]) => [t, rows.length * copiesOf(plan.analysis.facts, n)]),
      );
  const budget = await checkRelease({
    trace,
    principal,
    connection: plan.connection,
    budgets: deps.budgets,
    rows: rows.length,
    bytes,
    spentRows,
    ...(tableRows ? { tableRows } : {}),
    tables: plan.analysis.facts.tables,
  });
  keepForReplay(deps, trace, { replay: plan.connection.replay, columns, rows, masking: report });
  const value: QueryValue = {
    requestId: trace.requestId,
    decision: { outcome: run.decision.outcome, policyIds: run.decision.policyIds },
    columns,
    rows,
    rowCount: rows.length,
    truncated: result.truncated,
    masking: report,
    ...(budget ? { budget } : {}),
  };
  // The transports send the rows as digested, without serialising them again.
  return withRowsJson(value, rowsJson);
}

/**
 * The most rows of one table a result row carries (at least one): a self-join of ten copies
 * gives ten customers per row, and is counted as ten rows for each (red-team round 23); a
 * call that may give a row another row's value (`lag`, a filtered `max`, a conditional
 * `regr_slope`) may bring more of each copy (rounds 25 and 26, shared/sql/row-carriers.ts).
 */
function rowsPerRow(facts: StatementFacts): number {
  return copiesOf(facts, Math.max(1, ...Object.values(facts.tableReads ?? {})));
}

/** Rows of a table one result row carries, for `reads` copies of it in the statement. */
function copiesOf(facts: StatementFacts, reads: number): number {
  return Math.max(1, reads) * rowsPerCopy(facts.rowCarriers);
}
