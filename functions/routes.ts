import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Gateway } from '../shared/compose.js';
import { type ApiResponse, jsonResponse } from '../shared/rest/http.js';
import { ROUTES } from '../shared/rest/routes.js';

/**
 * The gateway's route table (shared/rest/routes.ts) in the shape `app.http` takes. Handlers
 * only translate HttpRequest <-> the REST adapter's ApiRequest/ApiResponse.
 */
export interface RouteSpec {
  name: string;
  methods: HttpMethod[];
  /** Azure Functions route template, relative to the `api` prefix. */
  route: string;
  /** Served at the host's root, outside `api` (the Functions entry registers it as such). */
  root?: true;
  authLevel: 'anonymous';
  handler: (req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>;
}

export function toHttpResponseInit(res: ApiResponse): HttpResponseInit {
  if (res.text !== undefined) return { status: res.status, headers: res.headers, body: res.text };
  return res.body === undefined
    ? { status: res.status, headers: res.headers }
    : { status: res.status, headers: res.headers, body: JSON.stringify(res.body) };
}

/** A gateway that cannot start (bad policy, bad config) refuses everything, loudly in the log. */
export function unavailableResponse(): HttpResponseInit {
  const requestId = crypto.randomUUID();
  return toHttpResponseInit(
    jsonResponse(
      503,
      {
        requestId,
        error: {
          code: 'gateway_unavailable',
          message: 'The gateway is not available; nothing was executed.',
        },
      },
      { 'x-request-id': requestId },
    ),
  );
}

export function createRoutes(getGateway: () => Promise<Gateway>): RouteSpec[] {
  // Authentication is the gateway's own (Entra tokens validated with jose), so the
  // Functions host key is not used: every route is anonymous at the platform level.
  return ROUTES.map((r) => ({
    name: r.name,
    methods: r.methods,
    route: r.route,
    ...(r.root ? { root: r.root } : {}),
    authLevel: 'anonymous',
    handler: async (req, ctx) => {
      let gateway: Gateway;
      try {
        gateway = await getGateway();
      } catch (e) {
        ctx.error('agentgate failed to start', e);
        return unavailableResponse();
      }
      return toHttpResponseInit(await r.pick(gateway.api, gateway.mcp)(req));
    },
  }));
}

/**
 * Registered after every other route, under `api/` only: a path the table does not know gets
 * the gateway's JSON error and an `x-request-id`, as on the local host, instead of the
 * Functions host's empty 404. The catch-all template has the lowest precedence in the host's
 * router, so it never shadows a row of the table; the host's own `admin/` and `runtime/`
 * endpoints and the root rows (MCP) are outside it.
 */
export const noSuchRoute: RouteSpec = {
  name: 'noSuchRoute',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  route: '{*path}',
  authLevel: 'anonymous',
  handler: async () => {
    const requestId = crypto.randomUUID();
    return toHttpResponseInit(
      jsonResponse(
        404,
        { requestId, error: { code: 'not_found', message: 'No such route.' } },
        { 'x-request-id': requestId, 'cache-control': 'no-store' },
      ),
    );
  },
};
