import type { Span } from '../types.js';
import { firstFourDigits, luhnValid, plausibleIssuer } from './card.js';
import { isAlnum, isDigit } from './chars.js';

// Per code unit: may it sit in a local part (the common subset of RFC 5322 atoms), in a domain?
// One table read per character instead of a chain of range tests.
const LOCAL = 1;
const DOMAIN = 2;
const EMAIL_CHAR = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  if (isAlnum(c)) EMAIL_CHAR[c] = LOCAL | DOMAIN;
}
for (const ch of '._%+') EMAIL_CHAR[ch.charCodeAt(0)] |= LOCAL;
EMAIL_CHAR[46] |= DOMAIN;
EMAIL_CHAR[45] = LOCAL | DOMAIN;

function isLetter(c: number): boolean {
  const lower = c | 32;
  return lower >= 97 && lower <= 122;
}

/**
 * End of the domain that starts at `from`, or -1 when it is not one: labels separated by
 * single dots, no label edged by `-`, an alphabetic TLD of 2+ letters. Trailing dots and
 * dashes (end of a sentence) are not part of it. Read once, left to right.
 */
function domainEnd(s: string, from: number): number {
  const n = s.length;
  let r = from;
  while (r < n && (EMAIL_CHAR[s.charCodeAt(r)] & DOMAIN) !== 0) r++;
  while (r > from) {
    const c = s.charCodeAt(r - 1);
    if (c !== 46 && c !== 45) break;
    r--;
  }
  if (r === from) return -1;
  // One read per character: the previous one is carried along instead of read again.
  let prev = 46;
  let dots = 0;
  let tldStart = from;
  let tldLetters = true;
  for (let i = from; i < r; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (prev === 46 || prev === 45) return -1;
      dots++;
      tldStart = i + 1;
      tldLetters = true;
    } else {
      if (c === 45 && prev === 46) return -1;
      if (!isLetter(c)) tldLetters = false;
    }
    prev = c;
  }
  return dots > 0 && tldLetters && r - tldStart >= 2 ? r : -1;
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
    while (l > 0 && (EMAIL_CHAR[s.charCodeAt(l - 1)] & LOCAL) !== 0) l--;
    while (l < at && s.charCodeAt(l) === 46) l++;
    const r = l < at ? domainEnd(s, at + 1) : -1;
    if (r !== -1 && !isCardLocalPart(s, l, at)) {
      out.push({ start: l, end: r, dataClass: 'pii.email' });
      at = s.indexOf('@', r);
    } else {
      at = s.indexOf('@', at + 1);
    }
  }
}
