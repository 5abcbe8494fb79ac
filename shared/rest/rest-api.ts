import { GatewayError, InvalidTokenError } from '../errors.js';
import type { TokenVerifier } from '../identity/index.js';
import { wwwAuthenticate } from '../identity/index.js';
import { LIMITS } from '../limits.js';
import { authenticate, looksLikeBearerJwt } from '../pipeline/authenticate.js';
import { StageClock } from '../pipeline/stage-clock.js';
import type { RequestStart } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import { listBlobsQuerySchema, readBlobQuerySchema } from '../use-cases/blob-inputs.js';
import type { Outcome, Start, UseCases } from '../use-cases/index.js';
import {
  attemptedStatement,
  auditQuerySchema,
  describeIssues,
  queryBodySchema,
} from '../use-cases/inputs.js';
import { releasedJson } from '../use-cases/released-json.js';
import { decisionBodySchema, resultPageQuerySchema } from '../use-cases/requests.js';
import { type ApprovalPageOptions, createApprovalPageHandlers } from './approval-page.js';
import { type AuditRoutes, createAuditRoutes } from './audit-routes.js';
import { readJsonBody } from './body.js';
import { type ApiRequest, type ApiResponse, errorResponse, jsonResponse } from './http.js';

export interface RestApiDeps {
  useCases: UseCases;
  verifier: TokenVerifier;
  now: () => Date;
  newId: () => string;
  version: string;
  /** Sign-in settings of the approval page (Entra SPA, or the local host's dev sign-in). */
  approvalPage?: ApprovalPageOptions;
}

/** The REST adapter: one handler per route, each a thin translation to one use case. */
export interface RestApi extends AuditRoutes {
  query(req: ApiRequest): Promise<ApiResponse>;
  listConnections(req: ApiRequest): Promise<ApiResponse>;
  describeConnection(req: ApiRequest): Promise<ApiResponse>;
  searchAudit(req: ApiRequest): Promise<ApiResponse>;
  auditTrace(req: ApiRequest): Promise<ApiResponse>;
  requestStatus(req: ApiRequest): Promise<ApiResponse>;
  requestResult(req: ApiRequest): Promise<ApiResponse>;
  cancelRequest(req: ApiRequest): Promise<ApiResponse>;
  listApprovals(req: ApiRequest): Promise<ApiResponse>;
  submitDecision(req: ApiRequest): Promise<ApiResponse>;
  health(req: ApiRequest): Promise<ApiResponse>;
  approvalPage(req: ApiRequest): Promise<ApiResponse>;
  approvalAsset(req: ApiRequest): Promise<ApiResponse>;
  listBlobs(req: ApiRequest): Promise<ApiResponse>;
  readBlob(req: ApiRequest): Promise<ApiResponse>;
}

/** A route's query string through its schema; a bad one is `bad_request` (and audited). */
function queryOf<T>(
  req: ApiRequest,
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError };
  },
): T {
  const parsed = schema.safeParse(Object.fromEntries(req.query.entries()));
  if (!parsed.success)
    throw new GatewayError('bad_request', `Invalid query: ${describeIssues(parsed.error, '(query)')}`);
  return parsed.data;
}

/** A decision is queued, not applied: accepted (202) rather than done. */
async function accepted(response: Promise<ApiResponse>): Promise<ApiResponse> {
  const r = await response;
  return r.status === 200 ? { ...r, status: 202 } : r;
}

/** A route value naming a stored request: bounded, or refused before any lookup. */
function requestIdParam(req: ApiRequest): string {
  const id = req.params.id ?? '';
  if (id.length === 0 || id.length > LIMITS.routeValueChars)
    throw new GatewayError('bad_request', 'Invalid request id.');
  return id;
}

/** Statuses, headers and bodies for an outcome: the only place outcomes become HTTP. */
export function toResponse(outcome: Outcome<unknown>, clock: StageClock): ApiResponse {
  const timing = { 'server-timing': clock.header() };
  if (outcome.kind === 'allowed') {
    const response = jsonResponse(200, outcome.value, { 'x-request-id': outcome.requestId, ...timing });
    // A read's rows go out as the bytes its audit event digested, serialised once.
    const text = releasedJson(outcome.value);
    return text === undefined ? response : { ...response, text };
  }
  if (outcome.kind === 'pending' && outcome.approval) {
    // Stored for approval: 202 with where to follow it; nothing ran.
    const { code, message, details } = outcome.failure;
    return jsonResponse(
      202,
      {
        requestId: outcome.requestId,
        error: { code, message, ...(details ?? {}) },
        approval: outcome.approval,
      },
      { 'x-request-id': outcome.requestId, location: String(details?.statusUrl ?? ''), ...timing },
    );
  }
  const { code, message, details } = outcome.failure;
  const error = new GatewayError(code, message, details ? { details } : undefined);
  const headers: Record<string, string> = { ...timing };
  if (code === 'invalid_token') headers['www-authenticate'] = wwwAuthenticate(undefined);
  if (code === 'too_many_requests') headers['retry-after'] = String(details?.retryAfterSeconds ?? 1);
  return errorResponse(outcome.requestId, error, headers).response;
}

/**
 * The frame every route shares: authenticate (401, audited when the token had a JWT
 * shape), then hand the principal to the route, whose input errors are audited too.
 */
export async function handle(
  deps: RestApiDeps,
  req: ApiRequest,
  action: string,
  connection: string | null,
  run: (start: Start, principal: Principal) => Promise<Outcome<unknown>>,
): Promise<ApiResponse> {
  const clock = new StageClock();
  const start: RequestStart = {
    requestId: deps.newId(),
    time: deps.now(),
    transport: 'rest',
    action,
    connection,
    clock,
  };
  let principal: Principal;
  try {
    principal = await authenticate(deps.verifier, req.headers.get('authorization'), clock);
  } catch (e) {
    const header = { 'www-authenticate': wwwAuthenticate(e instanceof InvalidTokenError ? e : undefined) };
    if (!looksLikeBearerJwt(req.headers.get('authorization'))) {
      return errorResponse(start.requestId, e, header).response;
    }
    const outcome = await deps.useCases.refuse(start, e);
    const response = toResponse(outcome, clock);
    if (outcome.kind !== 'allowed' && outcome.failure.code === 'invalid_token')
      Object.assign(response.headers, header);
    return response;
  }
  let outcome: Outcome<unknown>;
  try {
    outcome = await run(start, principal);
  } catch (e) {
    outcome = await deps.useCases.refuse(start, e, principal);
  }
  return toResponse(outcome, clock);
}

/** The blob routes: list a folder, read one blob (query strings validated, refusals audited). */
function blobHandlers(deps: RestApiDeps): Pick<RestApi, 'listBlobs' | 'readBlob'> {
  const { useCases } = deps;
  return {
    listBlobs: (req) =>
      handle(deps, req, 'blobs.list', req.params.connection ?? null, async (start, p) =>
        useCases.listBlobs(start, p, {
          ...queryOf(req, listBlobsQuerySchema),
          connection: req.params.connection ?? null,
        }),
      ),
    readBlob: (req) =>
      handle(deps, req, 'blobs.read', req.params.connection ?? null, async (start, p) =>
        useCases.readBlob(start, p, {
          ...queryOf(req, readBlobQuerySchema),
          connection: req.params.connection ?? null,
        }),
      ),
  };
}

export function createRestApi(deps: RestApiDeps): RestApi {
  const { useCases } = deps;
  const pages = createApprovalPageHandlers(deps.approvalPage);

  return {
    query: (req) =>
      handle(deps, req, 'query', req.params.connection ?? null, async (start, principal) => {
        const body = await readJsonBody(req, queryBodySchema, LIMITS.bodyBytes, (raw) => {
          const sql = attemptedStatement(raw);
          if (sql !== undefined) start.statement = sql;
        });
        return useCases.query(start, principal, { ...body, connection: req.params.connection ?? null });
      }),
    listConnections: (req) =>
      handle(deps, req, 'connections.list', null, (start, p) => useCases.listConnections(start, p)),
    describeConnection: (req) =>
      handle(deps, req, 'connections.describe', req.params.connection ?? null, (start, p) =>
        useCases.describeConnection(start, p, { connection: req.params.connection ?? null }),
      ),
    searchAudit: (req) =>
      handle(deps, req, 'audit.read', null, async (start, p) => {
        const parsed = auditQuerySchema.safeParse(Object.fromEntries(req.query.entries()));
        if (!parsed.success) {
          throw new GatewayError(
            'bad_request',
            `Invalid audit query: ${describeIssues(parsed.error, '(query)')}`,
          );
        }
        return useCases.searchAudit(start, p, parsed.data);
      }),
    auditTrace: (req) =>
      handle(deps, req, 'audit.read', null, async (start, p) => {
        const requestId = req.params.requestId ?? '';
        if (requestId.length === 0 || requestId.length > LIMITS.routeValueChars) {
          throw new GatewayError('bad_request', 'Invalid request id.');
        }
        return useCases.auditTrace(start, p, { requestId });
      }),
    requestStatus: (req) =>
      handle(deps, req, 'requests.status', null, async (start, p) =>
        useCases.requestStatus(start, p, { id: requestIdParam(req) }),
      ),
    requestResult: (req) =>
      handle(deps, req, 'requests.result', null, async (start, p) =>
        useCases.requestResult(start, p, { id: requestIdParam(req), ...queryOf(req, resultPageQuerySchema) }),
      ),
    cancelRequest: (req) =>
      handle(deps, req, 'requests.cancel', null, async (start, p) =>
        useCases.cancelRequest(start, p, { id: requestIdParam(req) }),
      ),
    listApprovals: (req) =>
      handle(deps, req, 'approvals.list', null, (start, p) => useCases.listApprovals(start, p)),
    submitDecision: (req) =>
      accepted(
        handle(deps, req, 'approval.decide', null, async (start, p) => {
          const body = await readJsonBody(req, decisionBodySchema, LIMITS.bodyBytes);
          return useCases.submitDecision(start, p, { id: requestIdParam(req), ...body });
        }),
      ),
    health: async () =>
      jsonResponse(
        200,
        { status: 'ok', version: deps.version, time: deps.now().toISOString() },
        { 'x-request-id': deps.newId() },
      ),
    approvalPage: pages.page,
    approvalAsset: pages.asset,
    ...blobHandlers(deps),
    ...createAuditRoutes(deps, handle),
  };
}
