import type { McpApi } from '../mcp/endpoint.js';
import type { ApiRequest, ApiResponse } from './http.js';
import type { RestApi } from './rest-api.js';

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Every HTTP route of the gateway, in one declarative table. The Functions entry registers
 * it with `app.http`, the local host serves it, the OpenAPI document is generated from it,
 * and a test reads it. A new transport-facing capability adds rows here.
 */
export interface RouteDefinition {
  name: string;
  methods: HttpVerb[];
  /** Route template relative to the `api` prefix (Azure Functions syntax). */
  route: string;
  /** Served at the host's root instead, outside `api` (MCP and its OAuth metadata). */
  root?: true;
  pick: (api: RestApi, mcp: McpApi) => (req: ApiRequest) => Promise<ApiResponse>;
}

export const ROUTES: readonly RouteDefinition[] = [
  { name: 'query', methods: ['POST'], route: 'v1/connections/{connection}/query', pick: (a) => a.query },
  { name: 'listConnections', methods: ['GET'], route: 'v1/connections', pick: (a) => a.listConnections },
  {
    name: 'describeConnection',
    methods: ['GET'],
    route: 'v1/connections/{connection}/schema',
    pick: (a) => a.describeConnection,
  },
  // Blob connections: list a folder (?prefix=&continuation=), read one blob (?path=&offset=&length=).
  {
    name: 'listBlobs',
    methods: ['GET'],
    route: 'v1/connections/{connection}/blobs',
    pick: (a) => a.listBlobs,
  },
  {
    name: 'readBlob',
    methods: ['GET'],
    route: 'v1/connections/{connection}/blobs/content',
    pick: (a) => a.readBlob,
  },
  { name: 'searchAudit', methods: ['GET'], route: 'v1/audit', pick: (a) => a.searchAudit },
  // Literal audit routes before `v1/audit/{requestId}`, with names that sort before `auditTrace`:
  // the local host takes the first match, the Functions host orders routes by function name.
  { name: 'auditLaneHeads', methods: ['GET'], route: 'v1/audit/lanes', pick: (a) => a.auditLaneHeads },
  {
    name: 'auditLaneEvents',
    methods: ['GET'],
    route: 'v1/audit/lanes/{lane}',
    pick: (a) => a.auditLaneEvents,
  },
  {
    name: 'auditCheckpoints',
    methods: ['GET'],
    route: 'v1/audit/checkpoints',
    pick: (a) => a.auditCheckpoints,
  },
  { name: 'auditJwks', methods: ['GET'], route: 'v1/audit/jwks', pick: (a) => a.auditJwks },
  { name: 'auditSessions', methods: ['GET'], route: 'v1/audit/sessions', pick: (a) => a.auditSessions },
  { name: 'auditTrace', methods: ['GET'], route: 'v1/audit/{requestId}', pick: (a) => a.auditTrace },
  { name: 'requestStatus', methods: ['GET'], route: 'v1/requests/{id}', pick: (a) => a.requestStatus },
  { name: 'cancelRequest', methods: ['DELETE'], route: 'v1/requests/{id}', pick: (a) => a.cancelRequest },
  { name: 'requestResult', methods: ['GET'], route: 'v1/requests/{id}/result', pick: (a) => a.requestResult },
  { name: 'listApprovals', methods: ['GET'], route: 'v1/approvals', pick: (a) => a.listApprovals },
  {
    name: 'submitDecision',
    methods: ['POST'],
    route: 'v1/approvals/{id}/decision',
    pick: (a) => a.submitDecision,
  },
  { name: 'health', methods: ['GET'], route: 'health', pick: (a) => a.health },
  // The approval page, its sign-in redirect URI and the files it loads (HTML and scripts, no token).
  { name: 'approvalPage', methods: ['GET'], route: 'approve/{id}', pick: (a) => a.approvalPage },
  { name: 'approvalSignIn', methods: ['GET'], route: 'approve', pick: (a) => a.approvalPage },
  { name: 'approvalAsset', methods: ['GET'], route: 'assets/{file}', pick: (a) => a.approvalAsset },
  {
    name: 'openapi',
    methods: ['GET'],
    route: 'openapi.json',
    // Imported on first use: the document's schemas reach the use cases, and through them Cedar
    // and the SQL parsers, which the Functions bundle should not load just to register routes.
    pick: () => async () => (await import('./openapi.js')).openApiResponse(ROUTES),
  },
  // MCP (shared/mcp): the endpoint and its RFC 9728 metadata, at the root as clients expect.
  { name: 'mcp', methods: ['POST', 'GET', 'DELETE'], route: 'mcp', root: true, pick: (_, m) => m.endpoint },
  {
    name: 'mcpResourceMetadata',
    methods: ['GET'],
    route: '.well-known/oauth-protected-resource',
    root: true,
    pick: (_, m) => m.resourceMetadata,
  },
  {
    name: 'mcpResourceMetadataForPath',
    methods: ['GET'],
    route: '.well-known/oauth-protected-resource/mcp',
    root: true,
    pick: (_, m) => m.resourceMetadata,
  },
];
