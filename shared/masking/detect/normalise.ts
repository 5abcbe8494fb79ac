/**
 * The normalised view of a text: what a reader sees once the easy disguises are undone. NFKC
 * (fullwidth forms, `＠`, mathematical digits), the decimal digits of every script as 0-9,
 * invisible characters (zero-width spaces and joiners, soft hyphens, bidi controls) and
 * combining marks dropped, every other space a plain space, and the spelled-out or encoded
 * `@` and `.` of an address (` at `, `(at)`, `[dot]`, `%40`, `&#64;`) as the characters.
 * Each character of the view knows the span of the original it came from, so a finding in
 * the view masks what the original holds there.
 */

export interface NormalisedView {
  readonly text: string;
  /** The view's character i came from original[starts[i], ends[i]). */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

// What each code unit above ASCII asks of the view, computed the first time it is met.
const UNKNOWN = 0;
const KEEP = 1; // the view keeps it as it is
const CHANGE = 2; // the view changes it
const MARK = 3; // a combining mark: dropped, which only matters after an ASCII character
const KINDS = new Uint8Array(65536);
const ASTRAL_KINDS = new Map<number, number>();

const DECIMAL = /\p{Nd}/u;
const INVISIBLE = /\p{Cf}/u;
const SPACE = /\p{Zs}/u;
const COMBINING = /\p{M}/u;
// What a detector reads: an NFKC form holding one of these is worth the view.
const DETECTED = /[A-Za-z0-9@.]/;

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp);
  if (DECIMAL.test(ch) || INVISIBLE.test(ch) || SPACE.test(ch)) return CHANGE;
  if (COMBINING.test(ch)) return MARK;
  const nfkc = ch.normalize('NFKC');
  return nfkc !== ch && DETECTED.test(nfkc) ? CHANGE : KEEP;
}

function kindOf(cp: number): number {
  if (cp < 65536) {
    let kind = KINDS[cp];
    if (kind === UNKNOWN) {
      // Surrogates are judged by the code point they make, not alone.
      kind = cp >= 0xd800 && cp <= 0xdfff ? KEEP : classify(cp);
      KINDS[cp] = kind;
    }
    return kind;
  }
  let kind = ASTRAL_KINDS.get(cp);
  if (kind === undefined) {
    kind = classify(cp);
    ASTRAL_KINDS.set(cp, kind);
  }
  return kind;
}

/** True when the character at `i` (not ASCII) would change in the view. */
export function needsNormalising(text: string, i: number): boolean {
  const kind = kindOf(text.codePointAt(i) ?? 0);
  if (kind === MARK) return i > 0 && text.charCodeAt(i - 1) < 128;
  return kind === CHANGE;
}

/**
 * Value of a decimal digit of any script. Unicode assigns decimal digits in runs of ten from
 * zero, so the value is the distance to the start of its run, modulo ten.
 */
function digitValue(cp: number): number {
  let k = 0;
  while (DECIMAL.test(String.fromCodePoint(cp - k - 1))) k++;
  return k % 10;
}

const REPLACEMENTS = new Map<number, string>();

/** What the view holds for one code point above ASCII. */
function replacement(cp: number): string {
  let r = REPLACEMENTS.get(cp);
  if (r !== undefined) return r;
  r = '';
  for (const ch of String.fromCodePoint(cp).normalize('NFKC')) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 128) r += ch;
    else if (DECIMAL.test(ch)) r += String.fromCharCode(48 + digitValue(c));
    else if (SPACE.test(ch)) r += ' ';
    else if (!INVISIBLE.test(ch) && !COMBINING.test(ch)) r += ch;
  }
  REPLACEMENTS.set(cp, r);
  return r;
}

const utf16 = new TextDecoder('utf-16le');

/** A growing view: code units with the original span of each, in typed arrays. */
class Builder {
  codes: Uint16Array;
  starts: Int32Array;
  ends: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.codes = new Uint16Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  private grow(): void {
    const size = this.codes.length * 2 + 16;
    const codes = new Uint16Array(size);
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    codes.set(this.codes);
    starts.set(this.starts);
    ends.set(this.ends);
    this.codes = codes;
    this.starts = starts;
    this.ends = ends;
  }

  push(code: number, start: number, end: number): void {
    if (this.length === this.codes.length) this.grow();
    const k = this.length++;
    this.codes[k] = code;
    this.starts[k] = start;
    this.ends[k] = end;
  }

  /** Drops trailing spaces, returning where the first dropped one began (or `start`). */
  dropSpaces(start: number): number {
    let from = start;
    while (this.length > 0 && this.codes[this.length - 1] === 32) from = this.starts[--this.length];
    return from;
  }

  /** The view as a string; a lone surrogate reads as U+FFFD, which keeps every offset. */
  toString(): string {
    return utf16.decode(this.codes.subarray(0, this.length));
  }
}

/** First pass: characters. */
function characters(text: string): Builder {
  const n = text.length;
  const b = new Builder(n + 16);
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      b.push(c, i, i + 1);
      i++;
      continue;
    }
    const cp = text.codePointAt(i) ?? c;
    const width = cp > 0xffff ? 2 : 1;
    if (kindOf(cp) === KEEP) {
      for (let k = 0; k < width; k++) b.push(text.charCodeAt(i + k), i, i + width);
    } else {
      const chars = replacement(cp);
      for (let k = 0; k < chars.length; k++) b.push(chars.charCodeAt(k), i, i + width);
    }
    i += width;
  }
  return b;
}

// `%40`, `&#64;`, `&#x40;`, `&commat;` and their `.` counterparts; the `;` is often left out.
const ENCODED = /%40|%2e|&(?:#0*64|#x0*40|commat|#0*46|#x0*2e|period);?/iy;
// `(at)`, `[ dot ]`, `{at}`, any case, spaces inside allowed.
const BRACKETED = /[([{] *(at|dot) *[)\]}]/iy;
// ` at `, ` dot ` between two words.
const SPELLED = / (at|dot) (?=[A-Za-z0-9])/iy;
// `@` with spaces around it.
const SPACED_AT = / *@ */y;

function isWordChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    ((c | 32) >= 97 && (c | 32) <= 122) ||
    c === 46 ||
    c === 95 ||
    c === 45 ||
    c === 43 ||
    c > 127
  );
}

/** `at` becomes `@`, `dot` becomes `.`, whatever case or bracket. */
function symbolOf(word: string): number {
  return word.length === 2 ? 64 : 46;
}

// A cheap test for the second pass: most texts in a view hold no marker at all.
const ANY_MARKER = /[%&([{@]| (?:at|dot) /i;

/** Second pass over the first's output: the markers of an address. */
function markers(p: Builder, s: string): Builder {
  const b = new Builder(p.length + 16);
  const n = s.length;
  for (let j = 0; j < n; ) {
    const c = s.charCodeAt(j);
    let len = 0;
    let symbol = 0;
    let spaced = false;
    if (c === 37 || c === 38) {
      ENCODED.lastIndex = j;
      const m = ENCODED.exec(s);
      if (m !== null) {
        len = m[0].length;
        const v = m[0].toLowerCase();
        symbol = v === '%40' || v.includes('64') || v.includes('40') || v.includes('commat') ? 64 : 46;
      }
    } else if (c === 40 || c === 91 || c === 123) {
      BRACKETED.lastIndex = j;
      const m = BRACKETED.exec(s);
      if (m !== null) {
        len = m[0].length;
        symbol = symbolOf(m[1]);
        spaced = true;
      }
    } else if (c === 32 && j > 0 && isWordChar(s.charCodeAt(j - 1))) {
      SPELLED.lastIndex = j;
      const m = SPELLED.exec(s);
      if (m !== null) {
        len = m[0].length;
        symbol = symbolOf(m[1]);
      } else {
        SPACED_AT.lastIndex = j;
        const at = SPACED_AT.exec(s);
        if (at !== null && isWordChar(s.charCodeAt(j + at[0].length))) {
          len = at[0].length;
          symbol = 64;
        }
      }
    } else if (c === 64 && s.charCodeAt(j + 1) === 32) {
      SPACED_AT.lastIndex = j;
      const at = SPACED_AT.exec(s);
      if (at !== null && isWordChar(s.charCodeAt(j + at[0].length))) {
        len = at[0].length;
        symbol = 64;
      }
    }
    if (len === 0) {
      b.push(c, p.starts[j], p.ends[j]);
      j++;
      continue;
    }
    // Spaces around a bracketed marker belong to it: `ana (at) contoso` is one address.
    const start = spaced ? b.dropSpaces(p.starts[j]) : p.starts[j];
    let end = j + len;
    if (spaced) while (end < n && s.charCodeAt(end) === 32) end++;
    b.push(symbol, start, p.ends[end - 1]);
    j = end;
  }
  return b;
}

/** The normalised view of `text`, or undefined when it is the text itself. */
export function normalise(text: string): NormalisedView | undefined {
  let view = characters(text);
  let viewText = view.toString();
  if (ANY_MARKER.test(viewText)) {
    view = markers(view, viewText);
    viewText = view.toString();
  }
  if (viewText === text) return undefined;
  return {
    text: viewText,
    starts: view.starts.subarray(0, view.length),
    ends: view.ends.subarray(0, view.length),
  };
}
