import { z } from 'zod';
import type { CliIo } from './io.js';
import { resolveGatewayUrl } from './project.js';

/** The error body every gateway route answers with; extra fields (policyIds, reasons) kept. */
export const errorBodySchema = z.object({
  requestId: z.string().optional(),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      policyIds: z.array(z.string()).optional(),
      reasons: z.array(z.string()).optional(),
    })
    .passthrough(),
});

export type ErrorBody = z.output<typeof errorBodySchema>;

/** Renders a gateway error for a terminal: code, message, policy ids, reasons, request id. */
export function formatGatewayError(status: number, body: ErrorBody, headerRequestId?: string | null): string {
  const { error } = body;
  const lines = [`error ${status} ${error.code}: ${error.message}`];
  if (error.policyIds && error.policyIds.length > 0) lines.push(`  policies: ${error.policyIds.join(', ')}`);
  for (const reason of error.reasons ?? []) lines.push(`  reason:   ${reason}`);
  for (const [k, v] of Object.entries(error)) {
    if (['code', 'message', 'policyIds', 'reasons'].includes(k)) continue;
    lines.push(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  const requestId = body.requestId ?? headerRequestId ?? undefined;
  if (requestId) lines.push(`  request:  ${requestId} (agentgate audit show ${requestId})`);
  return lines.join('\n');
}

export interface GatewayCall {
  status: number;
  ok: boolean;
  text: string;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  requestId: string | null;
  /** The gateway's base URL the call went to (for absolute links in output). */
  baseUrl: string;
}

/** One request to the gateway the CLI found; throws `Unreachable` with a hint when it is not there. */
export async function callGateway(
  io: CliIo,
  path: string,
  init: { method?: string; token: string; body?: unknown; url?: string | undefined; timeoutMs?: number },
): Promise<GatewayCall> {
  const base = await resolveGatewayUrl(io, init.url);
  let res: Response;
  try {
    res = await fetch(`${base.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${init.token}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 60_000),
    });
  } catch (e) {
    throw new Unreachable(base.url, base.source, e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    status: res.status,
    ok: res.ok,
    text,
    body,
    requestId: res.headers.get('x-request-id'),
    baseUrl: base.url,
  };
}

export class Unreachable extends Error {
  constructor(
    readonly url: string,
    readonly source: string,
    detail: string,
  ) {
    super(
      `cannot reach ${url} (from ${source}; ${detail}). Is "npm start" running? ` +
        'Pass --url or set AGENTGATE_URL to reach another gateway.',
    );
    this.name = 'Unreachable';
  }
}

/** Prints a failed call the way every command does and returns exit code 1. */
export function reportFailure(io: CliIo, command: string, call: GatewayCall): number {
  const err = errorBodySchema.safeParse(call.body);
  if (err.success) io.stderr.write(`${formatGatewayError(call.status, err.data, call.requestId)}\n`);
  else io.stderr.write(`agentgate ${command}: unexpected HTTP ${call.status}: ${call.text.slice(0, 500)}\n`);
  return 1;
}
