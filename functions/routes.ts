import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Gateway } from '../shared/gateway.js';
import { type ApiResponse, jsonResponse } from '../shared/http/api.js';

/**
 * Every HTTP function of the app, in one declarative table. `functions/index.ts` registers
 * it with `app.http`; the local host serves the same table; a test reads it. Handlers only
 * translate HttpRequest <-> the core's ApiRequest/ApiResponse.
 */
export interface RouteSpec {
  name: string;
  methods: HttpMethod[];
  /** Azure Functions route template, relative to the `api` prefix. */
  route: string;
  authLevel: 'anonymous';
  handler: (req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>;
}

export function toHttpResponseInit(res: ApiResponse): HttpResponseInit {
  return res.body === undefined
    ? { status: res.status, headers: res.headers }
    : { status: res.status, headers: res.headers, body: JSON.stringify(res.body) };
}

export function createRoutes(getGateway: () => Promise<Gateway>): RouteSpec[] {
  // Authentication is the gateway's own (Entra tokens validated with jose), so the
  // Functions host key is not used: every route is anonymous at the platform level.
  const route = (
    name: string,
    methods: HttpMethod[],
    path: string,
    pick: (g: Gateway) => (req: HttpRequest) => Promise<ApiResponse>,
  ): RouteSpec => ({
    name,
    methods,
    route: path,
    authLevel: 'anonymous',
    handler: async (req, ctx) => {
      let gateway: Gateway;
      try {
        gateway = await getGateway();
      } catch (e) {
        // A gateway that cannot start (bad policy, bad config) refuses everything, loudly in
        // the log and generically to the caller.
        ctx.error('agentgate failed to start', e);
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
      return toHttpResponseInit(await pick(gateway)(req));
    },
  });
  return [
    route('query', ['POST'], 'v1/connections/{connection}/query', (g) => g.query),
    route('listConnections', ['GET'], 'v1/connections', (g) => g.listConnections),
    route('describeConnection', ['GET'], 'v1/connections/{connection}/schema', (g) => g.describeConnection),
    route('searchAudit', ['GET'], 'v1/audit', (g) => g.searchAudit),
    route('health', ['GET'], 'health', (g) => g.health),
  ];
}
