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
 * Pushes a span per password and returns the positions of the `@`s that close them (so the
 * email detector leaves `pw@host` alone), or undefined when there are none. Forward searches
 * are remembered and only ever move right, so a long text full of `://` costs linear time.
 */
export function detectUrlCredentials(s: string, out: Span[]): Set<number> | undefined {
  let from = s.indexOf('://');
  if (from === -1) return undefined;
  const n = s.length;
  let closers: Set<number> | undefined;
  let nextAt = -2; // s.indexOf('@', p) for the last p asked, -1 when there is none
  let nextEnd = -1; // the next URL-ending character at or after the last p asked
  for (;;) {
    const sep = s.indexOf('://', from);
    if (sep === -1) return closers;
    from = sep + 3;
    if (sep === 0 || !isSchemeChar(s.charCodeAt(sep - 1))) continue;
    let colon = sep + 3;
    while (colon < n && !endsUser(s.charCodeAt(colon))) colon++;
    if (colon >= n || s.charCodeAt(colon) !== 58) continue;
    const start = colon + 1;
    if (nextAt !== -1 && nextAt < start) nextAt = s.indexOf('@', start);
    const firstAt = nextAt;
    if (firstAt === -1) return closers;
    if (nextEnd < start) {
      nextEnd = start;
      while (nextEnd < n && !endsUrl(s.charCodeAt(nextEnd))) nextEnd++;
    }
    if (firstAt > nextEnd) {
      from = Math.max(from, nextEnd);
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
      closers ??= new Set();
      closers.add(at);
    }
    from = at + 1;
  }
}
