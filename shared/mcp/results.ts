import type { Outcome } from '../use-cases/index.js';
import { releasedJson } from '../use-cases/released-json.js';

/** A `tools/call` result as MCP defines it (text content plus optional structured content). */
export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

function ok(value: Record<string, unknown>): ToolResult {
  return {
    content: [{ type: 'text', text: releasedJson(value) ?? JSON.stringify(value) }],
    structuredContent: value,
  };
}

/** The same body a REST caller would get for the refusal, as the text of a tool error. */
function toolError(requestId: string, body: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify({ requestId, ...body }) }], isError: true };
}

/**
 * The only place an outcome becomes an MCP tool result. Denials and failures are tool
 * errors (`isError`) carrying the stable code and the caller-safe details (policy ids,
 * reasons), so the model sees why; a request held for approval is a result with status
 * `pending` and where to follow it (request_status) when it was stored, and a tool error
 * when the workflow could not take it.
 */
export function toToolResult(
  outcome: Outcome<Record<string, unknown>>,
  options: { completed?: boolean; baseUrl?: string } = {},
): ToolResult {
  if (outcome.kind === 'allowed') {
    return ok(options.completed ? { status: 'completed', ...outcome.value } : outcome.value);
  }
  const { code, message, details } = outcome.failure;
  const error = { code, message, ...(details ?? {}) };
  if (outcome.kind === 'pending') {
    if (outcome.approval) {
      const { approvalRequestId, status, expiresAt } = outcome.approval;
      const path = typeof details?.statusUrl === 'string' ? details.statusUrl : '';
      return ok({
        requestId: outcome.requestId,
        status: 'pending',
        approval: {
          approvalRequestId,
          status,
          expiresAt,
          statusUrl: options.baseUrl && path ? new URL(path, options.baseUrl).toString() : path,
          policyIds: stringList(details?.policyIds),
          reasons: stringList(details?.reasons),
        },
      });
    }
    return toolError(outcome.requestId, { status: 'pending', error });
  }
  return toolError(outcome.requestId, { error });
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
