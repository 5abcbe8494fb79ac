import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { type ErrorCode, GatewayError, InvalidTokenError } from '../errors.js';
import type { TokenVerifier } from '../identity/index.js';
import { LIMITS } from '../limits.js';
import { authenticate, looksLikeBearerJwt } from '../pipeline/authenticate.js';
import { StageClock } from '../pipeline/stage-clock.js';
import type { RequestStart } from '../pipeline/trace.js';
import type { ApiRequest, ApiResponse } from '../rest/http.js';
import { jsonResponse } from '../rest/http.js';
import type { Principal } from '../types.js';
import type { UseCases } from '../use-cases/index.js';
import {
  baseUrl,
  type McpOptions,
  mayUseMcp,
  resourceMetadata,
  resourceMetadataUrl,
  wwwAuthenticateMcp,
} from './auth.js';
import { createMcpServer, MCP_PROTOCOL_VERSIONS } from './server.js';

export interface McpEndpointDeps {
  useCases: UseCases;
  verifier: TokenVerifier;
  now: () => Date;
  newId: () => string;
  version: string;
  options: McpOptions;
}

/** The MCP adapter's HTTP surface: the endpoint itself and its RFC 9728 metadata. */
export interface McpApi {
  /** `POST /mcp` (GET and DELETE answer 405: no sessions, no server-sent stream). */
  endpoint(req: ApiRequest): Promise<ApiResponse>;
  /** `GET /.well-known/oauth-protected-resource[/mcp]`. */
  resourceMetadata(req: ApiRequest): Promise<ApiResponse>;
}

/** A JSON-RPC error answered before the MCP server runs (id unknown: null, as JSON-RPC says). */
function rpcError(status: number, code: number, message: string, headers: Record<string, string> = {}) {
  return jsonResponse(status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

/** The headers the transport reads; everything else stays out of the web Request. */
const FORWARDED_HEADERS = ['accept', 'content-type', 'mcp-protocol-version'] as const;

function originAllowed(origin: string | null, allowed: readonly string[]): boolean {
  // Agents and desktop clients send no Origin; a browser always does, and only listed pages pass.
  return origin === null || allowed.includes(origin);
}

/** An exchange refused before the MCP server runs: what the caller is answered, and what is audited. */
interface Refusal {
  response: ApiResponse;
  error: GatewayError;
}

function refusal(
  status: number,
  rpcCode: number,
  code: ErrorCode,
  message: string,
  ids: Record<string, string>,
): Refusal {
  return { response: rpcError(status, rpcCode, message, ids), error: new GatewayError(code, message) };
}

/** Origin and protocol version, checked once the caller is known so that the refusal is audited. */
function screen(req: ApiRequest, options: McpEndpointDeps['options'], ids: Record<string, string>) {
  if (!originAllowed(req.headers.get('origin'), options.allowedOrigins ?? [])) {
    return refusal(403, -32000, 'forbidden', 'Forbidden: this Origin is not allowed.', ids);
  }
  const version = req.headers.get('mcp-protocol-version');
  if (version !== null && !MCP_PROTOCOL_VERSIONS.includes(version)) {
    return refusal(
      400,
      -32000,
      'bad_request',
      `Bad Request: unsupported MCP-Protocol-Version (supported: ${MCP_PROTOCOL_VERSIONS.join(', ')}).`,
      ids,
    );
  }
  return undefined;
}

/** The caller, as an OAuth 2.1 resource server sees it: 401 naming the metadata, or 403 insufficient_scope. */
async function authorize(
  deps: McpEndpointDeps,
  req: ApiRequest,
  start: RequestStart,
  ids: Record<string, string>,
): Promise<{ principal: Principal } | { response: ApiResponse }> {
  const { options } = deps;
  const metadataUrl = resourceMetadataUrl(req.url, options);
  const authorization = req.headers.get('authorization');
  let principal: Principal;
  try {
    principal = await authenticate(deps.verifier, authorization, start.clock ?? new StageClock());
  } catch (e) {
    if (looksLikeBearerJwt(authorization)) await deps.useCases.refuse(start, e);
    const invalid = e instanceof InvalidTokenError && e.reason !== 'missing';
    return {
      response: jsonResponse(
        401,
        {
          requestId: start.requestId,
          error: { code: 'invalid_token', message: 'The access token is missing or invalid.' },
        },
        {
          ...ids,
          'www-authenticate': wwwAuthenticateMcp(metadataUrl, invalid ? 'invalid_token' : undefined, options),
        },
      ),
    };
  }
  if (!mayUseMcp(principal, options)) {
    const refused = new GatewayError(
      'forbidden',
      'The token does not grant the permission to use agentgate over MCP.',
    );
    await deps.useCases.refuse(start, refused, principal);
    return {
      response: jsonResponse(
        403,
        { requestId: start.requestId, error: { code: 'insufficient_scope', message: refused.message } },
        { ...ids, 'www-authenticate': wwwAuthenticateMcp(metadataUrl, 'insufficient_scope', options) },
      ),
    };
  }
  return { principal };
}

/** The JSON-RPC body, bounded; a refusal when it cannot be read. */
async function readRpcBody(
  req: ApiRequest,
  ids: Record<string, string>,
): Promise<{ parsed: unknown } | Refusal> {
  const text = await req.text();
  if (Buffer.byteLength(text) > LIMITS.bodyBytes) {
    return refusal(413, -32000, 'payload_too_large', 'The request body is too large.', ids);
  }
  try {
    return { parsed: JSON.parse(text) as unknown };
  } catch {
    return refusal(400, -32700, 'invalid_body', 'Parse error: the body is not JSON.', ids);
  }
}

/**
 * A JSON-RPC batch (an array of messages) is refused whole, before any message in it runs:
 * the revisions served (2025-06-18 and later) have no batching, and the SDK's transport
 * would otherwise run every `tools/call` of the array at once, past the per-caller limit of
 * statements in flight. The refusal is audited like any other.
 */
async function refuseBatch(
  deps: McpEndpointDeps,
  start: RequestStart,
  principal: Principal,
  ids: Record<string, string>,
): Promise<ApiResponse> {
  const message =
    'Invalid Request: JSON-RPC batches are not accepted (MCP 2025-06-18 and later have none); send one message per request.';
  await deps.useCases.refuse(start, new GatewayError('bad_request', message), principal);
  return rpcError(400, -32600, message, ids);
}

/** The use cases, counting the calls made through them: an exchange that made none is audited apart. */
function counting(useCases: UseCases): { useCases: UseCases; calls: () => number } {
  let calls = 0;
  const counted = new Proxy(useCases, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { useCases: counted, calls: () => calls };
}

// Methods named as they are in the audit; any other is `other` (the method is the caller's text).
const KNOWN_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'notifications/initialized',
  'notifications/cancelled',
  'resources/list',
  'resources/read',
  'prompts/list',
  'logging/setLevel',
]);

function methodOf(body: unknown): string {
  const method = (body as { method?: unknown } | null)?.method;
  return typeof method === 'string' && KNOWN_METHODS.has(method) ? method : 'other';
}

/**
 * The body was JSON (it was parsed before the SDK saw it), so a message the SDK could not read
 * as JSON-RPC is an Invalid Request (-32600), not the Parse error (-32700) it answers.
 */
function shapeError(body: unknown): unknown {
  const error = rpcErrorOf(body);
  if (error?.code !== -32700) return body;
  return {
    ...(body as object),
    error: { code: -32600, message: 'Invalid Request: the body is not a JSON-RPC 2.0 message.' },
  };
}

/** The JSON-RPC error of an answer, if it is one. */
function rpcErrorOf(body: unknown): { code: number; message: string } | undefined {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof error?.code === 'number'
    ? { code: error.code, message: String(error.message ?? '') }
    : undefined;
}

/**
 * Records an exchange that ran no use case, as the SDK answered it: refused (its HTTP status or
 * JSON-RPC error) or served. Undefined when recorded; the answer to send instead when the
 * record could not be written.
 */
async function auditExchange(
  deps: McpEndpointDeps,
  start: RequestStart,
  principal: Principal,
  answer: { status: number; body?: unknown },
  ids: Record<string, string>,
): Promise<ApiResponse | undefined> {
  const error = rpcErrorOf(answer.body);
  if (answer.status >= 400 || error) {
    const code: ErrorCode =
      answer.status === 415 ? 'unsupported_media_type' : error?.code === -32601 ? 'not_found' : 'bad_request';
    const outcome = await deps.useCases.refuse(
      start,
      new GatewayError(code, error?.message ?? 'Refused.'),
      principal,
    );
    return outcome.kind === 'failed' && outcome.failure.code === 'audit_unavailable'
      ? rpcError(503, -32000, outcome.failure.message, ids)
      : undefined;
  }
  const outcome = await deps.useCases.exchange(start, principal);
  return outcome.kind === 'failed' ? rpcError(503, -32000, outcome.failure.message, ids) : undefined;
}

/** One stateless exchange: a fresh server per request, the SDK's web-standard transport, JSON out. */
async function serve(
  deps: McpEndpointDeps,
  req: ApiRequest,
  start: RequestStart,
  principal: Principal,
  body: unknown,
  ids: Record<string, string>,
): Promise<ApiResponse> {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  const used = counting(deps.useCases);
  const server = createMcpServer({
    useCases: used.useCases,
    principal,
    now: deps.now,
    newId: deps.newId,
    version: deps.version,
    baseUrl: baseUrl(req.url, deps.options),
  });
  try {
    await server.connect(transport);
    const res = await transport.handleRequest(new Request(req.url, { method: 'POST', headers }), {
      parsedBody: body,
    });
    const out = await res.text();
    const outHeaders: Record<string, string> = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...ids,
    };
    res.headers.forEach((v, k) => {
      outHeaders[k] = v;
    });
    const answer =
      out.length === 0 ? { status: res.status } : { status: res.status, body: shapeError(JSON.parse(out)) };
    if (used.calls() === 0) {
      const instead = await auditExchange(
        deps,
        { ...start, action: `mcp.${methodOf(body)}` },
        principal,
        answer,
        ids,
      );
      if (instead) return instead;
    }
    return { ...answer, headers: outHeaders };
  } finally {
    await server.close().catch(() => {});
  }
}

export function createMcpApi(deps: McpEndpointDeps): McpApi {
  const { options } = deps;
  return {
    async endpoint(req) {
      const requestId = deps.newId();
      const ids = { 'x-request-id': requestId };
      if (req.method.toUpperCase() !== 'POST') {
        return rpcError(405, -32000, 'Method not allowed: this server is stateless and streams nothing.', {
          ...ids,
          allow: 'POST',
        });
      }
      const clock = new StageClock();
      const start: RequestStart = {
        requestId,
        time: deps.now(),
        transport: 'mcp',
        action: 'mcp',
        connection: null,
        clock,
      };
      const who = await authorize(deps, req, start, ids);
      if ('response' in who) return who.response;
      // Every exchange past authentication leaves an audit record, the refused ones too.
      const body = screen(req, options, ids) ?? (await readRpcBody(req, ids));
      if ('error' in body) {
        await deps.useCases.refuse(start, body.error, who.principal);
        return body.response;
      }
      if (Array.isArray(body.parsed)) return refuseBatch(deps, start, who.principal, ids);
      return serve(deps, req, start, who.principal, body.parsed, ids);
    },
    async resourceMetadata(req) {
      // Named from the request when no public URL is set: then no cache may keep it for others.
      return jsonResponse(200, resourceMetadata(req.url, options), {
        'cache-control': options.publicUrl ? 'max-age=300' : 'no-store',
      });
    },
  };
}
