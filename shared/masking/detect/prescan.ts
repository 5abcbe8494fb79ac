import { isIbanCountry } from './iban.js';
import { isDroppedControl, needsNormalising } from './normalise.js';

/**
 * The pre-scan: one loop over a text that says which detectors could possibly match, and
 * where the digit runs worth a closer look lie. Each bit is a necessary condition for some
 * detector, so a detector whose bit is clear can be skipped without changing any answer.
 */

export const AT = 1; // an email, or a URL with a password
export const EQ = 2; // a storage key or a `key=value` secret
export const NUMBER = 4; // 9+ digits (8 after `+`) in one loosely separated run, or a dotted quad
export const PAIR = 8; // `=` or `:` right after a letter that ends a secret key name, or a quote
export const IBAN = 16; // two letters followed by a digit
export const JWT = 32; // `eyJ`
export const IPV6 = 64; // `::`, or 7+ colons
export const DASH = 128; // a PEM armour line
export const SCHEME = 256; // `://`, which a URL with a password needs
export const DISGUISE = 512; // a character or marker the normalised view changes: see normalise.ts
// A token worth reading (tokens.ts): a digit glued to a letter, hex of digits, base64
// padding, or 16 letters in a row.
export const TOKEN = 1024;
// Two digits and two letters of a country code ending a token: a reversed IBAN's end (iban.ts).
export const REVERSED_IBAN = 2048;

// What the main loop must stop for below `A` (above it only `J`, `[`, `{` and what is not
// ASCII matter). Spaces may sit inside numbers, but the digit loop reads those itself, and
// the rare run that needs what stood before it looks back; a space only has the character
// after it read, for ` at ` and ` dot `. Prose is mostly letters and spaces: a loop that did
// more at each space paid for it at every word.
const SKIP = 0;
const STOP_DIGIT = 1;
const STOP_DASH = 2;
const STOP_MARK = 3; // `:` `=` `@` `J`: looked at together with the characters before it
const STOP_SPACE = 4; // ` at ` and ` dot ` stand for `@` and `.`
const STOP_MARKER = 5; // `%40`, `&#64;`, `(at)`: see isMarker
const STOP_CONTROL = 6; // a control character the normalised view drops (NUL of UTF-16 text)
const STOP = new Uint8Array(65);
for (let c = 0; c < 32; c++) if (isDroppedControl(c)) STOP[c] = STOP_CONTROL;
for (let c = 48; c <= 57; c++) STOP[c] = STOP_DIGIT;
STOP[45] = STOP_DASH;
for (const ch of ':=@J') STOP[ch.charCodeAt(0)] = STOP_MARK;
STOP[32] = STOP_SPACE;
for (const ch of '%&(<') STOP[ch.charCodeAt(0)] = STOP_MARKER;

// Inside a digit run, besides digits: separators that may sit inside a number (space - . ( ) +),
// or that a disguise puts between its digits (_ / ,).
const SEP = new Uint8Array(65536);
for (const ch of ' -.()+_/,') SEP[ch.charCodeAt(0)] = 1;

// Last letter of a secret key name (d t n y e g), or a quote closing a quoted key.
const KEY_END = new Uint8Array(65536);
for (const ch of 'dtnyegDTNYEG"\'') KEY_END[ch.charCodeAt(0)] = 1;

/**
 * Runs that may hold a number shape (a run of digits and separators starting at a digit), and
 * the digit groups in each, so the number detector reads neither the text between runs nor
 * the digits again. A run whose groups did not fit has `groupTo` -1 and is read from the
 * text; past the run limit the last run is stretched to the end of the text, which is what
 * reading everything after it would do.
 */
const MAX_RUNS = 64;
const MAX_GROUPS = 256;
export interface NumberRuns {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Digit groups of run r are groupStarts/groupEnds[groupFrom[r], groupTo[r]). */
  readonly groupFrom: Int32Array;
  readonly groupTo: Int32Array;
  readonly groupStarts: Int32Array;
  readonly groupEnds: Int32Array;
  count: number;
}
// Reused across calls: detection is synchronous, so no call can interleave.
const GROUP_STARTS = new Int32Array(MAX_GROUPS);
const GROUP_ENDS = new Int32Array(MAX_GROUPS);
export const numberRuns: NumberRuns = {
  starts: new Int32Array(MAX_RUNS),
  ends: new Int32Array(MAX_RUNS),
  groupFrom: new Int32Array(MAX_RUNS),
  groupTo: new Int32Array(MAX_RUNS),
  groupStarts: GROUP_STARTS,
  groupEnds: GROUP_ENDS,
  count: 0,
};

/** `://` at the colon at `i`. */
function isScheme(text: string, i: number): boolean {
  return text.charCodeAt(i + 1) === 47 && text.charCodeAt(i + 2) === 47;
}

/**
 * A run is judged once, at its end; the separators just before it (back to the last other
 * character) count too, so `+44 ...` and `.1.2.3.4` are seen whole. The test may say yes
 * too often (a trailing dot counts), never too rarely: the number detector has the last word.
 */
function judgeRun(
  text: string,
  start: number,
  end: number,
  firstGroup: number,
  groups: number,
  digits: number,
  dots: number,
  plus: boolean,
): boolean {
  // What stands before the run only matters to a run of 4 to 8 digits.
  for (let k = start - 1; digits >= 4 && digits <= 8 && k >= 0; k--) {
    const c = text.charCodeAt(k);
    if (SEP[c] === 0) break;
    if (c === 46) dots++;
    else if (c === 43) plus = true;
  }
  if (!(digits >= 9 || (digits >= 8 && plus) || (dots >= 3 && digits >= 4))) return false;
  const runs = numberRuns;
  const r = runs.count;
  if (r < MAX_RUNS) {
    runs.starts[r] = start;
    runs.ends[r] = end;
    runs.groupFrom[r] = firstGroup;
    runs.groupTo[r] = groups <= MAX_GROUPS ? groups : -1;
    runs.count++;
  } else {
    runs.ends[MAX_RUNS - 1] = text.length;
    runs.groupTo[MAX_RUNS - 1] = -1;
  }
  return true;
}

function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i) | 32;
  return c >= 97 && c <= 122;
}

/**
 * A letter or `_` just before a digit starts a token that may be a key (`ghp_1...`, `AKIA2...`)
 * or an encoding (`NDEx...`, `3431...`); `T` between digits is only an ISO timestamp.
 */
function gluedDigit(text: string, i: number): boolean {
  const p = text.charCodeAt(i - 1);
  if (p === 95) return true;
  // Slack tokens: `xoxb-1234...`, `xapp-1-...`.
  if (p === 45) {
    if (i < 5 || text.charCodeAt(i - 5) !== 120) return false;
    return text.startsWith('xox', i - 5) || text.startsWith('xapp', i - 5);
  }
  if (!isLetterAt(text, i - 1)) return false;
  return p !== 84 || i < 2 || !isDigitCode(text.charCodeAt(i - 2));
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Same letters, any case: `s` is lower case. */
function wordAt(text: string, i: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if ((text.charCodeAt(i + k) | 32) !== s.charCodeAt(k)) return false;
  return true;
}

// What a spelled-out word at a space stands for; only together do they make an address.
// Bits of prescan's answer that only it sees (cleared before it returns), above every
// exported bit, so one number carries both.
const AT_WORD = 1 << 20; // ` at ` not followed by a dotted name (`at no. 42`, `at 5pm`, `at home dot com`)
const DOT_WORD = 1 << 21; // ` dot `

function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 45;
}

/**
 * ` at ` or ` dot ` at the space at `i`, with a word on both sides: DISGUISE when ` at ` is
 * followed by a dotted name (`ana at contoso.com`), else AT_WORD or DOT_WORD, or 0.
 */
function spelledWord(text: string, i: number): number {
  const c = text.charCodeAt(i + 1) | 32;
  if (c !== 97 && c !== 100) return 0;
  const len = c === 97 ? (wordAt(text, i + 1, 'at') ? 2 : 0) : wordAt(text, i + 1, 'dot') ? 3 : 0;
  if (len === 0 || text.charCodeAt(i + 1 + len) !== 32 || i === 0 || text.charCodeAt(i - 1) <= 32) return 0;
  let k = i + 2 + len;
  if (!isNameChar(text.charCodeAt(k))) return 0;
  if (len === 3) return DOT_WORD;
  while (isNameChar(text.charCodeAt(k))) k++;
  return text.charCodeAt(k) === 46 && isNameChar(text.charCodeAt(k + 1)) ? DISGUISE : AT_WORD;
}

/**
 * `%40`, `%20`, `%2e`, `%2d` at `i`, encoded again any number of times (`%2520`), or the same
 * codes quoted-printable (`=20`) before a letter or digit: each joins a card's groups or an
 * address's parts as the character it encodes.
 */
function encodedMark(text: string, i: number): boolean {
  let k = i + 1;
  if (text.charCodeAt(i) === 37) while (text.startsWith('25', k)) k += 2;
  else if (!isAlnumAt(text, k + 2)) return false;
  return (
    text.startsWith('40', k) || text.startsWith('20', k) || wordAt(text, k, '2e') || wordAt(text, k, '2d')
  );
}

function isAlnumAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
}

/** `%40`, `%2e`, `=20`, an HTML character reference, `(at)`, `[dot]`, `{at}` at `i`. */
function isMarker(text: string, i: number): boolean {
  switch (text.charCodeAt(i)) {
    case 37:
    case 61:
      return encodedMark(text, i);
    case 38: {
      // `&amp;#64;`: a reference escaped again.
      let k = i + 1;
      while (wordAt(text, k, 'amp;')) k += 4;
      return text.charCodeAt(k) === 35 || wordAt(text, k, 'commat;') || wordAt(text, k, 'period;');
    }
    case 92:
      // `\u0040`, `\x40` and their `.` (red-team round 33); `\u{40}`, `\100`, `\056` (round 42).
      return (
        wordAt(text, i + 1, 'u0040') ||
        wordAt(text, i + 1, 'x40') ||
        wordAt(text, i + 1, 'u002e') ||
        wordAt(text, i + 1, 'x2e') ||
        wordAt(text, i + 1, 'u{') ||
        text.startsWith('100', i + 1) ||
        text.startsWith('056', i + 1)
      );
    default: {
      let k = i + 1;
      while (text.charCodeAt(k) === 32) k++;
      const c = text.charCodeAt(k);
      // `(@)` and `[.]` as well as `(at)` and `[dot]`.
      return wordAt(text, k, 'at') || wordAt(text, k, 'dot') || c === 64 || c === 46;
    }
  }
}

/** `J` (of `eyJ`), `[`, `\`, `{` or a character that is not ASCII at `i`: what it adds to `found`. */
function aboveLetters(text: string, i: number, c: number, found: number): number {
  if (c === 127) return DISGUISE;
  if (c >= 128) return (found & DISGUISE) === 0 && needsNormalising(text, i) ? DISGUISE : 0;
  if (c === 91 || c === 92 || c === 123) return isMarker(text, i) ? DISGUISE : 0;
  return c === 74 && i >= 2 && text.charCodeAt(i - 1) === 121 && text.charCodeAt(i - 2) === 101 ? JWT : 0;
}

/**
 * Two digits and two letters ending a token at `i`: how a reversed IBAN ends (`...98ED`, a
 * reversed `DE89...`; red-team round 44).
 */
function reversedIbanEnd(text: string, i: number): boolean {
  // The token's end first: a hex id's digits and letters go on (`...12ab34...`).
  const after = text.charCodeAt(i + 2);
  if ((after >= 48 && after <= 57) || isLetterAt(text, i + 2)) return false;
  return (
    isLetterAt(text, i) &&
    isLetterAt(text, i + 1) &&
    isDigitAt(text, i - 1) &&
    isDigitAt(text, i - 2) &&
    isIbanCountry(text.charCodeAt(i + 1), text.charCodeAt(i))
  );
}

function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** What the digit at `i` that starts a run adds to `found`, read with what stands before it. */
function runStart(text: string, i: number, found: number): number {
  // Only the digit that starts a run can follow a letter.
  if (i >= 2 && isLetterAt(text, i - 1) && isLetterAt(text, i - 2)) found |= IBAN;
  if ((found & TOKEN) === 0 && i > 0) {
    const before = text.charCodeAt(i - 1);
    if ((before >= 65 || before === 45) && gluedDigit(text, i)) found |= TOKEN;
  }
  return found;
}

/** `:`, `=` or `@` at `i`, not right after a digit run. */
function markAt(text: string, i: number, c: number): number {
  if (c === 64) return AT | spacedAt(text, i);
  const pair = i > 0 && keyBefore(text, i) ? PAIR : 0;
  if (c === 61) return EQ | padding(text, i) | pair | (encodedMark(text, i) ? DISGUISE : 0);
  const ipv6 = i > 0 && text.charCodeAt(i - 1) === 58 ? IPV6 : 0;
  return pair | ipv6 | (isScheme(text, i) ? SCHEME : 0);
}

/**
 * The character `d` at `i` that ended a digit run, unless it is to be looked at like any other
 * (see prescan). After a digit, a mark only counts for itself: no key name, `::` or `eyJ`
 * ends in a digit.
 */
function afterRun(text: string, i: number, d: number): number {
  if (reversedIbanEnd(text, i)) return IBAN | REVERSED_IBAN;
  if (d === 58) return isScheme(text, i) ? SCHEME : 0;
  if (d === 61) return EQ | padding(text, i) | (encodedMark(text, i) ? DISGUISE : 0);
  if (d === 64) return AT | spacedAt(text, i);
  if ((d | 32) !== 97 && (d | 32) !== 100) return 0;
  // The run took the space or `(` of ` at ` or `(at)`.
  const p = text.charCodeAt(i - 1);
  if (p === 32) return spelledWord(text, i - 1);
  return p === 40 && isMarker(text, i - 1) ? DISGUISE : 0;
}

/**
 * A dot with a blank before it, or a blank after it and then a lower-case word of two to four
 * letters (a domain's, as normalise.ts reads it): what makes a loose address. A loop over the
 * dots, not a pattern over the whole text: every address has one.
 */
function looseDot(text: string): boolean {
  for (let i = text.indexOf('.'); i !== -1; i = text.indexOf('.', i + 1)) {
    if (isBlankCode(text.charCodeAt(i - 1))) return true;
    let k = i + 1;
    if (!isBlankCode(text.charCodeAt(k))) continue;
    while (isBlankCode(text.charCodeAt(k))) k++;
    let end = k;
    while (isLowerCode(text.charCodeAt(end))) end++;
    const after = text.charCodeAt(end);
    if (end - k >= 2 && end - k <= 4 && !isLowerCode(after | 32) && !(after >= 48 && after <= 57))
      return true;
  }
  return false;
}

function isBlankCode(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isLowerCode(c: number): boolean {
  return c >= 97 && c <= 122;
}

/** DISGUISE for the marks of an address that only an `@` or ` at ` elsewhere makes one. */
function addressDisguise(text: string, found: number): number {
  // ` dot ` only stands for `.` in an address: with an `@` or a spelled-out ` at `.
  if ((found & DOT_WORD) !== 0 && (found & (AT_WORD | AT)) !== 0) return found | DISGUISE;
  // A spaced ` . ` in an address (`bob@example . com`, red-team round 33).
  // A dot with a blank before it (`example .com`) or after it before a domain (round 44).
  if ((found & AT) !== 0 && (found & DISGUISE) === 0 && looseDot(text)) return found | DISGUISE;
  return found;
}

// Characters that end a digit run and are read again by the main loop: a marker's first
// character (`%40`, `&#64;`, `[at]`, `{at}`, `<at>`, `\u0040`; an address's local part may end
// in a digit: red-team round 41) and a control character the view drops.
const REREAD = new Uint8Array(128);
for (const ch of '%&<[\\{') REREAD[ch.charCodeAt(0)] = 1;
for (let c = 0; c < 128; c++) if (isDroppedControl(c)) REREAD[c] = 1;

// What digitRun reads on and leaves: the bits found, the groups kept, the character after it.
const run = { found: 0, groups: 0, end: 0 };

/**
 * The run of digit groups and separators from the digit at `start`, judged at its end; where
 * it ends is returned. Reads and updates `run`.
 */
function digitRun(text: string, start: number): number {
  const n = text.length;
  let { found, groups } = run;
  const firstGroup = groups;
  let i = start;
  let digits = 0;
  let dots = 0;
  let plus = false;
  let d = 0;
  // A group of digits, then the separators before the next group, until something else.
  for (;;) {
    const groupStart = i;
    for (i++; i < n; i++) {
      d = text.charCodeAt(i);
      if (d < 48 || d > 57) break;
    }
    digits += i - groupStart;
    if (i - groupStart >= 16 && hexOfText(text, groupStart)) found |= TOKEN;
    if (groups < MAX_GROUPS) {
      GROUP_STARTS[groups] = groupStart;
      GROUP_ENDS[groups] = i;
    }
    groups++;
    while (i < n && SEP[d] === 1) {
      if (d === 46) dots++;
      else if (d === 45) found |= DASH;
      else if (d === 43) plus = true;
      if (++i < n) d = text.charCodeAt(i);
    }
    if (i >= n || d < 48 || d > 57) break;
  }
  if (judgeRun(text, start, i, firstGroup, groups, digits, dots, plus)) found |= NUMBER;
  else groups = firstGroup;
  run.found = found;
  run.groups = groups;
  run.end = d;
  return i;
}

/** Which detectors could match `text`; the runs worth reading are left in `numberRuns`. */
export function prescan(text: string): number {
  const n = text.length;
  let found = 0;
  let colons = 0;
  // Where the current run of letters began: 16 in a row may be base64 without a digit.
  let word = 0;
  // Digit groups seen so far, kept or not; past MAX_GROUPS they are counted but not stored.
  let groups = 0;
  numberRuns.count = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65) {
      // Letters are skipped without a table read; above them only `J`, `[`, `{` and non-ASCII.
      if (c < 123 && c !== 74 && c !== 91 && c !== 92) continue;
      found |= aboveLetters(text, i, c, found);
      continue;
    }
    if (i - word >= 16) found |= TOKEN;
    word = i + 1;
    const stop = STOP[c];
    if (stop === SKIP) continue;
    if (stop === STOP_SPACE) {
      const c1 = text.charCodeAt(i + 1) | 32;
      if (c1 === 97 || c1 === 100) found |= spelledWord(text, i);
      continue;
    }
    if (stop === STOP_DIGIT) {
      run.found = runStart(text, i, found);
      run.groups = groups;
      i = digitRun(text, i);
      found = run.found;
      groups = run.groups;
      const d = run.end;
      word = i;
      // The character that ended the run may be a mark, or what is looked at like any other.
      if (d === 58) colons++;
      if (d >= 128 || REREAD[d] === 1) i--;
      else found |= afterRun(text, i, d);
    } else if (stop === STOP_DASH) {
      found |= DASH;
    } else if (stop === STOP_MARKER) {
      if (isMarker(text, i)) found |= DISGUISE;
    } else if (stop === STOP_CONTROL) {
      found |= DISGUISE;
    } else {
      if (c === 58) colons++;
      found |= markAt(text, i, c);
    }
  }
  if (n - word >= 16) found |= TOKEN;
  found = addressDisguise(text, found) & ~(AT_WORD | DOT_WORD);
  return colons >= 7 ? found | IPV6 : found;
}

/** A secret key name may end before the `=` or `:` at `i`; `password = x` has spaces between. */
function keyBefore(text: string, i: number): boolean {
  let k = i - 1;
  if (KEY_END[text.charCodeAt(k)] === 1) return true;
  while (k > 0 && text.charCodeAt(k) === 32) k--;
  return k < i - 1 && KEY_END[text.charCodeAt(k)] === 1;
}

/**
 * Hex of text is a run of digits only when the text is digits: `34313131...`, each byte's
 * first nibble 2–7 (printable ASCII).
 */
function hexOfText(text: string, from: number): boolean {
  for (let k = from; k < from + 6; k += 2) {
    const c = text.charCodeAt(k);
    if (c < 50 || c > 55) return false;
  }
  return true;
}

/** `=` closing a base64 token: a letter, digit, `+` or `/` before it, no letter or digit after. */
function padding(text: string, i: number): number {
  const p = text.charCodeAt(i - 1);
  if (!((p >= 48 && p <= 57) || ((p | 32) >= 97 && (p | 32) <= 122) || p === 43 || p === 47)) return 0;
  const c = text.charCodeAt(i + 1);
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) ? 0 : TOKEN;
}

/** `ana @ contoso.com`: an `@` with a space (or a tab) beside it, or a line break after it. */
function spacedAt(text: string, i: number): number {
  const before = text.charCodeAt(i - 1);
  const after = text.charCodeAt(i + 1);
  return before === 32 ||
    after === 32 ||
    before === 9 ||
    after === 9 ||
    after === 10 ||
    after === 13 ||
    before === 10 ||
    before === 13
    ? DISGUISE
    : 0;
}
