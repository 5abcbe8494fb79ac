import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { listBlobsQuerySchema, readBlobQuerySchema } from '../use-cases/blob-inputs.js';
import { blobListSchema, blobReadSchema } from '../use-cases/blob-outputs.js';
import { auditQuerySchema, queryBodySchema } from '../use-cases/inputs.js';
import {
  approvalListSchema,
  auditPageSchema,
  auditTraceSchema,
  cancelledSchema,
  connectionListSchema,
  connectionSchemaSchema,
  decisionQueuedSchema,
  errorBodySchema,
  healthSchema,
  pendingApprovalSchema,
  queryResultSchema,
  requestResultSchema,
  requestStatusSchema,
} from '../use-cases/outputs.js';
import { decisionBodySchema } from '../use-cases/requests.js';
import { checkpointsQuerySchema, laneEventsQuerySchema, sessionsQuerySchema } from './audit-routes.js';
import { type ApiResponse, jsonResponse } from './http.js';
import type { RouteDefinition } from './routes.js';

/**
 * The REST API as an OpenAPI 3.1 document, generated from the route table and the zod
 * schemas that validate inputs and describe outputs: there is no hand-kept copy to drift.
 * What is written here is only what a schema cannot say (summaries, examples, which error
 * codes a route can answer).
 */

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const COMPONENTS = {
  QueryRequest: schemaOf(queryBodySchema, 'input'),
  QueryResult: schemaOf(queryResultSchema, 'output'),
  ConnectionList: schemaOf(connectionListSchema, 'output'),
  ConnectionSchema: schemaOf(connectionSchemaSchema, 'output'),
  AuditPage: schemaOf(auditPageSchema, 'output'),
  AuditTrace: schemaOf(auditTraceSchema, 'output'),
  Health: schemaOf(healthSchema, 'output'),
  PendingApproval: schemaOf(pendingApprovalSchema, 'output'),
  RequestStatus: schemaOf(requestStatusSchema, 'output'),
  RequestResult: schemaOf(requestResultSchema, 'output'),
  Cancelled: schemaOf(cancelledSchema, 'output'),
  ApprovalList: schemaOf(approvalListSchema, 'output'),
  DecisionRequest: schemaOf(decisionBodySchema, 'input'),
  DecisionQueued: schemaOf(decisionQueuedSchema, 'output'),
  Error: schemaOf(errorBodySchema, 'output'),
  BlobList: schemaOf(blobListSchema, 'output'),
  BlobRead: schemaOf(blobReadSchema, 'output'),
  JsonRpcMessage: {
    type: 'object',
    description: 'A JSON-RPC 2.0 message of the Model Context Protocol (Streamable HTTP, JSON responses).',
    required: ['jsonrpc'],
    properties: { jsonrpc: { const: '2.0' } },
  },
  ProtectedResourceMetadata: {
    type: 'object',
    description: 'RFC 9728 OAuth 2.0 protected resource metadata.',
    required: ['resource', 'authorization_servers'],
    properties: {
      resource: { type: 'string', format: 'uri' },
      authorization_servers: { type: 'array', items: { type: 'string', format: 'uri' } },
      scopes_supported: { type: 'array', items: { type: 'string' } },
      bearer_methods_supported: { type: 'array', items: { type: 'string' } },
      resource_name: { type: 'string' },
    },
  },
} satisfies Record<string, Json>;

type ComponentName = keyof typeof COMPONENTS;
const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });

/** Codes every authenticated route can answer. */
const COMMON: ErrorCode[] = ['invalid_token', 'internal', 'audit_unavailable'];
const STATEMENT_ERRORS: ErrorCode[] = [
  'invalid_body',
  'unparseable_statement',
  'statement_refused',
  'policy_denied',
  'forbidden',
  'connection_not_found',
  'payload_too_large',
  'unsupported_media_type',
  'query_failed',
  'masking_failed',
  'policy_error',
  'approval_workflow_unavailable',
  'queue_unavailable',
  'target_unavailable',
  'store_unavailable',
  'query_timeout',
  'too_many_requests',
  'too_many_pending',
];

/** Codes every route over a stored request can answer. */
const REQUEST_ERRORS: ErrorCode[] = ['not_found', 'approval_workflow_unavailable', 'store_unavailable'];

interface Operation {
  summary: string;
  description?: string;
  tags: string[];
  /** false for the public documents (health, metadata, this one). */
  secured: boolean;
  errors: ErrorCode[];
  body?: { schema: ComponentName; example: unknown };
  response?: { status: number; schema: ComponentName; example?: unknown; description: string };
  /** A second success answer (the query's 202 when it is held for approval). */
  also?: { status: number; schema: ComponentName; example?: unknown; description: string };
  query?: z.ZodObject;
}

const EXAMPLE_ID = '6f1c2f0e-8a9b-4c1d-9e2f-3a4b5c6d7e8f';

/** What the generator cannot read from a schema, per route name of the route table. */
export const OPERATIONS: Record<string, Operation> = {
  query: {
    summary: 'Run one SQL statement under policy',
    description:
      'Screened, decided by Cedar, run with the gateway identity, masked and audited. Large reads may need human approval.',
    tags: ['query'],
    secured: true,
    errors: ['bad_request', ...STATEMENT_ERRORS],
    body: {
      schema: 'QueryRequest',
      example: {
        sql: 'select id, email from customers where id = $1',
        params: [42],
        maxRows: 100,
        purpose: 'ticket 1234',
      },
    },
    response: {
      status: 200,
      schema: 'QueryResult',
      description: 'The released (masked) result.',
      example: {
        requestId: EXAMPLE_ID,
        decision: { outcome: 'allow', policyIds: ['agent-read-demo'] },
        columns: [
          { name: 'id', type: 'int4' },
          { name: 'email', type: 'text' },
        ],
        rows: [{ id: 42, email: 'tok_1f3a…@masked' }],
        rowCount: 1,
        truncated: false,
        masking: { columns: { email: 'pii.email' }, cellsMasked: 1, byClass: { 'pii.email': 1 } },
      },
    },
    also: {
      status: 202,
      schema: 'PendingApproval',
      description:
        'Held for human approval: nothing ran. Follow it at error.statusUrl (the Location header).',
      example: {
        requestId: EXAMPLE_ID,
        error: {
          code: 'approval_required',
          message: 'This request needs human approval.',
          policyIds: ['agent-bulk-read-approval'],
          reasons: ['More than 1,000 rows.'],
          statusUrl: '/api/v1/requests/5d2c…',
        },
        approval: { approvalRequestId: '5d2c…', status: 'pending', expiresAt: '2026-01-02T00:00:00.000Z' },
      },
    },
  },
  listConnections: {
    summary: 'The connections you may query',
    tags: ['connections'],
    secured: true,
    errors: [],
    response: {
      status: 200,
      schema: 'ConnectionList',
      description: 'Connections visible to the caller; others are not mentioned.',
      example: {
        requestId: EXAMPLE_ID,
        connections: [
          {
            id: 'demo',
            kind: 'postgres',
            engine: 'postgres',
            environment: 'prod',
            description: 'Demo database',
            tags: ['demo'],
            maxRows: 1000,
          },
        ],
      },
    },
  },
  describeConnection: {
    summary: 'The exposed tables and columns of one connection',
    tags: ['connections'],
    secured: true,
    errors: ['connection_not_found', 'target_unavailable'],
    response: {
      status: 200,
      schema: 'ConnectionSchema',
      description: 'Tables and columns, with types and data classes.',
      example: {
        requestId: EXAMPLE_ID,
        connection: 'demo',
        tables: [
          {
            name: 'public.customers',
            columns: [
              { name: 'id', type: 'int4' },
              { name: 'email', type: 'text', dataClass: 'pii.email' },
            ],
          },
        ],
      },
    },
  },
  listBlobs: {
    summary: 'List the exposed folders and blobs of a blob connection',
    description:
      'Without `prefix`: the exposed roots. With `prefix` (`container/folder/`): one page of that folder; ' +
      'a prefix outside the allowlist is refused (403) and audited.',
    tags: ['blobs'],
    secured: true,
    errors: ['bad_request', 'policy_denied', 'connection_not_found', 'target_unavailable', 'query_timeout'],
    query: listBlobsQuerySchema,
    response: {
      status: 200,
      schema: 'BlobList',
      description: 'One page of entries; `continuation` for the next.',
    },
  },
  readBlob: {
    summary: 'Read one blob, parsed and masked',
    description:
      '`path` is `container/name`, canonical (no `..`, `%`, `\\`, empty segments) and inside the allowlist. ' +
      'CSV, JSON, NDJSON and text are parsed into rows and masked per column or field; binary is refused for ' +
      'agents. A byte range (`offset`, `length`) or a row range (`rowOffset`, `maxRows`) narrows the read; a read ' +
      'of more bytes than the connection threshold is held for approval (202).',
    tags: ['blobs'],
    secured: true,
    errors: [
      'bad_request',
      'policy_denied',
      'connection_not_found',
      'not_found',
      'conflict',
      'payload_too_large',
      'query_failed',
      'masking_failed',
      'approval_workflow_unavailable',
      'queue_unavailable',
      'target_unavailable',
      'query_timeout',
      'too_many_pending',
    ],
    query: readBlobQuerySchema,
    response: { status: 200, schema: 'BlobRead', description: 'The released (masked) rows of the blob.' },
    also: {
      status: 202,
      schema: 'PendingApproval',
      description: 'Held for human approval: nothing was read. Follow it at error.statusUrl.',
    },
  },
  searchAudit: {
    summary: 'Search the audit trail (auditors)',
    tags: ['audit'],
    secured: true,
    errors: ['bad_request', 'forbidden', 'store_unavailable'],
    query: auditQuerySchema,
    response: { status: 200, schema: 'AuditPage', description: 'One page of audit records.' },
  },
  auditTrace: {
    summary: 'Every audit event of one request (auditors)',
    tags: ['audit'],
    secured: true,
    errors: ['bad_request', 'forbidden', 'store_unavailable'],
    response: { status: 200, schema: 'AuditTrace', description: "The request's events, in order." },
  },
  auditLaneHeads: {
    summary: 'The head (length, last hash) of every audit lane (auditors, for verify)',
    tags: ['audit'],
    secured: true,
    errors: ['forbidden', 'not_found'],
  },
  auditLaneEvents: {
    summary: 'Events of one audit lane by chain index, paged (auditors, for verify)',
    description:
      "Events with chain index in [from, to), about `limit` per page, never splitting one index; `next` is the next page's `from`. An event the reader's masking changed comes with `attestedHash`, the gateway's hash of the stored event.",
    tags: ['audit'],
    secured: true,
    errors: ['bad_request', 'forbidden', 'not_found'],
    query: laneEventsQuerySchema,
  },
  auditCheckpoints: {
    summary: 'Signed audit checkpoints from a sequence number, paged (auditors, for verify)',
    tags: ['audit'],
    secured: true,
    errors: ['bad_request', 'forbidden', 'not_found'],
    query: checkpointsQuerySchema,
  },
  auditJwks: {
    summary: 'The public keys that sign audit checkpoints (JWKS, every enabled key version)',
    tags: ['audit'],
    secured: false,
    errors: ['not_found'],
  },
  auditSessions: {
    summary: "Replay one principal's commands in time order (auditors)",
    description:
      'Each command with its decision and policy ids, rows, cells and the digest of what was released; a request held for approval carries the approval steps. A release on a connection with `replay` names its kept copy (`kept`); with `rows=true` (members of the `auditors` group only) the kept rows are read, checked against the digest in the audit event, and shown only when they match (`kept.check`). Pages go back in time; each page is in time order.',
    tags: ['audit'],
    secured: true,
    errors: ['bad_request', 'forbidden', 'store_unavailable'],
    query: sessionsQuerySchema,
  },
  requestStatus: {
    summary: 'Status of a request held for approval (its requester and approvers)',
    tags: ['approvals'],
    secured: true,
    errors: ['bad_request', ...REQUEST_ERRORS],
    response: {
      status: 200,
      schema: 'RequestStatus',
      description: 'The stored request, its votes and status.',
    },
  },
  cancelRequest: {
    summary: 'Cancel a request still waiting for approval (its requester)',
    tags: ['approvals'],
    secured: true,
    errors: ['bad_request', 'conflict', ...REQUEST_ERRORS],
    response: { status: 200, schema: 'Cancelled', description: 'Cancelled; nothing will run.' },
  },
  requestResult: {
    summary: 'The masked result of a completed request (its requester, until the TTL)',
    tags: ['approvals'],
    secured: true,
    errors: ['bad_request', 'conflict', ...REQUEST_ERRORS],
    response: { status: 200, schema: 'RequestResult', description: 'The result, masked when it ran.' },
  },
  listApprovals: {
    summary: 'Requests waiting for your decision (approvers)',
    tags: ['approvals'],
    secured: true,
    errors: ['forbidden', 'approval_workflow_unavailable', 'store_unavailable'],
    response: { status: 200, schema: 'ApprovalList', description: 'Pending requests in your groups.' },
  },
  submitDecision: {
    summary: 'Approve or deny a request (approvers)',
    tags: ['approvals'],
    secured: true,
    errors: ['bad_request', 'invalid_body', 'forbidden', 'conflict', 'queue_unavailable', ...REQUEST_ERRORS],
    body: {
      schema: 'DecisionRequest',
      example: { decision: 'approve', reason: 'ticket 1234', maxRows: 500 },
    },
    response: {
      status: 202,
      schema: 'DecisionQueued',
      description: 'Queued; applied by the decision consumer.',
    },
  },
  health: {
    summary: 'Liveness',
    tags: ['operations'],
    secured: false,
    errors: [],
    response: {
      status: 200,
      schema: 'Health',
      description: 'The gateway answers.',
      example: { status: 'ok', version: '0.1.0', time: '2026-01-01T00:00:00.000Z' },
    },
  },
  approvalPage: {
    summary: 'The approval page of one request (HTML)',
    description:
      'A server-rendered shell with a strict Content-Security-Policy; after sign-in it reads the request with the approver own token and posts the decision to /api/v1/approvals/{id}/decision.',
    tags: ['approvals'],
    secured: false,
    errors: ['not_found'],
  },
  approvalSignIn: {
    summary: 'The approval page sign-in redirect URI (HTML)',
    tags: ['approvals'],
    secured: false,
    errors: [],
  },
  approvalAsset: {
    summary: 'A script or style of the approval page, named by its content digest (immutable)',
    tags: ['approvals'],
    secured: false,
    errors: ['not_found'],
  },
  openapi: {
    summary: 'This document',
    tags: ['operations'],
    secured: false,
    errors: [],
  },
  mcp: {
    summary: 'Model Context Protocol endpoint (Streamable HTTP, stateless, JSON responses)',
    description:
      'Tools list_connections, describe_connection and query over the same use cases as REST. 401 names the resource metadata in WWW-Authenticate; 403 answers a disallowed Origin or insufficient_scope; 400 an unsupported MCP-Protocol-Version.',
    tags: ['mcp'],
    secured: true,
    errors: ['bad_request', 'forbidden', 'method_not_allowed', 'payload_too_large'],
    body: {
      schema: 'JsonRpcMessage',
      example: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
    },
    response: { status: 200, schema: 'JsonRpcMessage', description: 'The JSON-RPC response.' },
  },
  mcpResourceMetadata: {
    summary: 'OAuth protected resource metadata (RFC 9728)',
    tags: ['mcp'],
    secured: false,
    errors: [],
    response: { status: 200, schema: 'ProtectedResourceMetadata', description: 'Where tokens come from.' },
  },
  mcpResourceMetadataForPath: {
    summary: 'OAuth protected resource metadata for /mcp (RFC 9728 path-suffixed form)',
    tags: ['mcp'],
    secured: false,
    errors: [],
    response: { status: 200, schema: 'ProtectedResourceMetadata', description: 'Where tokens come from.' },
  },
};

function errorResponses(codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...new Set(codes)]) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: `Error codes: ${list.join(', ')}.`,
      content: {
        'application/json': {
          schema: ref('Error'),
          examples: Object.fromEntries(
            list.map((code) => [
              code,
              {
                value: {
                  requestId: EXAMPLE_ID,
                  error: { code, message: `A ${code.replaceAll('_', ' ')} error.` },
                },
              },
            ]),
          ),
        },
      },
    };
  }
  return out;
}

function pathParameters(route: string): Json[] {
  return [...route.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string', minLength: 1, maxLength: 128 },
  }));
}

function queryParameters(schema: z.ZodObject | undefined): Json[] {
  if (!schema) return [];
  const full = schemaOf(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(full.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: (full.required ?? []).includes(name),
    schema: s,
  }));
}

function operationFor(route: RouteDefinition, method: string): Json {
  const op = OPERATIONS[route.name];
  if (!op) {
    // A route added to the table without its description still appears, marked so a test fails.
    return {
      operationId: route.name,
      summary: route.name,
      'x-undocumented': true,
      responses: { default: { description: 'Undocumented.' } },
    };
  }
  const responses: Record<string, Json> = {};
  if (op.response) {
    responses[String(op.response.status)] = {
      description: op.response.description,
      content: {
        'application/json': {
          schema: ref(op.response.schema),
          ...(op.response.example === undefined ? {} : { example: op.response.example }),
        },
      },
    };
  } else {
    responses['200'] = {
      description: op.summary,
      content: { 'application/json': { schema: { type: 'object' } } },
    };
  }
  if (op.also) {
    responses[String(op.also.status)] = {
      description: op.also.description,
      content: {
        'application/json': {
          schema: ref(op.also.schema),
          ...(op.also.example === undefined ? {} : { example: op.also.example }),
        },
      },
    };
  }
  Object.assign(responses, errorResponses(op.secured ? [...COMMON, ...op.errors] : op.errors));
  const parameters = [...pathParameters(route.route), ...queryParameters(op.query)];
  const single = route.methods.length === 1;
  return {
    operationId: single ? route.name : `${route.name}${method[0]}${method.slice(1).toLowerCase()}`,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: op.tags,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body && method === 'POST'
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref(op.body.schema), example: op.body.example } },
          },
        }
      : {}),
    responses,
    security: op.secured ? [{ entra: [] }] : [],
  };
}

/** The OpenAPI 3.1 document for a route table. */
export function openApiDocument(routes: readonly RouteDefinition[]): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = `/${route.route}`;
    const item: Json = route.root ? { servers: [{ url: '/', description: 'The host root' }] } : {};
    for (const method of route.methods) item[method.toLowerCase()] = operationFor(route, method);
    paths[path] = { ...(paths[path] ?? {}), ...item };
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'agentgate',
      version: '1.0.0',
      summary: 'A data gateway between autonomous AI agents and Azure data.',
      description:
        'Every request is authenticated (Entra bearer token for agentgate), decided by Cedar policies, masked and audited before anything is released.',
    },
    servers: [
      { url: '/api', description: 'REST routes (the MCP endpoint and its metadata sit at the root)' },
    ],
    paths,
    components: {
      schemas: COMPONENTS,
      securitySchemes: {
        entra: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An Entra access token whose audience is agentgate (api://<app id>/.default).',
        },
      },
    },
    tags: [
      { name: 'query' },
      { name: 'connections' },
      { name: 'audit' },
      { name: 'approvals' },
      { name: 'mcp' },
      { name: 'operations' },
    ],
  };
}

const cache = new WeakMap<readonly RouteDefinition[], Json>();

/** `GET /api/openapi.json`: public, computed once per route table. */
export function openApiResponse(routes: readonly RouteDefinition[]): ApiResponse {
  let doc = cache.get(routes);
  if (!doc) {
    doc = openApiDocument(routes);
    cache.set(routes, doc);
  }
  return jsonResponse(200, doc, { 'cache-control': 'max-age=300' });
}
