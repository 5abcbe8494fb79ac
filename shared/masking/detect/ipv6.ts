import { isIPv6 } from 'node:net';
import type { Span } from '../types.js';
import { isAlnum, isHex } from './chars.js';
import { SpanIndex } from './span.js';

function isV6Char(c: number): boolean {
  return isHex(c) || c === 58 || c === 46;
}

/**
 * Takes each maximal run of hex digits, colons and dots that holds two or more colons and is
 * not glued to other letters (so `std::vector` or `T12:34:56Z` are left alone), and lets
 * node:net decide whether it is an IPv6 address.
 */
export function detectIpv6(s: string, out: Span[]): void {
  let from = 0;
  let others: SpanIndex | undefined;
  for (;;) {
    const colon = s.indexOf(':', from);
    if (colon === -1) return;
    let l = colon;
    while (l > 0 && isV6Char(s.charCodeAt(l - 1))) l--;
    let r = colon + 1;
    while (r < s.length && isV6Char(s.charCodeAt(r))) r++;
    from = r;
    while (r > l && s.charCodeAt(r - 1) === 46) r--;
    if (l > 0 && (isAlnum(s.charCodeAt(l - 1)) || s.charCodeAt(l - 1) === 95)) continue;
    if (r < s.length && (isAlnum(s.charCodeAt(r)) || s.charCodeAt(r) === 95)) continue;
    // The longest address (`ffff:...:ffff:255.255.255.255`) has 45 characters.
    if (r - l < 3 || r - l > 45) continue;
    let colons = 0;
    for (let i = l; i < r; i++) if (s.charCodeAt(i) === 58) colons++;
    if (colons < 2) continue;
    // `4111 ... 0009::` is a card followed by colons, not an address that swallows its tail.
    others ??= new SpanIndex(out, (o) => o.dataClass !== 'pii.ip');
    if (others.overlaps(l, r)) continue;
    if (isIPv6(s.slice(l, r))) out.push({ start: l, end: r, dataClass: 'pii.ip' });
  }
}
