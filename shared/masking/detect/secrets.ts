import type { Span } from '../types.js';
import { isBase64, isBase64Url } from './chars.js';

/** `-----BEGIN ... PRIVATE KEY-----` through its END line; a key cut short is masked to the end. */
export function detectPrivateKeys(s: string, out: Span[]): void {
  let from = 0;
  for (;;) {
    const begin = s.indexOf('-----BEGIN ', from);
    if (begin === -1) return;
    const headerEnd = s.indexOf('-----', begin + 11);
    if (headerEnd === -1) return;
    from = headerEnd + 5;
    if (!s.slice(begin + 11, headerEnd).endsWith('PRIVATE KEY')) continue;
    const endLine = s.indexOf('-----END ', from);
    const close = endLine === -1 ? -1 : s.indexOf('-----', endLine + 9);
    const end = close === -1 ? s.length : close + 5;
    out.push({ start: begin, end, dataClass: 'secret' });
    from = end;
  }
}

/** `{"alg":"x"}` in base64url; no header is shorter. */
const MIN_HEADER = 15;

/** A header segment that decodes to a JSON object naming its `alg` makes a JWT. */
function isJwtHeader(segment: string): boolean {
  if (segment.length < MIN_HEADER) return false;
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  // Most look-alikes fail here, without the cost of a thrown parse error.
  if (!text.includes('"alg"')) return false;
  try {
    const header: unknown = JSON.parse(text);
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

function skipBase64Url(s: string, i: number): number {
  while (i < s.length && isBase64Url(s.charCodeAt(i))) i++;
  return i;
}

/** Three base64url segments; the first always starts `eyJ` because it encodes `{"`. */
export function detectJwts(s: string, out: Span[]): void {
  let from = 0;
  for (;;) {
    const start = s.indexOf('eyJ', from);
    if (start === -1) return;
    from = start + 3;
    if (start > 0 && isBase64Url(s.charCodeAt(start - 1))) continue;
    const headerEnd = skipBase64Url(s, start);
    if (s.charCodeAt(headerEnd) !== 46) continue;
    const payloadEnd = skipBase64Url(s, headerEnd + 1);
    if (payloadEnd - headerEnd < 3 || s.charCodeAt(payloadEnd) !== 46) continue;
    const end = skipBase64Url(s, payloadEnd + 1);
    if (!isJwtHeader(s.slice(start, headerEnd))) continue;
    out.push({ start, end, dataClass: 'secret' });
    from = end;
  }
}

/** Azure storage account keys are 64 random bytes: exactly 88 base64 characters ending `==`. */
export function detectStorageKeys(s: string, out: Span[]): void {
  let from = 86;
  for (;;) {
    const pad = s.indexOf('==', from);
    if (pad === -1) return;
    from = pad + 2;
    const start = pad - 86;
    if (start > 0 && isBase64(s.charCodeAt(start - 1))) continue;
    const after = s.charCodeAt(pad + 2);
    if (isBase64(after) || after === 61) continue;
    let ok = true;
    for (let i = start; i < pad; i++) {
      if (!isBase64(s.charCodeAt(i))) {
        ok = false;
        break;
      }
    }
    if (ok) out.push({ start, end: pad + 2, dataClass: 'secret' });
  }
}
