import type { Span } from '../types.js';
import { isAlnum, isDigit, isLetter } from './chars.js';
import type { Finding } from './span.js';

/**
 * IBAN length per country of the ISO 13616 registry. Codes outside it are not IBANs: a
 * generic 15–34 rule let two capitals glued to any long number pass mod 97 once in 97.
 */
const LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HN: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/**
 * Either case: an IBAN is printed in capitals, but `gb82west…` is the same account number
 * (mod 97 reads letters case-blind), and lowercasing it was a way past the scan.
 */
function isIbanChar(c: number): boolean {
  return isAlnum(c);
}

/** What matchAt reads of a text: a string, or one read backwards (ReversedText). */
interface Chars {
  readonly length: number;
  charCodeAt(i: number): number;
}

/** s[0, end) read right to left, without copying it. */
class ReversedText implements Chars {
  s = '';
  length = 0;
  charCodeAt(i: number): number {
    return i < this.length ? this.s.charCodeAt(this.length - 1 - i) : Number.NaN;
  }
}
const reversedText = new ReversedText();

/** ISO 13616 check: move the first four characters to the end, letters to 10..35, mod 97 == 1. */
function mod97IsOne(s: Chars, start: number, end: number, separator: number): boolean {
  let r = 0;
  const step = (c: number) => {
    if (c === separator) return;
    r = isDigit(c) ? (r * 10 + (c - 48)) % 97 : (r * 100 + ((c | 32) - 87)) % 97;
  };
  for (let i = start + 4; i < end; i++) step(s.charCodeAt(i));
  for (let i = start; i < start + 4; i++) step(s.charCodeAt(i));
  return r === 1;
}

/** A space prints groups of four; a dash, dot, underscore or slash between them is a disguise. */
function isGroupSeparator(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 95 || c === 47;
}

// The separator of the IBAN matched last, read by the caller.
let separator = 0;

/** End of an IBAN starting at `i` (country letters, check digits), or -1. */
function matchAt(s: Chars, i: number): number {
  const expected = LENGTHS[String.fromCharCode(s.charCodeAt(i) & ~32, s.charCodeAt(i + 1) & ~32)];
  if (expected === undefined) return -1;
  const limit = expected;
  let pos = i + 4;
  let count = 4;
  separator = isGroupSeparator(s.charCodeAt(pos)) ? s.charCodeAt(pos) : 0;
  if (separator !== 0) {
    // Printed form: groups of four joined by one kind of separator, the last possibly shorter.
    while (count < limit && s.charCodeAt(pos) === separator) {
      let len = 0;
      while (len < 4 && count < limit && isIbanChar(s.charCodeAt(pos + 1 + len))) len++;
      if (len === 0) break;
      pos += 1 + len;
      count += len;
      if (len < 4) break;
    }
  } else {
    while (count < limit && isIbanChar(s.charCodeAt(pos))) {
      pos++;
      count++;
    }
  }
  if (count !== expected) return -1;
  if (pos < s.length && isAlnum(s.charCodeAt(pos))) return -1;
  return mod97IsOne(s, i, pos, separator) ? pos : -1;
}

/** Whether two letters, in either case, are a country code of the registry. */
export function isIbanCountry(first: number, second: number): boolean {
  return LENGTHS[String.fromCharCode(first & ~32, second & ~32)] !== undefined;
}

/**
 * IBANs written backwards (`00031023504400407398ED`, `23 4567 8965 4321 TSEW 28BG`): a token
 * ending in two digits and two letters is read right to left as the printed form would be
 * (red-team round 44). Always masked whole.
 */
function detectReversedIbans(s: string, out: Span[]): void {
  for (let j = 4; j <= s.length; j++) {
    if (j < s.length && isAlnum(s.charCodeAt(j))) continue;
    if (!isLetter(s.charCodeAt(j - 1)) || !isLetter(s.charCodeAt(j - 2))) continue;
    if (!isDigit(s.charCodeAt(j - 3)) || !isDigit(s.charCodeAt(j - 4))) continue;
    // Most such endings are no country's code read backwards (a UUID's `...12ab-`).
    if (!isIbanCountry(s.charCodeAt(j - 1), s.charCodeAt(j - 2))) continue;
    reversedText.s = s;
    reversedText.length = j;
    const end = matchAt(reversedText, 0);
    if (end > 0) out.push({ start: j - end, end: j, dataClass: 'pii.iban', disguised: true } as Finding);
  }
}

export function detectIbans(s: string, out: Span[], reversed: boolean): void {
  if (reversed) detectReversedIbans(s, out);
  for (let i = 0; i + 15 <= s.length; i++) {
    if (!isLetter(s.charCodeAt(i)) || !isLetter(s.charCodeAt(i + 1))) continue;
    if (!isDigit(s.charCodeAt(i + 2)) || !isDigit(s.charCodeAt(i + 3))) continue;
    if (i > 0 && isAlnum(s.charCodeAt(i - 1))) continue;
    const end = matchAt(s, i);
    if (end > 0) {
      const disguised = separator !== 0 && separator !== 32;
      const finding: Finding = disguised
        ? { start: i, end, dataClass: 'pii.iban', disguised }
        : { start: i, end, dataClass: 'pii.iban' };
      out.push(finding);
      i = end - 1;
    }
  }
}
