import type { Span } from '../types.js';
import { firstFourDigits, luhnValid, plausibleIssuer } from './card.js';
import { isAlnum, isDigit } from './chars.js';

/** Local-part characters we accept: the common subset of RFC 5322 atoms. */
function isLocal(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 45;
}

/** Labels separated by single dots, no label edged by `-`, alphabetic TLD of 2+ letters. */
function validDomain(s: string, start: number, end: number): boolean {
  // One read per character: the previous one is carried along instead of read again.
  let prev = 46;
  let dots = 0;
  let tldStart = start;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (prev === 46 || prev === 45) return false;
      dots++;
      tldStart = i + 1;
    } else if (c === 45 && prev === 46) return false;
    prev = c;
  }
  if (dots === 0 || prev === 46 || prev === 45 || end - tldStart < 2) return false;
  for (let i = tldStart; i < end; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** `4111111111111111@x.io` is a card number glued to a domain: leave it to the card detector. */
function isCardLocalPart(s: string, start: number, end: number): boolean {
  if (end - start < 13 || end - start > 19) return false;
  for (let i = start; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return plausibleIssuer(firstFourDigits(s, start, end)) && luhnValid(s, start, end);
}

/**
 * Finds `local@domain.tld` around each `@`. `skip` holds the `@`s that close a URL password:
 * `user:pw@db.example.com` is a credential and a host, not an address.
 */
export function detectEmails(s: string, out: Span[], skip?: ReadonlySet<number>): void {
  let at = s.indexOf('@');
  while (at !== -1) {
    if (skip?.has(at)) {
      at = s.indexOf('@', at + 1);
      continue;
    }
    let l = at;
    while (l > 0 && isLocal(s.charCodeAt(l - 1))) l--;
    while (l < at && s.charCodeAt(l) === 46) l++;
    let r = at + 1;
    while (r < s.length && isDomainChar(s.charCodeAt(r))) r++;
    while (r > at + 1 && (s.charCodeAt(r - 1) === 46 || s.charCodeAt(r - 1) === 45)) r--;
    if (l < at && r > at + 1 && validDomain(s, at + 1, r) && !isCardLocalPart(s, l, at)) {
      out.push({ start: l, end: r, dataClass: 'pii.email' });
      at = s.indexOf('@', r);
    } else {
      at = s.indexOf('@', at + 1);
    }
  }
}
