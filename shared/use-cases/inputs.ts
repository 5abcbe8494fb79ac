import { z } from 'zod';
import { LIMITS } from '../limits.js';

/** Inputs of the use cases, validated the same way whichever transport carried them. */

// A NUL cannot be in PostgreSQL text, and `pg` sends it inside the wire message, which the
// server then reads as malformed: refused here as the caller's error, not a target outage.
const noNul = (s: string) => !s.includes('\u0000');
const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';

export const paramValueSchema = z.union([
  z.string().max(LIMITS.paramChars).refine(noNul, NUL_MESSAGE),
  z.number(),
  z.boolean(),
  z.null(),
]);

export const queryBodySchema = z
  .object({
    sql: z.string().min(1).max(LIMITS.statementChars).refine(noNul, NUL_MESSAGE),
    params: z.array(paramValueSchema).max(LIMITS.params).optional(),
    maxRows: z.number().int().min(1).max(LIMITS.maxRows).optional(),
    purpose: z.string().max(LIMITS.purposeChars).optional(),
    /** Where agentgate POSTs a signed notice if the request waits for approval (allowlisted hosts). */
    callbackUrl: z.string().min(1).max(2048).optional(),
  })
  .strict();

export type QueryBody = z.output<typeof queryBodySchema>;

export interface QueryInput extends QueryBody {
  /** The connection id as the caller named it (unchecked). */
  connection: string | null;
}

export const auditQuerySchema = z
  .object({
    principal: z.string().min(1).max(LIMITS.auditFilterChars).optional(),
    connection: z.string().min(1).max(LIMITS.routeValueChars).optional(),
    decision: z.enum(['allow', 'deny', 'approval', 'error']).optional(),
    requestId: z.string().min(1).max(LIMITS.routeValueChars).optional(),
    transport: z.enum(['rest', 'mcp', 'queue', 'timer']).optional(),
    table: z.string().min(1).max(LIMITS.routeValueChars).optional(),
    fingerprint: z.string().min(1).max(LIMITS.routeValueChars).optional(),
    approvalRequestId: z.string().min(1).max(LIMITS.routeValueChars).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(LIMITS.auditPageMax).default(50),
    continuation: z.string().min(1).max(LIMITS.continuationChars).optional(),
  })
  .strict();

export type AuditQuery = z.output<typeof auditQuerySchema>;

/** One line per problem, `path: message`, at most five: the one way validation errors read. */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || root}: ${i.message}`)
    .join('; ');
}
