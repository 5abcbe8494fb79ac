import { compareClasses } from '../classes.js';
import type { Span } from '../types.js';
import { detectEmails } from './email.js';
import { detectIbans } from './iban.js';
import { detectIpv6 } from './ipv6.js';
import { detectNumbers } from './numbers.js';
import { detectSecretPairs } from './pairs.js';
import { detectJwts, detectPrivateKeys, detectStorageKeys } from './secrets.js';

/**
 * Content detection entry point. One cheap loop over the text records which character
 * classes occur; only detectors that could possibly match then run. Most cells (ids, words,
 * timestamps, amounts) stop after that loop.
 */

const AT = 1;
const EQ = 2;
const DOT = 4;
const DASH = 8;
const UPPER = 16;
const LOWER_E = 32; // `e` of `eyJ`, the start of every JWT

const CLASS = new Uint8Array(128);
CLASS[64] = AT;
CLASS[61] = EQ;
CLASS[46] = DOT;
CLASS[45] = DASH;
CLASS[101] = LOWER_E;
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER;

// Shared empty answer for the common case; frozen so no caller can fill it by mistake.
const NONE = Object.freeze([]) as unknown as Span[];

/** Sensitive spans in `text`, sorted, overlaps merged into the most restrictive class. */
export function detect(text: string): Span[] {
  const n = text.length;
  if (n < 3) return NONE;
  let flags = 0;
  let digits = 0;
  let colons = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 58) colons++;
    else if (c < 128) flags |= CLASS[c];
  }
  const out: Span[] = [];
  // Secrets first: their values often look like numbers, emails or base64 noise.
  if (flags & DASH && n >= 40) detectPrivateKeys(text, out);
  if (flags & LOWER_E && flags & DOT && n >= 20) detectJwts(text, out);
  if (flags & EQ && n >= 88) detectStorageKeys(text, out);
  if (flags & EQ || colons > 0) detectSecretPairs(text, out);
  if (flags & AT) detectEmails(text, out);
  if (flags & UPPER && digits >= 2 && n >= 15) detectIbans(text, out);
  if (colons >= 2) detectIpv6(text, out);
  if (digits >= 8 || (digits >= 4 && flags & DOT)) detectNumbers(text, out);
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
