import { createHash } from 'node:crypto';
import { z } from 'zod';
import { buildAuditRecord, type RequestTrace } from './audit/build-record.js';
import type { AuditRecord } from './audit/record.js';
import { type BudgetStore, spendBudget } from './budget/index.js';
import type { ConnectionConfig, GatewayConfig } from './config/connections.js';
import type { Connector } from './connectors/connector.js';
import { WITHHELD, withholdDataInDbMessage } from './db-error-message.js';
import { connectionResource, prepareQueryDecision, unmaskedClasses } from './decide-query.js';
import { GatewayError, InvalidTokenError } from './errors.js';
import { type ApiRequest, type ApiResponse, errorResponse, jsonResponse } from './http/api.js';
import { readJsonBody } from './http/body.js';
import { StageTimer } from './http/timing.js';
import type { TokenVerifier } from './identity/index.js';
import { wwwAuthenticate } from './identity/index.js';
import type { Masker, MaskingReport } from './masking/index.js';
import { BUILTIN_CLASSES, traceColumns } from './masking/index.js';
import { planFromProvenance } from './masking/provenance-plan.js';
import type { PolicyEngine } from './policy/index.js';
import { ERROR_POLICY_ID, queryContext } from './policy/index.js';
import { agentFacingError } from './query/agent-error.js';
import { createCatalogCache } from './query/catalog-cache.js';
import { allowlistRefusal, tablesOutsideExposure, unexposedReads } from './query/exposure.js';
import { analyseStatement } from './sql/analyse.js';
import type { Catalog } from './sql/catalog.js';
import { DEFAULT_FUNCTIONS, functionPolicy } from './sql/pg/allowlist.js';
import type { AuditStore } from './store/audit-store.js';
import type { Decision, Principal, QueryResult, StatementFacts } from './types.js';

/**
 * The gateway core: every request is authenticated, analysed, decided, executed, masked and
 * audited here, top to bottom. Nothing in this file knows about Azure Functions or the local
 * host; both hand it an ApiRequest and send back the ApiResponse it returns.
 */

export interface GatewayDeps {
  verifier: TokenVerifier;
  policy: PolicyEngine;
  config: GatewayConfig;
  /** The connector for a connection (adapters cache pools per connection). */
  connectorFor(connection: ConnectionConfig): Connector;
  audit: AuditStore;
  masker: Masker;
  /** Rows and bytes released per principal and connection; budgets are off without it. */
  budgets?: BudgetStore;
  now?: () => Date;
  newId?: () => string;
  version?: string;
  /** Where server-side failures are reported (their causes never reach the caller). */
  log?: (event: GatewayLogEvent) => void;
}

export interface GatewayLogEvent {
  level: 'error';
  requestId: string;
  code: string;
  status: number;
  message: string;
  cause: string | undefined;
}

/** One JSON line on stderr: the Functions host ships it to Application Insights. */
function logToStderr(event: GatewayLogEvent): void {
  console.error(JSON.stringify({ source: 'agentgate', ...event }));
}

function describeCause(error: unknown): string | undefined {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : undefined;
  if (cause === undefined) return undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

export interface Gateway {
  query(req: ApiRequest): Promise<ApiResponse>;
  listConnections(req: ApiRequest): Promise<ApiResponse>;
  describeConnection(req: ApiRequest): Promise<ApiResponse>;
  searchAudit(req: ApiRequest): Promise<ApiResponse>;
  health(req: ApiRequest): Promise<ApiResponse>;
}

const MAX_BODY_BYTES = 256 * 1024;

const paramValue = z.union([z.string().max(100_000), z.number(), z.boolean(), z.null()]);

const queryBodySchema = z
  .object({
    sql: z.string().min(1).max(100_000),
    params: z.array(paramValue).max(1000).optional(),
    maxRows: z.number().int().min(1).max(1_000_000).optional(),
    purpose: z.string().max(1000).optional(),
  })
  .strict();

const auditQuerySchema = z
  .object({
    principal: z.string().min(1).max(512).optional(),
    connection: z.string().min(1).max(128).optional(),
    decision: z.enum(['allow', 'deny', 'approval', 'error']).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    continuation: z.string().min(1).max(8192).optional(),
  })
  .strict();

/** A token shaped like a JWT is worth an audit record even when it fails; noise is not. */
function looksLikeBearerJwt(header: string | null): boolean {
  return header !== null && /^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(header.trim());
}

/** The statement facts of a plain one-row read, to ask whether a connection is visible. */
const NEUTRAL_READ = {
  engine: 'postgres' as const,
  statementCount: 1,
  effect: 'read' as const,
  statementKinds: ['SelectStmt'],
  tables: [],
  columns: {},
  functions: [],
  dangerousFunctions: [],
  selectStar: false,
  starTables: [],
  hasWhere: false,
  whereTriviallyTrue: false,
  limit: 1,
  into: false,
  predicateColumns: [],
  outputs: [],
  fingerprint: '',
} satisfies StatementFacts;

/** Budgets are per principal (by issuer and id) and connection; hashed so any id is a valid item id. */
function budgetKey(principal: Principal, connection: string): string {
  const who = JSON.stringify([connection, principal.kind, principal.issuer, principal.id]);
  return createHash('sha256').update(who).digest('hex');
}

export function createGateway(deps: GatewayDeps): Gateway {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? (() => crypto.randomUUID());
  const connections = new Map(deps.config.connections.map((c) => [c.id, c]));
  const log = deps.log ?? logToStderr;

  function report(requestId: string, e: GatewayError): void {
    if (e.status < 500) return;
    log({
      level: 'error',
      requestId,
      code: e.code,
      status: e.status,
      message: e.message,
      cause: describeCause(e),
    });
  }

  /**
   * Writes the audit record, then returns the response. When the record cannot be written
   * the response is replaced by 503: no audit, no data.
   */
  async function finish(
    trace: RequestTrace,
    timer: StageTimer,
    response: ApiResponse,
    result: { errorCode: string | null; rowsReturned: number; truncated: boolean },
  ): Promise<ApiResponse> {
    const record = buildAuditRecord(trace, {
      status: response.status,
      errorCode: result.errorCode,
      rowsReturned: result.rowsReturned,
      truncated: result.truncated,
      durationMs: timer.elapsedMs(),
    });
    try {
      await timer.time('audit', () => deps.audit.append(record));
    } catch (cause) {
      const failure = new GatewayError(
        'audit_unavailable',
        'The audit store is unavailable; no data was released.',
        {
          cause,
        },
      );
      report(trace.requestId, failure);
      return errorResponse(trace.requestId, failure, { 'server-timing': timer.header() }).response;
    }
    response.headers['server-timing'] = timer.header();
    response.headers['x-request-id'] = trace.requestId;
    return response;
  }

  function fail(
    trace: RequestTrace,
    timer: StageTimer,
    error: unknown,
    headers: Record<string, string> = {},
  ) {
    const { response, error: e } = errorResponse(trace.requestId, error, headers);
    report(trace.requestId, e);
    return finish(trace, timer, response, { errorCode: e.code, rowsReturned: 0, truncated: false });
  }

  async function authenticate(req: ApiRequest, timer: StageTimer): Promise<Principal> {
    return timer.time('auth', () => deps.verifier.verify(req.headers.get('authorization')));
  }

  /** 401 for a failed authentication; audited when the caller presented a JWT-shaped token. */
  async function unauthenticated(trace: RequestTrace, timer: StageTimer, req: ApiRequest, error: unknown) {
    const header = {
      'www-authenticate': wwwAuthenticate(error instanceof InvalidTokenError ? error : undefined),
    };
    if (looksLikeBearerJwt(req.headers.get('authorization'))) return fail(trace, timer, error, header);
    const { response } = errorResponse(trace.requestId, error, header);
    return response;
  }

  function newTrace(action: string, connection: string | null): RequestTrace {
    return {
      requestId: newId(),
      time: now(),
      action,
      principal: null,
      connection,
      statement: null,
      facts: null,
      estimatedRows: null,
      decision: null,
      purpose: null,
      masking: null,
    };
  }

  /**
   * The frame every audited route shares: authenticate (401, audited when the token had a
   * JWT shape), run the route with the principal, and turn any failure into an audited
   * error response.
   */
  async function audited(
    req: ApiRequest,
    action: string,
    connection: string | null,
    run: (trace: RequestTrace, timer: StageTimer, principal: Principal) => Promise<ApiResponse>,
  ): Promise<ApiResponse> {
    const timer = new StageTimer();
    const trace = newTrace(action, connection);
    let principal: Principal;
    try {
      principal = await authenticate(req, timer);
    } catch (e) {
      return unauthenticated(trace, timer, req, e);
    }
    trace.principal = principal;
    try {
      return await run(trace, timer, principal);
    } catch (e) {
      return fail(trace, timer, e);
    }
  }

  const catalogs = createCatalogCache();

  /** Refusal of a decision that is not `allow`: nothing was released. */
  function refusal(decision: Decision): GatewayError {
    switch (decision.outcome) {
      case 'deny':
        // An evaluation error denies too; its Cedar message goes to the audit record only.
        if (decision.policyIds.includes(ERROR_POLICY_ID)) {
          return new GatewayError('policy_denied', 'Denied: the policy could not be evaluated.', {
            details: { policyIds: [ERROR_POLICY_ID], reasons: [] },
          });
        }
        return new GatewayError('policy_denied', decision.reasons.join(' ') || 'Denied by policy.', {
          details: { policyIds: decision.policyIds, reasons: decision.reasons },
        });
      case 'approval':
        return new GatewayError(
          'approval_workflow_unavailable',
          'This request needs human approval, and the approval workflow is not available yet. Nothing was executed.',
          { details: { policyIds: decision.policyIds, reasons: decision.reasons } },
        );
      case 'allow':
        return new GatewayError('policy_error', 'An allowed decision was refused.');
      default: {
        const unexpected: never = decision.outcome;
        return new GatewayError('policy_error', `Unexpected policy outcome ${String(unexpected)}.`);
      }
    }
  }

  /** A refusal the gateway makes itself (byte cap, budget), named like a policy. */
  function gatewayApproval(policyId: string, reason: string): Decision {
    return { outcome: 'approval', policyIds: [policyId], reasons: [reason], obligations: {} };
  }

  /** Analysis against the exposed catalog, after the tables were checked without it. */
  async function analyse(conn: ConnectionConfig, connector: Connector, sql: string, principal: Principal) {
    const first = await analyseStatement(conn.engine, sql, { defaultSchema: conn.defaultSchema });
    const early = tablesOutsideExposure(first, conn);
    // Names outside the exposure never reach the target, not even as a catalog lookup.
    if (
      principal.kind === 'agent' &&
      early.length > 0 &&
      first.effect === 'read' &&
      first.statementCount === 1
    ) {
      return { facts: first, unexposed: early, catalog: undefined };
    }
    if (conn.engine !== 'postgres' || first.statementCount !== 1 || first.effect !== 'read') {
      return { facts: first, unexposed: early, catalog: undefined };
    }
    const catalog = await catalogs.catalogFor(conn, connector);
    const facts = await analyseStatement(conn.engine, sql, {
      defaultSchema: conn.defaultSchema,
      catalog,
      functions:
        conn.functions.deny.length + Object.keys(conn.functions.allow).length > 0
          ? functionPolicy(conn.functions)
          : DEFAULT_FUNCTIONS,
    });
    return { facts, unexposed: unexposedReads(facts, early), catalog };
  }

  async function query(req: ApiRequest): Promise<ApiResponse> {
    // Route values are attacker-chosen; ids are at most 63 characters, so anything longer is
    // unknown, and only a bounded prefix of it goes into the audit record.
    const routeId = req.params.connection ?? null;
    const connectionId = routeId !== null && routeId.length > 128 ? `${routeId.slice(0, 128)}…` : routeId;
    return audited(req, 'query', connectionId, async (trace, timer, principal) => {
      const body = await readJsonBody(req, queryBodySchema, MAX_BODY_BYTES);
      trace.statement = body.sql;
      trace.params = body.params ?? [];
      trace.purpose = body.purpose ?? null;

      const conn = connectionId === null ? undefined : connections.get(connectionId);
      if (!conn) throw new GatewayError('connection_not_found', 'No connection with that id exists.');
      const connector = deps.connectorFor(conn);
      const params = body.params ?? [];
      const isAgent = principal.kind === 'agent';

      const { facts, unexposed, catalog } = await timer.time('analyse', () =>
        analyse(conn, connector, body.sql, principal),
      );
      trace.facts = facts;

      const refused = allowlistRefusal(principal, facts, unexposed);
      if (refused) {
        trace.decision = refused;
        throw refusal(refused);
      }

      const { clear, decide } = prepareQueryDecision({
        policy: deps.policy,
        principal,
        connection: conn,
        facts,
        requestedMaxRows: body.maxRows ?? conn.maxRows,
        purpose: body.purpose,
        now: trace.time,
        unexposed,
      });
      const targetError = (e: unknown) => {
        throw withholdDataInError(e, body.sql, clear, isAgent, trace);
      };

      // Decide once without touching the target: what is denied on its face never reaches
      // the database, not even as an EXPLAIN. Only a single plain read is estimated.
      let decision = await timer.time('decide', () => decide(null));
      const rowPreserving = facts.provenance?.rowPreserving ?? false;
      const limits = { maxRows: conn.maxRows, statementTimeoutMs: conn.statementTimeoutMs };
      if (decision.outcome !== 'deny' && facts.effect === 'read' && facts.statementCount === 1) {
        trace.estimatedRows = await timer.time('decide', () =>
          connector.estimateRows(body.sql, params, { ...limits, rowsRead: rowPreserving }).catch(targetError),
        );
        decision = await timer.time('decide', () => decide(trace.estimatedRows));
      }
      trace.decision = decision;

      // The estimate is an early filter; for a statement whose rows are its volume the real
      // count decides. An approval that only the estimate caused is tried with the row cap
      // of the small read, and the rows fetched (at most cap + 1) are decided again.
      let counted = false;
      if (decision.outcome === 'approval' && !rowPreserving && facts.provenance !== undefined) {
        const small = decide(1, 'actual');
        if (small.outcome === 'allow') {
          decision = small;
          counted = true;
        }
      }
      if (decision.outcome !== 'allow') throw refusal(decision);

      const maxRows = Math.min(
        conn.maxRows,
        body.maxRows ?? conn.maxRows,
        decision.obligations.maxRows ?? Infinity,
      );
      const result: QueryResult = await timer.time('execute', () =>
        connector
          .execute(body.sql, params, {
            maxRows,
            statementTimeoutMs: conn.statementTimeoutMs,
            plainQuery: facts.statementKinds.every((kind) => kind === 'SelectStmt'),
          })
          .catch(targetError),
      );

      if ((counted || result.truncated) && !rowPreserving) {
        const fetched = result.truncated ? maxRows + 1 : result.rows.length;
        const recount = await timer.time('decide', () => decide(fetched, 'actual'));
        trace.estimatedRows = Math.max(trace.estimatedRows ?? 0, fetched);
        trace.decision = recount;
        if (recount.outcome !== 'allow') throw refusal(recount);
        decision = recount;
      }

      const { rows, report } = await timer.time('mask', () =>
        maskResult(connector, conn, facts, result, clear, catalog),
      );
      trace.masking = report;

      const bytes = Buffer.byteLength(JSON.stringify(rows));
      trace.released = { rows: rows.length, cells: rows.length * result.columns.length, bytes };
      if (isAgent && bytes > conn.maxResponseBytes) {
        const over = gatewayApproval(
          'gateway-response-bytes',
          `The result is ${bytes} bytes, more than the ${conn.maxResponseBytes} one response may carry to an agent.`,
        );
        trace.decision = over;
        throw refusal(over);
      }

      let budget: { rowsLeft: number; bytesLeft: number; windowSeconds: number } | undefined;
      if (isAgent && conn.budget && deps.budgets) {
        const spent = rowPreserving
          ? Math.max(rows.length, Math.ceil(trace.estimatedRows ?? 0))
          : rows.length;
        const outcome = await timer.time('budget', () =>
          spendBudget(
            deps.budgets as BudgetStore,
            budgetKey(principal, conn.id),
            { rows: spent, bytes },
            conn.budget!,
            now,
          ),
        );
        budget = {
          rowsLeft: outcome.left.rows,
          bytesLeft: outcome.left.bytes,
          windowSeconds: conn.budget.windowSeconds,
        };
        if (!outcome.ok) {
          const over = gatewayApproval(
            'gateway-budget',
            `This read of ${spent} rows and ${bytes} bytes would exceed your budget on this connection (${outcome.left.rows} rows and ${outcome.left.bytes} bytes left in the current ${conn.budget.windowSeconds} s window).`,
          );
          trace.decision = over;
          throw refusal(over);
        }
      }

      const response = jsonResponse(200, {
        requestId: trace.requestId,
        decision: { outcome: decision.outcome, policyIds: decision.policyIds },
        columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
        rows,
        rowCount: rows.length,
        truncated: result.truncated,
        masking: report,
        ...(budget ? { budget } : {}),
      });
      return finish(trace, timer, response, {
        errorCode: null,
        rowsReturned: rows.length,
        truncated: result.truncated,
      });
    });
  }

  /**
   * The target's message is passed on for statement errors, so it goes through the same
   * protections as rows: quoted values not written by the caller are withheld, and the
   * content detectors run over what is left.
   */
  function withholdDataInError(
    e: unknown,
    sql: string,
    clear: Set<string>,
    agent: boolean,
    trace: RequestTrace,
  ): unknown {
    if (!(e instanceof GatewayError) || (e.code !== 'query_failed' && e.code !== 'forbidden')) return e;
    // The target's own words go to the audit record (masked), never to an agent.
    trace.targetMessage = deps.masker.maskText(e.message, new Set()) ?? WITHHELD;
    if (agent) return agentFacingError(e);
    const text = withholdDataInDbMessage(e.message, sql);
    const masked = deps.masker.maskText(text, clear) ?? WITHHELD;
    return new GatewayError(e.code, masked, { cause: e, ...(e.details ? { details: e.details } : {}) });
  }

  async function maskResult(
    connector: Connector,
    conn: ConnectionConfig,
    facts: StatementFacts,
    result: QueryResult,
    clear: Set<string>,
    catalog: Catalog | undefined,
  ): Promise<{ rows: QueryResult['rows']; report: MaskingReport }> {
    try {
      const sources = await connector.resolveColumns(
        result.columns.map((c) => ({ tableId: c.tableId ?? 0, columnId: c.columnId ?? 0 })),
      );
      // Complete provenance, by position, when the statement was traced; the older
      // name-based trace only for statements nobody could trace (people, other engines).
      const plan =
        facts.provenance && catalog
          ? planFromProvenance({
              columns: result.columns,
              sources,
              outputs: facts.provenance.outputs,
              classification: conn.classification,
              catalog,
            })
          : traceColumns({ columns: result.columns, sources, facts, classification: conn.classification });
      return deps.masker.maskResult({ columns: result.columns, rows: result.rows, plan, unmasked: clear });
    } catch (e) {
      if (e instanceof GatewayError && e.code === 'masking_failed') throw e;
      throw new GatewayError('masking_failed', 'The result could not be masked; no rows were released.', {
        cause: e,
      });
    }
  }

  /** A connection is listed when a plain one-row read would not be denied outright. */
  function mayQuery(principal: Principal, c: ConnectionConfig): boolean {
    const d = deps.policy.decide({
      principal,
      action: 'query',
      resource: connectionResource(c),
      context: queryContext(
        { ...NEUTRAL_READ, engine: c.engine },
        {
          estimatedRows: 1,
          requestedMaxRows: 1,
          now: now(),
          predicateOnMasked: false,
          maskedColumnsInPredicates: [],
          onBehalfOf: principal.onBehalfOf !== undefined,
        },
      ),
    });
    return d.outcome !== 'deny';
  }

  async function listConnections(req: ApiRequest): Promise<ApiResponse> {
    return audited(req, 'connections.list', null, async (trace, timer, principal) => {
      const visible = deps.config.connections.filter((c) => mayQuery(principal, c));
      const response = jsonResponse(200, {
        requestId: trace.requestId,
        connections: visible.map((c) => ({
          id: c.id,
          engine: c.engine,
          environment: c.environment,
          description: c.description,
          tags: c.tags,
          maxRows: c.maxRows,
        })),
      });
      return finish(trace, timer, response, {
        errorCode: null,
        rowsReturned: visible.length,
        truncated: false,
      });
    });
  }

  /**
   * The exposed tables and columns of one connection, with types and data classes, so that
   * an agent never needs a system catalog. Hidden (404) from whoever may not query it.
   */
  async function describeConnection(req: ApiRequest): Promise<ApiResponse> {
    const routeId = req.params.connection ?? null;
    const connectionId = routeId !== null && routeId.length > 128 ? `${routeId.slice(0, 128)}…` : routeId;
    return audited(req, 'connections.describe', connectionId, async (trace, timer, principal) => {
      const conn = connectionId === null ? undefined : connections.get(connectionId);
      if (!conn || !mayQuery(principal, conn)) {
        throw new GatewayError('connection_not_found', 'No connection with that id exists.');
      }
      const catalog = await timer.time('execute', () => catalogs.catalogFor(conn, deps.connectorFor(conn)));
      const tables = [...catalog.tables.values()].map((t) => ({
        name: t.name,
        columns: t.columns
          .filter((c) => c.exposed)
          .map((c) => {
            const dataClass = conn.classification[`${t.name}.${c.name}`];
            return { name: c.name, type: c.type, ...(dataClass ? { dataClass } : {}) };
          }),
      }));
      const response = jsonResponse(200, { requestId: trace.requestId, connection: conn.id, tables });
      return finish(trace, timer, response, {
        errorCode: null,
        rowsReturned: tables.length,
        truncated: false,
      });
    });
  }

  async function searchAudit(req: ApiRequest): Promise<ApiResponse> {
    return audited(req, 'audit.read', null, async (trace, timer, principal) => {
      const raw = Object.fromEntries(req.query.entries());
      const parsed = auditQuerySchema.safeParse(raw);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`);
        throw new GatewayError('bad_request', `Invalid audit query: ${issues.join('; ')}`);
      }
      const decision = await timer.time('decide', () =>
        deps.policy.decide({
          principal,
          action: 'audit.read',
          resource: { type: 'Gateway', id: 'agentgate' },
          context: {},
        }),
      );
      trace.decision = decision;
      // The audit trail is for people: an agent holding the auditor role is refused too.
      if (decision.outcome !== 'allow' || principal.kind !== 'human') {
        throw new GatewayError('forbidden', 'You may not read the audit trail.', {
          details: { policyIds: principal.kind === 'human' ? decision.policyIds : ['audit-humans-only'] },
        });
      }
      const { limit, continuation, ...filter } = parsed.data;
      trace.statement = JSON.stringify(parsed.data);
      const page = await timer.time('execute', () =>
        deps.audit.search(filter, { limit, ...(continuation ? { continuation } : {}) }),
      );
      // Statements and parameters can hold what a data steward typed: the reader sees them
      // with the reader's own masking posture.
      const clear = unmaskedClasses(deps.policy, principal, BUILTIN_CLASSES);
      const records = page.records.map((r) => maskAuditRecord(r, clear));
      const response = jsonResponse(200, {
        requestId: trace.requestId,
        records,
        ...(page.continuation ? { continuation: page.continuation } : {}),
      });
      return finish(trace, timer, response, {
        errorCode: null,
        rowsReturned: page.records.length,
        truncated: false,
      });
    });
  }

  function maskAuditRecord(record: AuditRecord, clear: Set<string>): AuditRecord {
    const text = (v: string) => deps.masker.maskText(v, clear) ?? WITHHELD;
    return {
      ...record,
      statement: record.statement === null ? null : text(record.statement),
      ...(record.params ? { params: record.params.map((p) => (typeof p === 'string' ? text(p) : p)) } : {}),
      ...(record.targetMessage === undefined ? {} : { targetMessage: text(record.targetMessage) }),
    };
  }

  async function health(_req: ApiRequest): Promise<ApiResponse> {
    return jsonResponse(
      200,
      { status: 'ok', version: deps.version ?? '0.0.0', time: now().toISOString() },
      { 'x-request-id': newId() },
    );
  }

  return { query, listConnections, describeConnection, searchAudit, health };
}
