import type { Outcome } from '../use-cases/index.js';

/** A `tools/call` result as MCP defines it (text content plus optional structured content). */
export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

function ok(value: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** The same body a REST caller would get for the refusal, as the text of a tool error. */
function toolError(requestId: string, body: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify({ requestId, ...body }) }], isError: true };
}

/**
 * The only place an outcome becomes an MCP tool result. Denials and failures are tool
 * errors (`isError`) carrying the stable code and the caller-safe details (policy ids,
 * reasons), so the model sees why; a request held for approval is a result with status
 * `pending` when it was stored, and a tool error when the workflow could not take it.
 */
export function toToolResult(
  outcome: Outcome<Record<string, unknown>>,
  options: { completed?: boolean; statusUrl?: (approvalRequestId: string) => string } = {},
): ToolResult {
  if (outcome.kind === 'allowed') {
    return ok(options.completed ? { status: 'completed', ...outcome.value } : outcome.value);
  }
  const { code, message, details } = outcome.failure;
  const error = { code, message, ...(details ?? {}) };
  if (outcome.kind === 'pending') {
    if (outcome.approval && options.statusUrl) {
      const { approvalRequestId, status, expiresAt } = outcome.approval;
      return ok({
        requestId: outcome.requestId,
        status: 'pending',
        approval: { approvalRequestId, status, expiresAt, statusUrl: options.statusUrl(approvalRequestId) },
      });
    }
    return toolError(outcome.requestId, { status: 'pending', error });
  }
  return toolError(outcome.requestId, { error });
}
