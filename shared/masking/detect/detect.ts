import { compareClasses } from '../classes.js';
import type { Span } from '../types.js';
import { detectEmails } from './email.js';
import { detectIbans } from './iban.js';
import { detectIpv6 } from './ipv6.js';
import { detectNumbers } from './numbers.js';
import { detectSecretPairs } from './pairs.js';
import { detectJwts, detectPrivateKeys, detectStorageKeys } from './secrets.js';

/**
 * Content detection entry point. One cheap loop over the text records which detectors could
 * possibly match; only those then run. Most cells (ids, words, timestamps, amounts) stop
 * after that loop.
 */

// Bits recorded by the pre-scan; each one is a necessary condition for some detector.
const AT = 1; // an email
const EQ = 2; // a storage key or a `key=value` secret
const NUMBER = 4; // 9+ digits (8 after `+`) in one loosely separated run, or a dotted quad
const PAIR = 8; // `=` or `:` right after a letter that ends a secret key name, or a quote
const IBAN = 16; // two capitals followed by a digit
const JWT = 32; // `eyJ`
const IPV6 = 64; // `::`, or 7+ colons
const DASH = 128; // a PEM armour line

// Per ASCII code: how the pre-scan treats it.
const SEP = 1; // may sit inside a number (space - . ( ) +)
const KEY_END = 2; // last letter of a secret key name (d t n y e g), or a quote
const UP = 4;
const KIND = new Uint8Array(128);
for (const ch of ' -.()+') KIND[ch.charCodeAt(0)] |= SEP;
for (const ch of 'dtnyegDTNYEG"\'') KIND[ch.charCodeAt(0)] |= KEY_END;
for (let c = 65; c <= 90; c++) KIND[c] |= UP;

// Shared empty answer for the common case; frozen so no caller can fill it by mistake.
const NONE = Object.freeze([]) as unknown as Span[];

/** Where the first run of digits that could hold a number shape starts (set by `hints`). */
let numberFrom = 0;

/** One loop over the text: which detectors could possibly match. */
function hints(text: string): number {
  let found = 0;
  let runStart = 0;
  let colons = 0;
  let run = 0;
  let runDots = 0;
  let runPlus = false;
  let p1 = 0;
  let p2 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (run++ === 0) runStart = i;
      if ((found & NUMBER) === 0 && (run >= 9 || (run === 8 && runPlus) || (runDots >= 3 && run >= 4))) {
        found |= NUMBER;
        numberFrom = runStart;
      }
      if (p1 < 128 && p2 < 128 && KIND[p1] & KIND[p2] & UP) found |= IBAN;
    } else if (c < 128) {
      const kind = KIND[c];
      if (kind & SEP) {
        if (c === 46) runDots++;
        else if (c === 45) found |= DASH;
        else if (c === 43) runPlus = true;
      } else {
        run = 0;
        runDots = 0;
        runPlus = false;
        if (c === 58 || c === 61) {
          if (c === 58) {
            colons++;
            if (p1 === 58) found |= IPV6;
          } else found |= EQ;
          if (p1 < 128 && KIND[p1] & KEY_END) found |= PAIR;
        } else if (c === 64) found |= AT;
        else if (c === 74 && p1 === 121 && p2 === 101) found |= JWT;
      }
    } else {
      run = 0;
      runDots = 0;
      runPlus = false;
    }
    p2 = p1;
    p1 = c;
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
  if (found & AT) detectEmails(text, out);
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
