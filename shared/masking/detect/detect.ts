import { compareClasses } from '../classes.js';
import type { Span } from '../types.js';
import { detectEmails } from './email.js';
import { detectIbans } from './iban.js';
import { detectIpv6 } from './ipv6.js';
import { detectNumbers } from './numbers.js';
import { detectSecretPairs } from './pairs.js';
import { AT, DASH, EQ, IBAN, IPV6, JWT, NUMBER, numberRuns, PAIR, prescan, SCHEME } from './prescan.js';
import { detectJwts, detectPrivateKeys, detectStorageKeys } from './secrets.js';
import { detectUrlCredentials } from './url.js';

/**
 * Content detection entry point. One cheap loop over the text records which detectors could
 * possibly match; only those then run. Most cells (ids, words, timestamps, amounts) stop
 * after that loop.
 */

// Shared empty answer for the common case; frozen so no caller can fill it by mistake.
const NONE = Object.freeze([]) as unknown as Span[];

/** Sensitive spans in `text`, sorted, overlaps merged into the most restrictive class. */
export function detect(text: string): Span[] {
  const n = text.length;
  if (n < 3) return NONE;
  const found = prescan(text);
  if (found === 0 || (found === DASH && n < 40)) return NONE;
  const out: Span[] = [];
  // Secrets first: their values often look like numbers, emails or base64 noise.
  if (found & DASH && n >= 40) detectPrivateKeys(text, out);
  if (found & JWT) detectJwts(text, out);
  if (found & EQ && n >= 88) detectStorageKeys(text, out);
  if (found & PAIR) detectSecretPairs(text, out);
  if (found & AT) {
    // A password's closing `@` is not an address: URLs go first and tell the email detector.
    detectEmails(text, out, found & SCHEME ? detectUrlCredentials(text, out) : undefined);
  }
  if (found & IBAN && n >= 15) detectIbans(text, out);
  if (found & NUMBER) detectNumbers(text, numberRuns, out);
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
