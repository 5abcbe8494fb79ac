import { z } from 'zod';

/**
 * The values the use cases answer, as zod schemas: the one description that the OpenAPI
 * document and the MCP tools' output schemas are generated from. Tests check the use cases'
 * real answers against them, so a field added to a use case and not here fails a test.
 */

export const maskingReportSchema = z.object({
  columns: z.record(z.string(), z.string()).describe('Column name -> the data class it was masked as.'),
  cellsMasked: z.number().int().min(0),
  byClass: z.record(z.string(), z.number().int().min(0)),
});

export const queryResultSchema = z.object({
  requestId: z.string(),
  decision: z.object({
    outcome: z.enum(['allow', 'deny', 'approval']),
    policyIds: z.array(z.string()),
  }),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number().int().min(0),
  truncated: z.boolean(),
  masking: maskingReportSchema,
  budget: z.object({ rowsLeft: z.number(), bytesLeft: z.number(), windowSeconds: z.number() }).optional(),
});

export const connectionSummarySchema = z.object({
  id: z.string(),
  kind: z.string(),
  engine: z.string(),
  environment: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  maxRows: z.number().int(),
});

export const connectionListSchema = z.object({
  requestId: z.string(),
  connections: z.array(connectionSummarySchema),
});

export const connectionSchemaSchema = z.object({
  requestId: z.string(),
  connection: z.string(),
  tables: z.array(
    z.object({
      name: z.string(),
      columns: z.array(
        z.object({
          name: z.string(),
          type: z.string(),
          dataClass: z.string().optional().describe('The data class masking applies to this column.'),
        }),
      ),
    }),
  ),
});

/** Audit records are the audit events as stored; their shape is the event union's. */
export const auditPageSchema = z.object({
  requestId: z.string(),
  records: z.array(z.record(z.string(), z.unknown())),
  continuation: z.string().optional(),
});

export const auditTraceSchema = z.object({
  requestId: z.string(),
  subject: z.string(),
  events: z.array(z.record(z.string(), z.unknown())),
});

export const healthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  time: z.string(),
});

/** Every refusal, whatever the route: a stable code, a message, and caller-safe detail. */
export const errorBodySchema = z.object({
  requestId: z.string(),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      policyIds: z.array(z.string()).optional(),
      reasons: z.array(z.string()).optional(),
    })
    .catchall(z.unknown()),
});
