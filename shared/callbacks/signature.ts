import { createHmac, timingSafeEqual } from 'node:crypto';

export const CALLBACK_SIGNATURE_HEADER = 'x-agentgate-signature';
export const CALLBACK_TIMESTAMP_HEADER = 'x-agentgate-timestamp';
/** A receiver should refuse a notice whose timestamp is further than this from its clock. */
export const CALLBACK_TOLERANCE_SECONDS = 300;
/** HMAC keys shorter than this are refused at start (32 bytes of entropy as hex or base64). */
export const CALLBACK_KEY_MIN_CHARS = 32;

/**
 * `sha256=<hex>` of HMAC-SHA256(key, `<timestamp>.<raw body>`). The timestamp (Unix seconds,
 * also sent in its own header) is inside the MAC, so a captured notice cannot be replayed
 * later with a fresh timestamp.
 */
export function signCallback(key: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${timestamp}.`, 'utf8').update(body, 'utf8').digest('hex');
  return `sha256=${mac}`;
}

/** What a receiver does: recompute in constant time and check the timestamp window. */
export function verifyCallback(input: {
  key: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  if (input.signature === undefined || input.timestamp === undefined) return false;
  if (!/^\d{1,12}$/.test(input.timestamp)) return false;
  const ts = Number(input.timestamp);
  if (Math.abs(input.nowSeconds - ts) > (input.toleranceSeconds ?? CALLBACK_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signCallback(input.key, ts, input.body), 'utf8');
  const given = Buffer.from(input.signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
