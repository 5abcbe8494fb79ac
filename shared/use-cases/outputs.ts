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
  budget: z
    .object({
      rowsLeft: z.number(),
      bytesLeft: z.number(),
      windowSeconds: z.number(),
      tables: z
        .record(
          z.string(),
          z.object({ rowsLeft: z.number(), bytesLeft: z.number(), windowSeconds: z.number() }),
        )
        .optional(),
    })
    .optional(),
});

export const connectionSummarySchema = z.object({
  id: z.string(),
  kind: z.string(),
  engine: z.string(),
  environment: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  maxRows: z.number().int(),
  containers: z
    .array(z.object({ name: z.string(), prefixes: z.array(z.string()) }))
    .optional()
    .describe('For a storage account (kind blob): the containers and name prefixes it exposes.'),
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

/** A stored request as its requester and approvers see it (never its result). */
export const requestViewSchema = z.object({
  id: z.string(),
  status: z.string(),
  connection: z.string(),
  statement: z.string(),
  params: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  requester: z.object({ kind: z.string(), id: z.string(), name: z.string().optional() }),
  approverGroup: z.string().nullable(),
  quorum: z.number().int(),
  maxRows: z.number().int(),
  estimatedRows: z.number().nullable(),
  policyIds: z.array(z.string()),
  reasons: z.array(z.string()),
  purpose: z.string().nullable(),
  votes: z.array(
    z.object({
      approver: z.object({ id: z.string(), name: z.string().optional() }),
      decision: z.string(),
      at: z.string(),
      reason: z.string().optional(),
    }),
  ),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  resultUrl: z.string().optional(),
});

export const requestStatusSchema = z.object({ requestId: z.string(), request: requestViewSchema });

export const approvalListSchema = z.object({
  requestId: z.string(),
  requests: z.array(requestViewSchema),
  /** More requests were pending than the inbox reads at once. */
  truncated: z.boolean(),
});

/** The masked result of an approved request, as stored when it ran. */
export const requestResultSchema = z.object({
  requestId: z.string(),
  approvalRequestId: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number().int().min(0),
  /** A page: its first row, the rows of the whole result, and the token of the next page (none: the last). */
  offset: z.number().int().min(0).optional(),
  totalRows: z.number().int().min(0).optional(),
  continuation: z.string().optional(),
  truncated: z.boolean(),
  masking: maskingReportSchema,
  digest: z.string(),
  expiresAt: z.string(),
});

export const cancelledSchema = z.object({ requestId: z.string(), id: z.string(), status: z.string() });

export const decisionQueuedSchema = z.object({
  requestId: z.string(),
  id: z.string(),
  decisionId: z.string(),
  status: z.literal('queued'),
});

/** REST's 202 for a request stored for approval: nothing ran; follow it at the status URL. */
export const pendingApprovalSchema = z.object({
  requestId: z.string(),
  error: z
    .object({
      code: z.literal('approval_required'),
      message: z.string(),
      policyIds: z.array(z.string()).optional(),
      reasons: z.array(z.string()).optional(),
      statusUrl: z.string().optional(),
    })
    .catchall(z.unknown()),
  approval: z.object({ approvalRequestId: z.string(), status: z.string(), expiresAt: z.string() }),
});
