import type { Span } from '../types.js';
import { isAlnum, isDigit } from './chars.js';

/**
 * `scheme://user:password@host`: only the password is masked, so the text still says which
 * user and which host. URL parsers end the authority at the first `/`, `?` or `#`, but
 * generated passwords often hold a raw `/` or `+`; the userinfo therefore runs to the last
 * `@` before the first `/`, `?` or `#` that follows an `@`. `host:8080/path/@x` (a port,
 * then a path holding an `@`) is not a password.
 */

function isSchemeChar(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 45 || c === 46;
}

/** Whitespace, controls, quotes and angle brackets end a URL written inside text. */
function endsUrl(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 || c === 96 || c === 127;
}

/** Characters a user name cannot hold unencoded. */
function endsUser(c: number): boolean {
  return endsUrl(c) || c === 58 || c === 47 || c === 63 || c === 35 || c === 64;
}

function endsAuthority(c: number): boolean {
  return endsUrl(c) || c === 47 || c === 63 || c === 35;
}

/**
 * Calls `found` with the index of each `@` that closes a password, after pushing the span.
 * Forward searches are cached and only ever move right, so a long text full of `://` costs
 * linear time.
 */
export function detectUrlCredentials(s: string, out: Span[], found: (at: number) => void): void {
  const n = s.length;
  let nextAt = -2; // cached s.indexOf('@', p) for the last p asked
  let nextEnd = -1; // cached position of the next URL-ending character
  const atFrom = (p: number) => {
    if (nextAt !== -1 && nextAt < p) nextAt = s.indexOf('@', p);
    return nextAt;
  };
  const endFrom = (p: number) => {
    if (nextEnd < p) {
      nextEnd = p;
      while (nextEnd < n && !endsUrl(s.charCodeAt(nextEnd))) nextEnd++;
    }
    return nextEnd;
  };
  let from = 0;
  for (;;) {
    const sep = s.indexOf('://', from);
    if (sep === -1) return;
    from = sep + 3;
    if (sep === 0 || !isSchemeChar(s.charCodeAt(sep - 1))) continue;
    let colon = sep + 3;
    while (colon < n && !endsUser(s.charCodeAt(colon))) colon++;
    if (colon >= n || s.charCodeAt(colon) !== 58) continue;
    const start = colon + 1;
    const firstAt = atFrom(start);
    if (firstAt === -1) return;
    const end = endFrom(start);
    if (firstAt > end) {
      from = Math.max(from, end);
      continue;
    }
    let port = start;
    while (port < firstAt && isDigit(s.charCodeAt(port))) port++;
    if (port > start && s.charCodeAt(port) === 47) continue;
    let authEnd = firstAt + 1;
    while (authEnd < n && !endsAuthority(s.charCodeAt(authEnd))) authEnd++;
    const at = s.lastIndexOf('@', authEnd - 1);
    if (at > start) {
      out.push({ start, end: at, dataClass: 'secret' });
      found(at);
    }
    from = at + 1;
  }
}
