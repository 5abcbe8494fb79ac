import { compareClasses } from '../classes.js';
import type { Span } from '../types.js';
import { detectEmails } from './email.js';
import { detectIbans } from './iban.js';
import { detectIpv6 } from './ipv6.js';
import { detectNumbers } from './numbers.js';
import { detectSecretPairs } from './pairs.js';
import { detectJwts, detectPrivateKeys, detectStorageKeys } from './secrets.js';
import { detectUrlCredentials } from './url.js';

/**
 * Content detection entry point. One cheap loop over the text records which detectors could
 * possibly match; only those then run. Most cells (ids, words, timestamps, amounts) stop
 * after that loop.
 */

// Bits recorded by the pre-scan; each one is a necessary condition for some detector.
const AT = 1; // an email, or a URL with a password
const EQ = 2; // a storage key or a `key=value` secret
const NUMBER = 4; // 9+ digits (8 after `+`) in one loosely separated run, or a dotted quad
const PAIR = 8; // `=` or `:` right after a letter that ends a secret key name, or a quote
const IBAN = 16; // two capitals followed by a digit
const JWT = 32; // `eyJ`
const IPV6 = 64; // `::`, or 7+ colons
const DASH = 128; // a PEM armour line

// Per UTF-16 code unit: what the pre-scan does with it. A full-range table costs 64 KiB once
// and spares the hot loop a range check; everything not listed only ends a digit run.
const PLAIN = 0;
const DIGIT = 1;
const SEP = 2; // may sit inside a number (space - . ( ) +)
const MARK = 3; // `:` `=` `@` `J`: looked at together with the characters before it
const KIND = new Uint8Array(65536);
for (let c = 48; c <= 57; c++) KIND[c] = DIGIT;
for (const ch of ' -.()+') KIND[ch.charCodeAt(0)] = SEP;
for (const ch of ':=@J') KIND[ch.charCodeAt(0)] = MARK;

// Last letter of a secret key name (d t n y e g), or a quote closing a quoted key.
const KEY_END = new Uint8Array(65536);
for (const ch of 'dtnyegDTNYEG"\'') KEY_END[ch.charCodeAt(0)] = 1;

function isUpperAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 65 && c <= 90;
}

// Shared empty answer for the common case; frozen so no caller can fill it by mistake.
const NONE = Object.freeze([]) as unknown as Span[];

/** Where the first run of digits that could hold a number shape starts (set by `hints`). */
let numberFrom = 0;

/**
 * One loop over the text: which detectors could possibly match. A run of digits and
 * separators is consumed by an inner loop and judged once at its end; look-behind happens
 * only at the rare characters that need it. The number test may say yes too often (a
 * trailing dot counts), never too rarely: the number detector has the last word.
 */
function hints(text: string): number {
  const n = text.length;
  let found = 0;
  let colons = 0;
  let dots = 0;
  let plus = false;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    let kind = KIND[c];
    if (kind === PLAIN) {
      dots = 0;
      plus = false;
      continue;
    }
    if (kind === DIGIT) {
      const runStart = i;
      // Only the digit that starts a run can follow a letter.
      if (i >= 2 && isUpperAt(text, i - 1) && isUpperAt(text, i - 2)) found |= IBAN;
      let digits = 0;
      for (; i < n; i++) {
        c = text.charCodeAt(i);
        kind = KIND[c];
        if (kind === DIGIT) digits++;
        else if (kind !== SEP) break;
        else if (c === 46) dots++;
        else if (c === 45) found |= DASH;
        else if (c === 43) plus = true;
      }
      if ((found & NUMBER) === 0 && (digits >= 9 || (digits >= 8 && plus) || (dots >= 3 && digits >= 4))) {
        found |= NUMBER;
        numberFrom = runStart;
      }
      dots = 0;
      plus = false;
      if (i >= n) break;
      if (kind === PLAIN) continue;
    }
    if (kind === SEP) {
      if (c === 46) dots++;
      else if (c === 45) found |= DASH;
      else if (c === 43) plus = true;
      continue;
    }
    dots = 0;
    plus = false;
    if (c === 58) {
      colons++;
      if (i > 0 && text.charCodeAt(i - 1) === 58) found |= IPV6;
      if (i > 0 && KEY_END[text.charCodeAt(i - 1)] === 1) found |= PAIR;
    } else if (c === 61) {
      found |= EQ;
      if (i > 0 && KEY_END[text.charCodeAt(i - 1)] === 1) found |= PAIR;
    } else if (c === 64) {
      found |= AT;
    } else if (i >= 2 && text.charCodeAt(i - 1) === 121 && text.charCodeAt(i - 2) === 101) {
      found |= JWT;
    }
  }
  return colons >= 7 ? found | IPV6 : found;
}

/** Sensitive spans in `text`, sorted, overlaps merged into the most restrictive class. */
export function detect(text: string): Span[] {
  const n = text.length;
  if (n < 3) return NONE;
  const found = hints(text);
  if (found === 0 || (found === DASH && n < 40)) return NONE;
  const out: Span[] = [];
  // Secrets first: their values often look like numbers, emails or base64 noise.
  if (found & DASH && n >= 40) detectPrivateKeys(text, out);
  if (found & JWT) detectJwts(text, out);
  if (found & EQ && n >= 88) detectStorageKeys(text, out);
  if (found & PAIR) detectSecretPairs(text, out);
  if (found & AT) detectEmails(text, out, detectUrlCredentials(text, out));
  if (found & IBAN && n >= 15) detectIbans(text, out);
  if (found & NUMBER) detectNumbers(text, numberFrom, out);
  if (found & IPV6) detectIpv6(text, out);
  return out.length === 0 ? NONE : merge(out);
}

function merge(spans: Span[]): Span[] {
  if (spans.length === 1) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  let cur = { ...spans[0] };
  for (let i = 1; i < spans.length; i++) {
    const s = spans[i];
    if (s.start < cur.end) {
      if (s.end > cur.end) cur.end = s.end;
      if (compareClasses(s.dataClass, cur.dataClass) < 0) cur.dataClass = s.dataClass;
    } else {
      merged.push(cur);
      cur = { ...s };
    }
  }
  merged.push(cur);
  return merged;
}
