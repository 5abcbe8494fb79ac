/**
 * The pre-scan: one loop over a text that says which detectors could possibly match, and
 * where the digit runs worth a closer look lie. Each bit is a necessary condition for some
 * detector, so a detector whose bit is clear can be skipped without changing any answer.
 */

export const AT = 1; // an email, or a URL with a password
export const EQ = 2; // a storage key or a `key=value` secret
export const NUMBER = 4; // 9+ digits (8 after `+`) in one loosely separated run, or a dotted quad
export const PAIR = 8; // `=` or `:` right after a letter that ends a secret key name, or a quote
export const IBAN = 16; // two capitals followed by a digit
export const JWT = 32; // `eyJ`
export const IPV6 = 64; // `::`, or 7+ colons
export const DASH = 128; // a PEM armour line
export const SCHEME = 256; // `://`, which a URL with a password needs

// What the main loop must stop for below `A` (above it only `J` matters). Spaces count as
// nothing here although they may sit inside numbers: the digit loop reads those itself, and
// the rare run that needs what stood before it looks back. Prose is mostly letters and
// spaces; a loop that treated spaces apart paid for it at every word.
const SKIP = 0;
const STOP_DIGIT = 1;
const STOP_DASH = 2;
const STOP_MARK = 3; // `:` `=` `@` `J`: looked at together with the characters before it
const STOP = new Uint8Array(65);
for (let c = 48; c <= 57; c++) STOP[c] = STOP_DIGIT;
STOP[45] = STOP_DASH;
for (const ch of ':=@J') STOP[ch.charCodeAt(0)] = STOP_MARK;

// Inside a digit run, besides digits: separators that may sit inside a number (space - . ( ) +).
const SEP = new Uint8Array(65536);
for (const ch of ' -.()+') SEP[ch.charCodeAt(0)] = 1;

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

function isUpperAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 65 && c <= 90;
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

/** Which detectors could match `text`; the runs worth reading are left in `numberRuns`. */
export function prescan(text: string): number {
  const n = text.length;
  let found = 0;
  let colons = 0;
  // Digit groups seen so far, kept or not; past MAX_GROUPS they are counted but not stored.
  let groups = 0;
  numberRuns.count = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // Letters and everything above them, bar `J`, are skipped without a table read.
    if (c >= 65 && c !== 74) continue;
    const stop = STOP[c];
    if (stop === SKIP) continue;
    if (stop === STOP_DIGIT) {
      const start = i;
      // Only the digit that starts a run can follow a letter.
      if (i >= 2 && isUpperAt(text, i - 1) && isUpperAt(text, i - 2)) found |= IBAN;
      const firstGroup = groups;
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
      // The character that ended the run may be a mark. After a digit, a mark only counts for
      // itself: no key name, `::` or `eyJ` ends in a digit.
      if (d === 58) {
        colons++;
        if (isScheme(text, i)) found |= SCHEME;
      } else if (d === 61) found |= EQ;
      else if (d === 64) found |= AT;
    } else if (stop === STOP_DASH) {
      found |= DASH;
    } else if (c === 58) {
      colons++;
      if (i > 0 && text.charCodeAt(i - 1) === 58) found |= IPV6;
      if (i > 0 && KEY_END[text.charCodeAt(i - 1)] === 1) found |= PAIR;
      if (isScheme(text, i)) found |= SCHEME;
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
