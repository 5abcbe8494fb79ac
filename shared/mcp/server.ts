import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  InitializeRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { GatewayError } from '../errors.js';
import { boundedRouteValue } from '../limits.js';
import { StageClock } from '../pipeline/stage-clock.js';
import type { Principal } from '../types.js';
import type { ListBlobsQuery, ReadBlobQuery } from '../use-cases/blob-inputs.js';
import type { Outcome, Start, UseCases } from '../use-cases/index.js';
import { attemptedStatement, describeIssues, type QueryBody } from '../use-cases/inputs.js';
import { type ToolResult, toToolResult } from './results.js';
import { TOOLS, TOOLS_DIGEST, TOOLS_DIGEST_META_KEY, type ToolName, toolSpec } from './tools.js';

/** The revisions served: the newest the SDK knows, and 2025-06-18 (the first with OAuth as today). */
export const MCP_PROTOCOL_VERSIONS: readonly string[] = [...new Set([LATEST_PROTOCOL_VERSION, '2025-06-18'])];

export interface McpServerContext {
  useCases: UseCases;
  principal: Principal;
  now: () => Date;
  newId: () => string;
  version: string;
  /** The gateway's public base URL, to make the status URL of a held request absolute. */
  baseUrl?: string;
}

// One validator for every request: the SDK would otherwise build an Ajv instance per Server.
const validator = new AjvJsonSchemaValidator();

const CAPABILITIES = { tools: { listChanged: false } };

const INSTRUCTIONS =
  'agentgate runs SQL on your behalf under policy: call list_connections, then describe_connection, then query. ' +
  'Every call is audited; sensitive columns come back masked; large reads may wait for human approval.';

/**
 * One MCP server for one HTTP request (stateless: nothing is kept between requests, so any
 * instance can answer any request). The low-level `Server` is used rather than `McpServer`
 * so that the tool list is sent exactly as published with its digest, and so that malformed
 * arguments are refused by our own schemas and audited like any other refusal.
 */
export function createMcpServer(ctx: McpServerContext): Server {
  const server = new Server(
    { name: 'agentgate', title: 'agentgate', version: ctx.version },
    { capabilities: CAPABILITIES, instructions: INSTRUCTIONS, jsonSchemaValidator: validator },
  );
  // Replaces the SDK's own handler: it would agree to every revision it knows, older ones too.
  server.setRequestHandler(InitializeRequestSchema, (request) => ({
    protocolVersion: MCP_PROTOCOL_VERSIONS.includes(request.params.protocolVersion)
      ? request.params.protocolVersion
      : LATEST_PROTOCOL_VERSION,
    capabilities: CAPABILITIES,
    serverInfo: { name: 'agentgate', title: 'agentgate', version: ctx.version },
    instructions: INSTRUCTIONS,
    _meta: { [TOOLS_DIGEST_META_KEY]: TOOLS_DIGEST },
  }));
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: TOOLS.map((t) => ({ ...t })),
    _meta: { [TOOLS_DIGEST_META_KEY]: TOOLS_DIGEST },
  }));
  server.setRequestHandler(CallToolRequestSchema, (request) =>
    callTool(ctx, request.params.name, request.params.arguments ?? {}),
  );
  return server;
}

/** Runs one tool call through its use case; every call, refused or not, leaves its audit record. */
export async function callTool(ctx: McpServerContext, name: string, args: unknown): Promise<ToolResult> {
  const clock = new StageClock();
  const spec = toolSpec(name);
  const start: Start = {
    requestId: ctx.newId(),
    time: ctx.now(),
    transport: 'mcp',
    clock,
    tool: boundedRouteValue(name) ?? '',
  };
  const { useCases, principal } = ctx;
  if (!spec) {
    await useCases.refuse(
      { ...start, action: 'mcp.tool', connection: null },
      new GatewayError('not_found', 'No such tool.'),
      principal,
    );
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${boundedRouteValue(name)}`);
  }
  const parsed = spec.input.safeParse(args);
  if (!parsed.success) {
    const connection = typeof (args as { connection?: unknown })?.connection === 'string';
    const outcome = await useCases.refuse(
      {
        ...start,
        action: spec.action,
        connection: connection ? String((args as { connection: string }).connection) : null,
        // What was tried, as REST records it (red-team round 44).
        ...(attemptedStatement(args) === undefined ? {} : { statement: attemptedStatement(args) as string }),
      },
      new GatewayError('bad_request', `Invalid arguments: ${describeIssues(parsed.error, '(arguments)')}`),
      principal,
    );
    return toToolResult(outcome);
  }
  const input = parsed.data as Record<string, unknown>;
  let outcome: Outcome<unknown>;
  try {
    outcome = await runUseCase(useCases, spec.name, start, principal, input);
  } catch (e) {
    // The use cases answer outcomes; anything thrown is a bug, refused and audited all the same.
    outcome = await useCases.refuse({ ...start, action: spec.action, connection: null }, e, principal);
  }
  return toToolResult(outcome as Outcome<Record<string, unknown>>, {
    completed: spec.name === 'query' || spec.name === 'read_blob',
    ...(ctx.baseUrl ? { baseUrl: ctx.baseUrl } : {}),
  });
}

function runUseCase(
  useCases: UseCases,
  name: ToolName,
  start: Start,
  principal: Principal,
  input: Record<string, unknown>,
): Promise<Outcome<unknown>> {
  switch (name) {
    case 'list_connections':
      return useCases.listConnections(start, principal);
    case 'describe_connection':
      return useCases.describeConnection(start, principal, { connection: String(input.connection) });
    case 'query': {
      const { connection, ...body } = input as { connection: string } & QueryBody;
      return useCases.query(start, principal, { ...body, connection });
    }
    case 'request_status':
      return useCases.requestStatus(start, principal, { id: String(input.id) });
    case 'fetch_result':
      return useCases.requestResult(start, principal, { id: String(input.id) });
    case 'list_blobs': {
      const { connection, ...rest } = input as { connection: string } & ListBlobsQuery;
      return useCases.listBlobs(start, principal, { ...rest, connection });
    }
    case 'read_blob': {
      const { connection, ...rest } = input as { connection: string } & ReadBlobQuery;
      return useCases.readBlob(start, principal, { ...rest, connection });
    }
  }
}
