import { z } from 'zod';
import { LIMITS } from '../limits.js';

/** Inputs of the use cases, validated the same way whichever transport carried them. */

// A NUL cannot be in PostgreSQL text, and `pg` sends it inside the wire message, which the
// server then reads as malformed; a lone surrogate (JSON allows `"\ud800"`) is no text at all
// and made Cedar fail on a purpose (red-team round 16). Refused here as the caller's error.
const textOnly = (s: string) => !s.includes('\u0000') && !/\p{Cs}/u.test(s);
const TEXT_MESSAGE = 'must be text without NUL (U+0000) or unpaired surrogates';

/**
 * The `sql` of a body refused as a whole (another field was invalid), when it could be stored:
 * the audit names what was tried, as it does for a statement that was read (red-team round 44:
 * `maxRows: 0` left the statement out of the record).
 */
export function attemptedStatement(raw: unknown): string | undefined {
  const sql = raw !== null && typeof raw === 'object' ? (raw as { sql?: unknown }).sql : undefined;
  return typeof sql === 'string' && sql.length > 0 && sql.length <= LIMITS.statementChars && textOnly(sql)
    ? sql
    : undefined;
}

/**
 * A whole number in [min, max], from JSON (a number) or a query string (decimal digits only).
 * `z.coerce.number()` took `true`, `[1]`, `"0x200"`, `"1e3"` and `""` for numbers, past what the
 * MCP tool list and the OpenAPI document say (red-team round 41).
 */
export function wholeNumber(min: number, max: number) {
  const value = z.number().int().min(min).max(max);
  const digits = z.string().regex(/^[0-9]{1,16}$/);
  return z.union([value, digits.transform(Number).pipe(value)], {
    error: `must be a whole number from ${min} to ${max}, in decimal digits`,
  });
}

/** A caller's stated purpose: shown to approvers and given to policy as context. */
export const purposeSchema = z.string().max(LIMITS.purposeChars).refine(textOnly, TEXT_MESSAGE);

export const paramValueSchema = z.union([
  z.string().max(LIMITS.paramChars).refine(textOnly, TEXT_MESSAGE),
  z.number(),
  z.boolean(),
  z.null(),
]);

export const queryBodySchema = z
  .object({
    sql: z.string().min(1).max(LIMITS.statementChars).refine(textOnly, TEXT_MESSAGE),
    params: z.array(paramValueSchema).max(LIMITS.params).optional(),
    maxRows: z.number().int().min(1).max(LIMITS.maxRows).optional(),
    purpose: purposeSchema.optional(),
    /** Where agentgate POSTs a signed notice if the request waits for approval (allowlisted hosts). */
    callbackUrl: z.string().min(1).max(2048).refine(textOnly, TEXT_MESSAGE).optional(),
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
    limit: wholeNumber(1, LIMITS.auditPageMax).default(50),
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
