import type { Span } from '../types.js';
import { firstFourDigits, luhnValid, paddedCard, plausibleIssuer, reversedCard } from './card.js';
import { digitAt, isAlnum, isDigit, isHex } from './chars.js';
import { saysPhone, saysSsn, saysVersion } from './context.js';
import type { NumberRuns } from './prescan.js';
import { coveredBy, type Finding, SpanIndex } from './span.js';

/**
 * Payment cards, US SSNs, phone numbers and IPv4 addresses in one pass: the text is cut into
 * runs of digit groups joined by single separators, and each run is matched window by window
 * against the shapes below. Text without such runs costs one character loop and nothing more.
 */

const SPACE = 1;
const DASH = 2;
const DOT = 3;
const PAREN = 4; // `)`
const PAREN_SPACE = 5; // `) `
const SPACE_PAREN = 6; // ` (`
const PAREN_DASH = 7; // `)-`
// Separators no printed number uses between its groups, only a disguise (or a list).
const UNDERSCORE = 8;
const SLASH = 9;
const COMMA = 10;

/** One character between two digits, as in `4 1 1 1`, `4111.1111`, `4_1_1_1`, `4,1,1,1`. */
function isSingleSep(code: number): boolean {
  return code === SPACE || code === DASH || code === DOT || code >= UNDERSCORE;
}

// Scratch buffers reused across calls: detection is synchronous, so no call can interleave.
// A run longer than this is cut; no shape spans more than a handful of groups.
const MAX_GROUPS = 32;
const gs = new Int32Array(MAX_GROUPS);
const ge = new Int32Array(MAX_GROUPS);
const sep = new Int32Array(MAX_GROUPS);

/** Code unit at i, or -1 past either end (keeps reads in bounds for the optimiser). */
function at(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : -1;
}

/** Separator at j as (code << 2) | length when a digit follows it, else 0. */
function readSep(s: string, j: number): number {
  const c1 = at(s, j + 1);
  switch (at(s, j)) {
    case 32:
      if (isDigit(c1)) return (SPACE << 2) | 1;
      return c1 === 40 && isDigit(at(s, j + 2)) ? (SPACE_PAREN << 2) | 2 : 0;
    case 45:
      return isDigit(c1) ? (DASH << 2) | 1 : 0;
    case 46:
      return isDigit(c1) ? (DOT << 2) | 1 : 0;
    case 95:
      return isDigit(c1) ? (UNDERSCORE << 2) | 1 : 0;
    case 47:
      return isDigit(c1) ? (SLASH << 2) | 1 : 0;
    case 44:
      return isDigit(c1) ? (COMMA << 2) | 1 : 0;
    case 41:
      if (isDigit(c1)) return (PAREN << 2) | 1;
      if (!isDigit(at(s, j + 2))) return 0;
      return c1 === 32 ? (PAREN_SPACE << 2) | 2 : c1 === 45 ? (PAREN_DASH << 2) | 2 : 0;
    default:
      return 0;
  }
}

function len(k: number): number {
  return ge[k] - gs[k];
}

function num(s: string, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) v = v * 10 + digitAt(s, i);
  return v;
}

// The maximal hex token last measured: digits of one long token are asked about many times.
let hexText: string | undefined;
let hexStart = 0;
let hexEnd = 0;
let hexAll = false;

function isHexOrDash(c: number): boolean {
  return isHex(c) || c === 45;
}

/** UUIDs and hex digests contain digit runs that pass Luhn by chance; their digits are not cards. */
function insideHexToken(s: string, start: number, end: number): boolean {
  // A span holding a separator other than `-` cannot sit inside a hex token.
  for (let i = start; i < end; i++) if (!isHexOrDash(s.charCodeAt(i))) return false;
  if (hexText !== s || start < hexStart || end > hexEnd) {
    let l = start;
    while (l > 0 && (isAlnum(s.charCodeAt(l - 1)) || s.charCodeAt(l - 1) === 45)) l--;
    let r = end;
    while (r < s.length && (isAlnum(s.charCodeAt(r)) || s.charCodeAt(r) === 45)) r++;
    let all = true;
    for (let i = l; i < r && all; i++) all = isHexOrDash(s.charCodeAt(i));
    hexText = s;
    hexStart = l;
    hexEnd = r;
    hexAll = all;
  }
  return hexAll && hexEnd - hexStart >= 32;
}

/**
 * Either end of a spaced shape may belong to a UUID or digest the rest does not: in
 * `0.01 00000000-0000-1000-...` the `01 00000000` is an amount and a UUID, not a phone.
 */
function endsInHexToken(s: string, start: number, end: number): boolean {
  let firstEnd = start;
  while (firstEnd < end && isHexOrDash(s.charCodeAt(firstEnd))) firstEnd++;
  let lastStart = end;
  while (lastStart > start && isHexOrDash(s.charCodeAt(lastStart - 1))) lastStart--;
  return (
    (firstEnd > start && insideHexToken(s, start, firstEnd)) ||
    (lastStart < end && insideHexToken(s, lastStart, end))
  );
}

// Findings of the detectors that ran before this one, and where this run's own findings begin
// in `out`; set per call. Findings of earlier runs end before the current run starts.
let prior: SpanIndex | undefined;
let runBase = 0;
// Set while a run of single digits is matched.
let spacedOut = false;

/** s[start, end) is already covered by what was found: nothing to add. */
function conflicts(out: Span[], start: number, end: number): boolean {
  return (prior?.covers(start, end) ?? false) || coveredBy(out, start, end, runBase);
}

/**
 * Cards come first (Luhn is the strongest evidence); every shape skips what earlier findings
 * already cover. A weaker shape that only overlaps one is kept, and the two are masked as one:
 * it used to give way, and `+1-586-555-0199 5555 5510 0114 6646`, whose middle groups read as
 * a card, went out with `+1-586-555-` in clear (red-team round 43).
 */
function emit(
  s: string,
  start: number,
  end: number,
  dataClass: string,
  out: Span[],
  disguised = false,
): boolean {
  if (conflicts(out, start, end)) return dataClass === 'pci.pan';
  // Weaker shapes must stand alone: `9e01 10000000` is a hex tail and an amount, not a phone.
  if (dataClass !== 'pci.pan' && (isAlnum(at(s, start - 1)) || isAlnum(at(s, end)))) return false;
  // Groups that run into a decimal point are numbers in a list, the last one an amount
  // (`101 46 1357.30`, `3943,10000,1468.76`: red-team round 12), not one grouped number. Not
  // where dashes or a `+` join them: no amount is written so, and `212-555-0100,7` (a CSV line's
  // phone, then its next field) went out in clear (red-team round 43).
  if (dataClass !== 'pii.ip' && intoDecimal(s, start, end) && !dashJoined(s, start, end)) return false;
  // Digits spaced out one by one (`6-5-0-...`) are no UUID or digest, dashes or not.
  if (dataClass === 'pci.pan' && !spacedOut && insideHexToken(s, start, end)) return false;
  if (dataClass !== 'pci.pan' && dataClass !== 'pii.ip' && endsInHexToken(s, start, end)) return false;
  const finding: Finding = disguised ? { start, end, dataClass, disguised } : { start, end, dataClass };
  out.push(finding);
  return true;
}

/** s[start, end) starts with `+` or holds a dash or a parenthesis: a phone's or an SSN's print. */
function dashJoined(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 45 || c === 43 || c === 40 || c === 41) return true;
  }
  return false;
}

/**
 * A separated span whose last group is the integer part of a decimal (`, 1357.30`) or of an
 * amount grouped in thousands (`724,000.00`). Any other comma after a span with no comma in it
 * parts fields, as in a CSV line: `4111 1111 1111 1111,50` (a card, then an amount) and
 * `586.555.0199,42` went out in clear (red-team round 43).
 */
function intoDecimal(s: string, start: number, end: number): boolean {
  const next = at(s, end);
  if ((next !== 46 && next !== 44) || !isDigit(at(s, end + 1))) return false;
  let separated = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 44) return true;
    if (!isDigit(c)) separated = true;
  }
  // `724,000.00`: a comma before three digits groups an amount's thousands, after one to three
  // (`1111,500` is a card's last group, then a field).
  let last = 0;
  while (last < 4 && isDigit(at(s, end - last - 1))) last++;
  const thousands =
    last <= 3 && isDigit(at(s, end + 2)) && isDigit(at(s, end + 3)) && !isDigit(at(s, end + 4));
  return separated && (next === 46 || thousands);
}

/**
 * The 13 to 17 digits after the point of a double printed as text (`430.52875995635986`, as
 * JSON and logs print them): one in ten read as a Luhn-valid card, and a float in a JSON
 * column was masked (red-team round 44). Not with an exponent: `4.111111111111111e15` is a
 * card written as a number.
 */
function floatFraction(s: string, a: number, g: number): boolean {
  if (a === 0 || sep[a - 1] !== DOT || len(a - 1) > 6 || len(a) < 13 || len(a) > 17) return false;
  if ((a >= 2 && sep[a - 2] === DOT) || (a + 1 < g && sep[a] === DOT)) return false;
  return (at(s, ge[a]) | 32) !== 101 && !isDigit(at(s, gs[a - 1] - 1));
}

/**
 * 13–19 digits, ungrouped or grouped the way cards are printed (4-4-4-4, 4-6-5, 4-4-4-4-3):
 * a first group of 4, middle groups of 4–6, a last group of at most 6, one kind of separator.
 */
function matchCard(s: string, a: number, g: number, out: Span[]): number {
  if (floatFraction(s, a, g)) return -1;
  const sp = a + 1 < g ? sep[a] : 0;
  // Dots, underscores, slashes and commas between groups of four are a disguise, not print.
  const grouped = isSingleSep(sp) && len(a) === 4;
  const odd = grouped && sp !== SPACE && sp !== DASH;
  let total = 0;
  let best = -1;
  let reversed = false;
  for (let b = a; b < g; b++) {
    total += len(b);
    if (total > 19) break;
    // Printed groupings end in a short group: `6120 4722178245622` is a number and a card.
    const ends = b === a || len(b) <= 6;
    // A last group that is an amount's integer part (`6719 724,000.00`) is not the card's: a
    // shorter reading may still be one, where emit would refuse the longer one whole.
    if (total >= 13 && ends && !(b > a && intoDecimal(s, gs[a], ge[b]))) {
      const forward = plausibleIssuer(firstFourDigits(s, gs[a], ge[b]));
      if (forward && luhnValid(s, gs[a], ge[b])) {
        best = b;
        reversed = false;
      } else if (reversedCard(s, gs[a], ge[b], total)) {
        // Written backwards, a card ends in its issuer. Whatever it starts with: a reversal
        // that starts like a card (its check digit 2 to 6, half of all cards) was once taken
        // for a mistyped card and released (red-team round 41).
        best = b;
        reversed = true;
      }
    }
    if (!grouped || b + 1 >= g || sep[b] !== sp || (b > a && (len(b) < 4 || len(b) > 6))) break;
  }
  if (best < 0) return -1;
  const disguised = reversed || (best > a && odd);
  return emit(s, gs[a], ge[best], 'pci.pan', out, disguised) ? best : -1;
}

/** One group of digits that is a card with zeros in front (card.ts `paddedCard`): masked whole. */
function matchPadded(s: string, a: number, out: Span[]): number {
  return paddedCard(s, gs[a], ge[a]) && emit(s, gs[a], ge[a], 'pci.pan', out, true) ? a : -1;
}

/** Nine digits of s from `i` in the ranges the SSA issues (area not 000, 666 or 9xx; no zero part). */
export function ssnDigits(s: string, i: number): boolean {
  const area = num(s, i, i + 3);
  if (area === 0 || area === 666 || area >= 900) return false;
  return num(s, i + 3, i + 5) !== 0 && num(s, i + 5, i + 9) !== 0;
}

/**
 * AAA-GG-SSSS with dashes or spaces; with dots, underscores or slashes only where the text
 * just before says SSN. Ranges the SSA never issues are excluded.
 */
function matchSsn(s: string, a: number, g: number, out: Span[]): number {
  if (a + 2 >= g || len(a) !== 3 || len(a + 1) !== 2 || len(a + 2) !== 4) return -1;
  const sp = sep[a];
  if (sep[a + 1] !== sp) return -1;
  if ((a > 0 && sep[a - 1] === sp) || (a + 3 < g && sep[a + 2] === sp)) return -1;
  const printed = sp === DASH || sp === SPACE;
  if (!printed && !((sp === DOT || sp === UNDERSCORE || sp === SLASH) && saysSsn(s, gs[a]))) return -1;
  const area = num(s, gs[a], ge[a]);
  if (area === 0 || area === 666 || area >= 900) return -1;
  if (num(s, gs[a + 1], ge[a + 1]) === 0 || num(s, gs[a + 2], ge[a + 2]) === 0) return -1;
  return emit(s, gs[a], ge[a + 2], 'pii.ssn', out, !printed) ? a + 2 : -1;
}

/** Ten digits of s from `i` that the North American numbering plan can dial: NXX NXX XXXX, no N11. */
export function nanpDigits(s: string, i: number): boolean {
  if (digitAt(s, i) < 2 || digitAt(s, i + 3) < 2) return false;
  return !ones(s, i + 1) && !ones(s, i + 4);
}

/** `11` at `k`: with the digit before it, an N11 service code (411, 911), never an area or exchange. */
function ones(s: string, k: number): boolean {
  return digitAt(s, k) === 1 && digitAt(s, k + 1) === 1;
}

/** A space or a comma: what lists put between numbers. */
function isListSep(code: number): boolean {
  return code === SPACE || code === COMMA;
}

/** A group of digits with nothing but spaces or commas joining it to its neighbours. */
function standsAlone(a: number, g: number): boolean {
  return (a === 0 || isListSep(sep[a - 1])) && (a + 1 >= g || isListSep(sep[a]));
}

/** Bare `123456789` after `SSN`, bare `4155550132` or `14155550132` after `phone`, `call` or `tel`. */
function matchBare(s: string, a: number, g: number, out: Span[]): number {
  const l = len(a);
  const start = gs[a];
  if (!standsAlone(a, g)) return -1;
  if (l === 9) {
    return ssnDigits(s, start) && saysSsn(s, start) && emit(s, start, ge[a], 'pii.ssn', out) ? a : -1;
  }
  const from = l === 11 && digitAt(s, start) === 1 ? start + 1 : start;
  if (l !== 10 && from === start) return -1;
  return nanpDigits(s, from) && saysPhone(s, start) && emit(s, start, ge[a], 'pii.phone', out) ? a : -1;
}

// The digits of a run spaced out one by one, gathered so the validators can read them.
let spacedDigits = '';

/**
 * A digit between every separator (`4 1 1 1 ...`, `4-1-1-1`, `4.1.1.1`, `4_1_1_1`, `4,1,...`):
 * a card when the digits pass Luhn forwards or backwards, an SSN or a phone number when
 * their rules hold and the text before says so. Only whole runs count: a window inside a
 * long list of single digits passes Luhn by chance too often.
 */
function matchSpaced(s: string, a: number, b: number, out: Span[]): boolean {
  spacedOut = true;
  const found = matchSpacedDigits(s, a, b, out);
  spacedOut = false;
  return found;
}

function matchSpacedDigits(s: string, a: number, b: number, out: Span[]): boolean {
  spacedDigits = '';
  for (let k = a; k <= b; k++) spacedDigits += s[gs[k]];
  const d = spacedDigits;
  const m = b - a + 1;
  const start = gs[a];
  const end = ge[b];
  if (m >= 13 && m <= 19) {
    const card =
      (plausibleIssuer(firstFourDigits(d, 0, m)) && luhnValid(d, 0, m)) || reversedCard(d, 0, m, m);
    return card && emit(s, start, end, 'pci.pan', out, true);
  }
  if (m === 9) return ssnDigits(d, 0) && saysSsn(s, start) && emit(s, start, end, 'pii.ssn', out, true);
  const from = m === 11 && d.charCodeAt(0) === 49 ? 1 : 0;
  if (m !== 10 && from === 0) return false;
  return nanpDigits(d, from) && saysPhone(s, start) && emit(s, start, end, 'pii.phone', out, true);
}

/**
 * Finds each maximal run of single digits joined by one and the same separator and matches
 * it. A digit at either end joined to its other neighbour by another separator, or glued to
 * letters, may belong to that number or word: in `v1.0.0 4 1 1 ... 1 0.50` the first `0` is
 * the version's and the last the amount's, so the run is tried without them first.
 */
function spacedRuns(s: string, g: number, out: Span[]): void {
  for (let a = 0; a < g; a++) {
    if (len(a) !== 1 || a + 1 >= g || len(a + 1) !== 1 || !isSingleSep(sep[a])) continue;
    const sp = sep[a];
    let b = a + 1;
    while (b + 1 < g && len(b + 1) === 1 && sep[b] === sp) b++;
    const from = (a > 0 && sep[a - 1] !== sp) || isAlnum(at(s, gs[a] - 1)) ? a + 1 : a;
    const to = (b + 1 < g && sep[b] !== sp) || isAlnum(at(s, ge[b])) ? b - 1 : b;
    let found = to - from >= 8 && matchSpaced(s, from, to, out);
    if (!found && to < b && b - from >= 8) found = matchSpaced(s, from, b, out);
    if (!found && from > a && to - a >= 8) found = matchSpaced(s, a, to, out);
    if (!found && (from > a || to < b) && b - a >= 8) matchSpaced(s, a, b, out);
    // The last digit may start a run with another separator.
    a = b - 1;
  }
}

/** `+` and 8–15 digits in any grouping (E.164). */
function matchInternational(s: string, a: number, g: number, out: Span[]): number {
  if (a !== 0 || at(s, gs[0] - 1) !== 43 || s.charCodeAt(gs[0]) === 48) return -1;
  // It must not take the first digits of the value after it as its own: `+1-586-555-0199,
  // 748-93-8418` was masked to its last two digits, `48`, and the SSN went out but its first
  // digit (red-team round 43). Country code 1 is the North American plan, 11 digits; a comma,
  // slash or underscore, or a space after dashes, ends the number; an SSN's groups are not one's.
  const most = digitAt(s, gs[0]) === 1 ? 11 : 15;
  let total = 0;
  let best = -1;
  let dashed = false;
  for (let b = 0; b < g; b++) {
    if (b > 0 && !phoneSep(sep[b - 1], dashed)) break;
    if (b > 0 && sep[b - 1] === DASH) dashed = true;
    if (b > 0 && b + 2 < g && len(b) === 3 && len(b + 1) === 2 && len(b + 2) === 4) break;
    total += len(b);
    if (total > most) break;
    if (total >= 8) best = b;
  }
  return best >= 0 && emit(s, gs[0] - 1, ge[best], 'pii.phone', out) ? best : -1;
}

/** A separator inside an international number: a space (not after dashes), a dash, a dot, a parenthesis. */
function phoneSep(code: number, dashed: boolean): boolean {
  if (code === SPACE) return !dashed;
  return (
    code === DASH ||
    code === DOT ||
    code === PAREN ||
    code === PAREN_SPACE ||
    code === SPACE_PAREN ||
    code === PAREN_DASH
  );
}

/**
 * North American `(415) 555-0132`, `415-555-0132`, `415.555.0132`, `415 555 0132`, `415 555-0132`,
 * the disguised `415_555_0132` and `415/555/0132`, and `(415)5550132` or `415-5550132` with the
 * last seven together (red-team round 36).
 */
function matchNanp(s: string, a: number, g: number, out: Span[]): number {
  if (a + 1 < g && len(a) === 3 && len(a + 1) === 7) return matchNanpSeven(s, a, g, out);
  if (a + 2 >= g || len(a) !== 3 || len(a + 1) !== 3 || len(a + 2) !== 4) return -1;
  if (digitAt(s, gs[a]) < 2 || digitAt(s, gs[a + 1]) < 2) return -1;
  const paren = at(s, gs[a] - 1) === 40;
  const s1 = sep[a];
  const s2 = sep[a + 1];
  const ok = paren
    ? (s1 === PAREN || s1 === PAREN_SPACE || s1 === PAREN_DASH) && (s2 === DASH || s2 === SPACE || s2 === DOT)
    : (s1 === s2 && (s1 === DASH || s1 === DOT || s1 === SPACE || s1 === UNDERSCORE || s1 === SLASH)) ||
      (s1 === SPACE && s2 === DASH);
  if (!ok) return -1;
  const disguised = s1 === UNDERSCORE || s1 === SLASH;
  return emit(s, paren ? gs[a] - 1 : gs[a], ge[a + 2], 'pii.phone', out, disguised) ? a + 2 : -1;
}

/** `(415)5550132`, `415-5550132`, `415 5550132`: an area code, then the number in one group. */
function matchNanpSeven(s: string, a: number, g: number, out: Span[]): number {
  if (digitAt(s, gs[a]) < 2 || digitAt(s, gs[a + 1]) < 2) return -1;
  const paren = at(s, gs[a] - 1) === 40;
  const s1 = sep[a];
  const ok = paren ? s1 === PAREN || s1 === PAREN_SPACE || s1 === PAREN_DASH : s1 === DASH || s1 === SPACE;
  if (!ok) return -1;
  // Another long group after it is an id's (`814-2729890-6218844`, an order number: 8 in 10
  // of them read as a phone, red-team round 44).
  if (!paren && a + 2 < g && sep[a + 1] === s1 && len(a + 2) >= 4) return -1;
  return emit(s, paren ? gs[a] - 1 : gs[a], ge[a + 1], 'pii.phone', out) ? a + 1 : -1;
}

/** National numbers with a trunk 0: `020 7946 0958`, `(0161) 496 0000`, `06 12 34 56 78`. */
function matchTrunk(s: string, a: number, g: number, out: Span[]): number {
  if (digitAt(s, gs[a]) !== 0 || len(a) < 2 || len(a) > 5 || digitAt(s, gs[a] + 1) === 0) return -1;
  const paren = at(s, gs[a] - 1) === 40;
  const start = paren ? gs[a] - 1 : gs[a];
  if (!paren && len(a) === 2 && a + 4 < g) {
    const sp = sep[a];
    let pairs = sp === SPACE || sp === DOT || sp === DASH;
    for (let k = a + 1; pairs && k <= a + 4; k++) pairs = len(k) === 2 && (k === a + 4 || sep[k] === sp);
    if (pairs && emit(s, start, ge[a + 4], 'pii.phone', out)) return a + 4;
  }
  let total = len(a);
  let best = -1;
  let sp = 0;
  for (let b = a + 1; b < g && b <= a + 3; b++) {
    const s0 = sep[b - 1];
    if (b === a + 1 && paren) {
      if (s0 !== PAREN && s0 !== PAREN_SPACE && s0 !== PAREN_DASH) break;
    } else {
      if (s0 !== SPACE && s0 !== DASH) break;
      if (sp === 0) sp = s0;
      else if (s0 !== sp) break;
    }
    if (len(b) < 3 || len(b) > 8) break;
    total += len(b);
    if (total > 11) break;
    if (total >= 10) best = b;
  }
  return best >= 0 && emit(s, start, ge[best], 'pii.phone', out) ? best : -1;
}

function octet(s: string, k: number): boolean {
  const l = len(k);
  if (l > 3 || (l > 1 && digitAt(s, gs[k]) === 0)) return false;
  return num(s, gs[k], ge[k]) <= 255;
}

/** Dotted quad with octets 0–255, no leading zeros, not part of a longer dotted number. */
function matchIpv4(s: string, a: number, g: number, out: Span[]): number {
  if (a + 3 >= g || sep[a] !== DOT || sep[a + 1] !== DOT || sep[a + 2] !== DOT) return -1;
  if ((a > 0 && sep[a - 1] === DOT) || (a + 4 < g && sep[a + 3] === DOT)) return -1;
  for (let k = a; k <= a + 3; k++) if (!octet(s, k)) return -1;
  if (saysVersion(s, gs[a])) return -1;
  return emit(s, gs[a], ge[a + 3], 'pii.ip', out) ? a + 3 : -1;
}

function analyseRun(s: string, g: number, total: number, out: Span[]): void {
  if (total >= 13) {
    for (let a = 0; a < g; a++) {
      let b = matchCard(s, a, g, out);
      if (b < 0 && len(a) >= 14 && digitAt(s, gs[a]) === 0) b = matchPadded(s, a, out);
      if (b >= 0) a = b;
    }
  }
  if (g >= 9) spacedRuns(s, g, out);
  for (let a = 0; a < g; a++) {
    // Each shape's first test, asked here: most groups start no shape and call nothing.
    const first = len(a);
    const ssnOrNanp = first === 3 && a + 2 < g;
    let b = ssnOrNanp ? matchSsn(s, a, g, out) : -1;
    if (b < 0 && a === 0) b = matchInternational(s, a, g, out);
    if (b < 0 && (ssnOrNanp || (first === 3 && a + 1 < g && len(a + 1) === 7))) b = matchNanp(s, a, g, out);
    if (b < 0 && first >= 2 && first <= 5 && digitAt(s, gs[a]) === 0) b = matchTrunk(s, a, g, out);
    if (b < 0 && a + 3 < g && sep[a] === DOT) b = matchIpv4(s, a, g, out);
    if (b < 0 && first >= 9 && first <= 11) b = matchBare(s, a, g, out);
    // A shape may start inside the one just found (its groups then overlap, and are masked as
    // one): `0114 6646 748` read as a national number took the first group of `748-93-8418`
    // (red-team round 43). What is covered already is skipped by emit.
  }
}

/** Reads only the runs the pre-scan kept: text between them cannot hold a number shape. */
export function detectNumbers(s: string, runs: NumberRuns, out: Span[]): void {
  prior = out.length === 0 ? undefined : new SpanIndex(out);
  for (let r = 0; r < runs.count; r++) {
    const to = runs.groupTo[r];
    if (to < 0) readRuns(s, runs.starts[r], runs.ends[r], out);
    else joinGroups(s, runs, runs.groupFrom[r], to, out);
  }
}

/**
 * `readRuns` over groups the pre-scan already found: consecutive groups belong to one run
 * when a single separator joins them, which only the characters between them can tell.
 */
function joinGroups(s: string, runs: NumberRuns, from: number, to: number, out: Span[]): void {
  let k = from;
  while (k < to) {
    let g = 0;
    let total = 0;
    for (;;) {
      const start = runs.groupStarts[k];
      const end = runs.groupEnds[k];
      gs[g] = start;
      ge[g] = end;
      total += end - start;
      g++;
      k++;
      const code = g < MAX_GROUPS && k < to ? readSep(s, end) : 0;
      if (code === 0) break;
      sep[g - 1] = code >> 2;
    }
    if (total >= 8 || g >= 4) {
      runBase = out.length;
      analyseRun(s, g, total, out);
    }
    // Cut at MAX_GROUPS with more joined groups to come: the next window overlaps (readRuns).
    if (g === MAX_GROUPS && k < to && readSep(s, ge[g - 1]) !== 0) k -= RUN_OVERLAP;
  }
}

/** Cuts s[from, to) into runs of digit groups joined by single separators and matches each. */
function readRuns(s: string, from: number, to: number, out: Span[]): void {
  let i = from;
  while (i < to) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let g = 0;
    let total = 0;
    let j = i;
    for (;;) {
      const start = j;
      while (j < to && isDigit(s.charCodeAt(j))) j++;
      gs[g] = start;
      ge[g] = j;
      total += j - start;
      g++;
      const code = g < MAX_GROUPS ? readSep(s, j) : 0;
      if (code === 0) break;
      sep[g - 1] = code >> 2;
      j += code & 3;
    }
    // Every shape needs 8+ digits, except a dotted quad (4 groups).
    if (total >= 8 || g >= 4) {
      runBase = out.length;
      analyseRun(s, g, total, out);
    }
    // A run cut at MAX_GROUPS goes on from a window that overlaps this one, so a card spaced
    // out across the cut is read whole (red-team round 40: one after 29 short numbers was not).
    i = g === MAX_GROUPS && j < to && readSep(s, j) !== 0 ? gs[MAX_GROUPS - RUN_OVERLAP] : j;
  }
}

/** Groups a cut run's next window shares with it: the longest shape (a card spaced out digit by digit). */
const RUN_OVERLAP = 20;
