import type { z } from 'zod';
import { GatewayError } from '../errors.js';
import { describeIssues } from '../use-cases/inputs.js';
import type { ApiRequest } from './http.js';

/**
 * Reads and validates a JSON body. Size is checked from the declared length first (cheap
 * refusal) and again on the bytes actually read, since the header can lie.
 */
export async function readJsonBody<S extends z.ZodType>(
  req: ApiRequest,
  schema: S,
  maxBytes: number,
  /** Sees the parsed JSON before it is validated, so a refusal can say what was sent. */
  sent?: (raw: unknown) => void,
): Promise<z.output<S>> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type.trim())) {
    throw new GatewayError('unsupported_media_type', 'Send the request body as application/json.');
  }
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new GatewayError('payload_too_large', `The request body exceeds ${maxBytes} bytes.`);
  }
  const text = await req.text();
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new GatewayError('payload_too_large', `The request body exceeds ${maxBytes} bytes.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_body', 'The request body is not valid JSON.');
  }
  sent?.(raw);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new GatewayError('invalid_body', `Invalid request body: ${describeIssues(parsed.error, '(body)')}`);
  }
  return parsed.data;
}
