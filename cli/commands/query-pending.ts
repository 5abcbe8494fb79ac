import { z } from 'zod';
import { type GatewayCall, reportFailure } from '../http.js';
import type { CliIo } from '../io.js';

/** `agentgate query` exit codes; 3 for approval, as `policy check` uses. */
export const QUERY_EXIT_CODES = { rows: 0, failed: 1, usage: 2, pending: 3 } as const;

const pendingSchema = z.object({
  approval: z.object({
    approvalRequestId: z.string().min(1),
    status: z.string(),
    expiresAt: z.string().optional(),
  }),
  error: z.object({ statusUrl: z.string().optional() }).passthrough().optional(),
});

/**
 * A 202: the statement waits for approval and nothing ran. Prints the request id, its status
 * URL (absolute) and the command to follow it, and exits 3. A 202 without the approval's
 * shape is reported as a failure (exit 1): the CLI never guesses an id.
 */
export function reportPending(io: CliIo, call: GatewayCall): number {
  const parsed = pendingSchema.safeParse(call.body);
  if (!parsed.success) {
    reportFailure(io, 'query', call);
    return QUERY_EXIT_CODES.failed;
  }
  const { approval, error } = parsed.data;
  const id = approval.approvalRequestId;
  const path = error?.statusUrl ?? `/api/v1/requests/${encodeURIComponent(id)}`;
  const statusUrl = /^https?:\/\//.test(path) ? path : `${call.baseUrl}${path}`;
  const expires = approval.expiresAt ? ` (expires ${approval.expiresAt})` : '';
  io.stdout.write(
    [
      `approval required: request ${id} is ${approval.status}${expires}; nothing ran yet.`,
      `  status:  ${statusUrl}`,
      `  follow:  agentgate requests status ${id}`,
      '',
    ].join('\n'),
  );
  return QUERY_EXIT_CODES.pending;
}
