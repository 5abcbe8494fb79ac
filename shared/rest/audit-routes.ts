import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { Principal } from '../types.js';
import type { Outcome, Start } from '../use-cases/index.js';
import { describeIssues, wholeNumber } from '../use-cases/inputs.js';
import { type ApiRequest, type ApiResponse, errorResponse, jsonResponse } from './http.js';
import type { RestApiDeps } from './rest-api.js';

/** The audit chain's export routes and the audit replay, for auditors' tools. */
export interface AuditRoutes {
  auditLaneHeads(req: ApiRequest): Promise<ApiResponse>;
  auditLaneEvents(req: ApiRequest): Promise<ApiResponse>;
  auditCheckpoints(req: ApiRequest): Promise<ApiResponse>;
  auditJwks(req: ApiRequest): Promise<ApiResponse>;
  auditSessions(req: ApiRequest): Promise<ApiResponse>;
}

/** `handle` of rest-api.ts, passed in so the two modules do not import each other. */
type Frame = (
  deps: RestApiDeps,
  req: ApiRequest,
  action: string,
  connection: string | null,
  run: (start: Start, principal: Principal) => Promise<Outcome<unknown>>,
) => Promise<ApiResponse>;

const index = wholeNumber(0, Number.MAX_SAFE_INTEGER);

export const laneEventsQuerySchema = z
  .object({
    from: index.default(0),
    to: index.default(Number.MAX_SAFE_INTEGER),
    limit: wholeNumber(1, 1000).default(1000),
  })
  .strict()
  .refine((q) => q.from <= q.to, { message: 'from must not be past to' });

export const checkpointsQuerySchema = z
  .object({
    from: index.default(0),
    limit: wholeNumber(1, 500).default(500),
  })
  .strict();

export const sessionsQuerySchema = z
  .object({
    principal: z.string().min(1).max(LIMITS.auditFilterChars),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: wholeNumber(1, LIMITS.auditPageMax).default(100),
    continuation: z.string().min(1).max(LIMITS.continuationChars).optional(),
    /** `true`: the kept rows of each release (auditors group only). */
    rows: z.enum(['true', 'false']).optional(),
  })
  .strict();

const laneParam = wholeNumber(0, 4095);

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new GatewayError('bad_request', `Invalid ${what}: ${describeIssues(parsed.error, '(query)')}`);
  }
  return parsed.data;
}

const query = (req: ApiRequest) => Object.fromEntries(req.query.entries());

export function createAuditRoutes(deps: RestApiDeps, handle: Frame): AuditRoutes {
  const { useCases } = deps;
  return {
    auditLaneHeads: (req) =>
      handle(deps, req, 'audit.export', null, async (start, p) => useCases.auditLaneHeads(start, p)),
    auditLaneEvents: (req) =>
      handle(deps, req, 'audit.export', null, async (start, p) => {
        const lane = parse(laneParam, req.params.lane ?? '', 'lane');
        const q = parse(laneEventsQuerySchema, query(req), 'lane query');
        return useCases.auditLaneEvents(start, p, { lane, ...q });
      }),
    auditCheckpoints: (req) =>
      handle(deps, req, 'audit.export', null, async (start, p) =>
        useCases.auditCheckpoints(start, p, parse(checkpointsQuerySchema, query(req), 'checkpoint query')),
      ),
    auditSessions: (req) =>
      handle(deps, req, 'audit.replay', null, async (start, p) => {
        const q = parse(sessionsQuerySchema, query(req), 'session query');
        return useCases.auditSessions(start, p, {
          principal: q.principal,
          limit: q.limit,
          ...(q.from ? { from: q.from } : {}),
          ...(q.to ? { to: q.to } : {}),
          ...(q.continuation ? { continuation: q.continuation } : {}),
          ...(q.rows === 'true' ? { rows: true } : {}),
        });
      }),
    // Public keys need no token: anyone holding a checkpoint may check its signature.
    auditJwks: async () => {
      const requestId = deps.newId();
      try {
        const keys = await useCases.auditJwks();
        return jsonResponse(200, keys, {
          'x-request-id': requestId,
          'cache-control': 'public, max-age=300',
          'content-type': 'application/jwk-set+json',
        });
      } catch (e) {
        return errorResponse(requestId, e).response;
      }
    },
  };
}
