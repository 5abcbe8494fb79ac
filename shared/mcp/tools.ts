import { z } from 'zod';
import { canonicalSha256 } from '../audit/canonical.js';
import { LIMITS } from '../limits.js';
import { listBlobsQuerySchema, readBlobQuerySchema } from '../use-cases/blob-inputs.js';
import { blobListSchema, blobReadSchema } from '../use-cases/blob-outputs.js';
import { queryBodySchema } from '../use-cases/inputs.js';
import {
  connectionListSchema,
  connectionSchemaSchema,
  queryResultSchema,
  requestResultSchema,
  requestStatusSchema,
} from '../use-cases/outputs.js';

/**
 * The MCP tools, in the order they are listed. Their JSON schemas are generated from the same
 * zod schemas that validate REST bodies and describe use-case answers, so the two transports
 * cannot drift apart. The list is fixed at build time and hashed, so a client can pin it.
 */

const connectionId = z
  .string()
  .min(1)
  .max(LIMITS.routeValueChars)
  .describe('A connection id, as list_connections names it.');

const approvalRequestId = z
  .string()
  .min(1)
  .max(LIMITS.routeValueChars)
  .describe('The approval request id that a pending query answered (approval.approvalRequestId).');

export const listConnectionsInput = z.strictObject({});
export const requestInput = z.strictObject({ id: approvalRequestId });
export const describeConnectionInput = z.strictObject({ connection: connectionId });
export const queryInput = z.strictObject({
  connection: connectionId,
  ...queryBodySchema.shape,
});

/** What the query tool answers: the released result, or the request held for approval. */
export const queryToolOutput = queryResultSchema.partial().extend({
  requestId: z.string(),
  status: z
    .enum(['completed', 'pending'])
    .describe('completed: rows are here; pending: the request waits for human approval.'),
  approval: z
    .object({
      approvalRequestId: z.string(),
      status: z.string(),
      expiresAt: z.string(),
      statusUrl: z.string().describe('Where the request status can be read (REST, same token).'),
      policyIds: z.array(z.string()),
      reasons: z.array(z.string()),
    })
    .optional(),
});

export const listBlobsInput = z.strictObject({ connection: connectionId, ...listBlobsQuerySchema.shape });
export const readBlobInput = z.strictObject({ connection: connectionId, ...readBlobQuerySchema.shape });

/** What read_blob answers: the masked rows, or the read held for approval. */
export const readBlobToolOutput = blobReadSchema.partial().extend({
  requestId: z.string(),
  status: queryToolOutput.shape.status,
  approval: queryToolOutput.shape.approval,
});

export type ToolName =
  | 'list_blobs'
  | 'read_blob'
  | 'list_connections'
  | 'describe_connection'
  | 'query'
  | 'request_status'
  | 'fetch_result';

interface ToolSpec {
  name: ToolName;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  /** The use case's action, as the audit record names it. */
  action: string;
  idempotent: boolean;
}

export const TOOL_SPECS: readonly ToolSpec[] = [
  {
    name: 'list_connections',
    title: 'List connections',
    description:
      'The data connections you may query through agentgate, with their engine, environment and row cap; a storage account (kind blob, for list_blobs and read_blob) also gives its containers and the name prefixes each exposes.',
    input: listConnectionsInput,
    output: connectionListSchema,
    action: 'connections.list',
    idempotent: true,
  },
  {
    name: 'describe_connection',
    title: 'Describe a connection',
    description:
      'The tables and columns exposed on one connection, with their types and data classes (masked classes are marked). Use it instead of system catalogs.',
    input: describeConnectionInput,
    output: connectionSchemaSchema,
    action: 'connections.describe',
    idempotent: true,
  },
  {
    name: 'query',
    title: 'Run a SQL statement',
    description:
      'Runs one SQL statement on a connection under policy. Allowed reads return columns, masked rows, the masking report and the decision. A denial is a tool error with the policy ids and reasons. Large reads may be held for human approval (status pending, with a request id). Use $1, $2, ... placeholders with params; say why in purpose.',
    input: queryInput,
    output: queryToolOutput,
    action: 'query',
    idempotent: false,
  },
  {
    name: 'request_status',
    title: 'Status of a request held for approval',
    description:
      'The status of a query that was held for human approval (pending, approved, denied, expired, cancelled, executing, completed, failed), its votes and, once completed, that its result can be fetched.',
    input: requestInput,
    output: requestStatusSchema,
    action: 'requests.status',
    idempotent: true,
  },
  {
    name: 'fetch_result',
    title: 'Fetch the result of an approved request',
    description:
      'The masked result of an approved and completed request, for the agent that asked, until the result expires. Each fetch is audited.',
    input: requestInput,
    output: requestResultSchema,
    action: 'requests.result',
    idempotent: true,
  },
  {
    name: 'list_blobs',
    title: 'List blobs',
    description:
      'On a blob connection: without prefix, the exposed folders; with prefix ("container/folder/"), one page of that folder (pass continuation for the next). Paths outside the exposed folders are refused.',
    input: listBlobsInput,
    output: blobListSchema,
    action: 'blobs.list',
    idempotent: true,
  },
  {
    name: 'read_blob',
    title: 'Read a blob',
    description:
      'Reads one blob ("container/path") as masked rows: CSV by column, JSON and NDJSON by field, text by line. Binary blobs are refused. Narrow with offset/length (bytes) or rowOffset/maxRows; reads over the connection byte threshold are held for human approval (status pending).',
    input: readBlobInput,
    output: readBlobToolOutput,
    action: 'blobs.read',
    idempotent: false,
  },
];

/** JSON Schema for a tool; `$schema` is left out so draft-07 validators (Ajv) accept it too. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest;
}

export interface ToolDescriptor {
  name: string;
  title: string;
  description: string;
  inputSchema: { type: 'object'; [key: string]: unknown };
  outputSchema: { type: 'object'; [key: string]: unknown };
  annotations: {
    title: string;
    readOnlyHint: boolean;
    destructiveHint: boolean;
    idempotentHint: boolean;
    openWorldHint: boolean;
  };
}

function describeTool(spec: ToolSpec): ToolDescriptor {
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: { ...jsonSchema(spec.input, 'input'), type: 'object' },
    outputSchema: { ...jsonSchema(spec.output, 'output'), type: 'object' },
    annotations: {
      title: spec.title,
      // The gateway never lets a tool call change data on its own: writes are refused by
      // the shipped policies for agents, and the hints say what an agent may expect.
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: spec.idempotent,
      openWorldHint: false,
    },
  };
}

/** The tool list exactly as `tools/list` sends it. */
export const TOOLS: readonly ToolDescriptor[] = Object.freeze(TOOL_SPECS.map(describeTool));

/** `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of the tool list. */
export const TOOLS_DIGEST = `sha256:${canonicalSha256(TOOLS)}`;

/** The `_meta` key under which the digest is published (initialize and tools/list). */
export const TOOLS_DIGEST_META_KEY = 'io.agentgate/tools-digest';

export function toolSpec(name: string): ToolSpec | undefined {
  return TOOL_SPECS.find((t) => t.name === name);
}
