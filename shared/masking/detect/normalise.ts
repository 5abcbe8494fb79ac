/**
 * The normalised view of a text: what a reader sees once the easy disguises are undone. NFKC
 * (fullwidth forms, `＠`, mathematical digits), the decimal digits of every script as 0-9,
 * invisible characters (zero-width spaces and joiners, soft hyphens, bidi controls, NUL and
 * the other control characters but tab and line breaks) and combining marks dropped, accents
 * dropped from Latin letters, every other space a plain space, and the spelled-out or encoded
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
const SPACE_LIKE = 4; // a space other than ` `: only matters next to a digit, an `@` or `at`/`dot`
const PUNCT_LIKE = 5; // punctuation whose NFKC form is ASCII: only matters next to a digit
const KINDS = new Uint8Array(65536);
const ASTRAL_KINDS = new Map<number, number>();

const DECIMAL = /\p{Nd}/u;
const INVISIBLE = /\p{Cf}/u;
const SPACE = /\p{Zs}/u;
const COMBINING = /\p{M}/u;
// What a detector reads: an NFKC form holding one of these is worth the view.
const DETECTED = /[A-Za-z0-9@.]/;
// Punctuation whose NFKC form is one a number's print uses (fullwidth `（`, `＋`, `／`): read
// as its ASCII form, since `（415）555-0132` is a phone number (round 44), but worth the view
// only beside a digit. Not the colon, comma and other marks CJK prose puts before every figure.
const PUNCTUATION = /^[()+/_|~#=[\]{}<>-]$/;
// Dashes of every kind and the minus sign read as `-`: a phone joined by en dashes
// (`415–555–0132`) was read by no detector (red-team round 44).
const DASH_LIKE = /[\p{Pd}\u2212\u2043\uFE63]/u;

/**
 * Letters of other scripts that look like Latin ones, as the view reads them: an address
 * whose domain has a Cyrillic `е` (`ana@еxample.com`) reads as the address it pretends to
 * be. Cyrillic and Greek only, the look-alikes a keyboard layout gives; not every confusable.
 */
const LOOKALIKE_LETTERS: ReadonlyMap<number, string> = new Map(
  [
    ['а', 'a'],
    ['е', 'e'],
    ['о', 'o'],
    ['р', 'p'],
    ['с', 'c'],
    ['у', 'y'],
    ['х', 'x'],
    ['і', 'i'],
    ['ј', 'j'],
    ['ѕ', 's'],
    ['ԁ', 'd'],
    ['ԛ', 'q'],
    ['ԝ', 'w'],
    ['һ', 'h'],
    ['А', 'A'],
    ['В', 'B'],
    ['Е', 'E'],
    ['К', 'K'],
    ['М', 'M'],
    ['Н', 'H'],
    ['О', 'O'],
    ['Р', 'P'],
    ['С', 'C'],
    ['Т', 'T'],
    ['Х', 'X'],
    ['ο', 'o'],
    ['α', 'a'],
    ['ν', 'v'],
    ['ρ', 'p'],
    ['Α', 'A'],
    ['Β', 'B'],
    ['Ε', 'E'],
    ['Ζ', 'Z'],
    ['Η', 'H'],
    ['Ι', 'I'],
    ['Κ', 'K'],
    ['Μ', 'M'],
    ['Ν', 'N'],
    ['Ο', 'O'],
    ['Ρ', 'P'],
    ['Τ', 'T'],
    ['Υ', 'Y'],
    ['Χ', 'X'],
    // Full stops of other scripts (red-team round 36: `ana@contoso。com`).
    ['。', '.'],
    ['｡', '.'],
    // Middle dots and bullets read as a `.` between words (round 44: `ana@contoso·com`), and
    // as a `-` before a digit (see MIDDLE_DOTS).
    ['\u00b7', '.'],
    ['\u2022', '.'],
    ['\u2027', '.'],
    ['\u2219', '.'],
    ['\u22c5', '.'],
    ['\u2e33', '.'],
    ['\u30fb', '.'],
    ['\uff65', '.'],
  ].map(([from, to]) => [(from as string).charCodeAt(0), to as string]),
);

/**
 * Middle dots and bullets before a digit join a number's groups (`415·555·0132`: a phone), but
 * are read as a dash, not a point: as a point, four small numbers of a list (`2·3·5·7`, a
 * Japanese `第1・2・3・4章`) were all read as IP addresses (round 44).
 */
const MIDDLE_DOTS = new Set([0x00b7, 0x2022, 0x2027, 0x2219, 0x22c5, 0x2e33, 0x30fb, 0xff65]);

/** A digit at `i`, spaces skipped: `46 • 83` joins numbers as much as `46•83` does. */
function digitNext(text: string, i: number): boolean {
  let k = i;
  while (text.charCodeAt(k) === 32) k++;
  return DECIMAL.test(text.charAt(k));
}

/**
 * The plain Latin letter an accented one is made of (`é` is `e` and an acute accent), or
 * undefined: number words are written with accents (`zéro`, `fünf`, `três`: red-team round 41)
 * and an address or a key name reads the same with them.
 */
function latinBase(ch: string): string | undefined {
  const parts = ch.normalize('NFD');
  const base = parts.charCodeAt(0);
  if (parts.length < 2 || !((base | 32) >= 97 && (base | 32) <= 122)) return undefined;
  return COMBINING_ONLY.test(parts.slice(1)) ? parts.charAt(0) : undefined;
}
const COMBINING_ONLY = /^\p{M}+$/u;

function classify(cp: number): number {
  if (LOOKALIKE_LETTERS.has(cp)) return CHANGE;
  const ch = String.fromCodePoint(cp);
  if (DASH_LIKE.test(ch)) return CHANGE;
  if (latinBase(ch) !== undefined) return CHANGE;
  if (SPACE.test(ch)) return SPACE_LIKE;
  if (DECIMAL.test(ch) || INVISIBLE.test(ch)) return CHANGE;
  if (COMBINING.test(ch)) return MARK;
  const nfkc = ch.normalize('NFKC');
  if (nfkc === ch) return KEEP;
  if (DETECTED.test(nfkc)) return CHANGE;
  return PUNCTUATION.test(nfkc) ? PUNCT_LIKE : KEEP;
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

/** Next to a space: a digit of any script, `@`, `=`, `:`, or a word that may be `at` or `dot`. */
function mattersBeside(c: number, after: boolean): boolean {
  if ((c >= 48 && c <= 58) || c === 64 || c === 61 || c >= 128) return true;
  return after && ((c | 32) === 97 || (c | 32) === 100);
}

/**
 * True when the character at `i` (not ASCII) changes in the view in a way a detector could
 * see. A non-breaking space between two words (French puts one before `:`) changes nothing
 * any detector reads, so such texts keep the plain path.
 */
export function needsNormalising(text: string, i: number): boolean {
  const kind = kindOf(text.codePointAt(i) ?? 0);
  if (kind === MARK) return i > 0 && text.charCodeAt(i - 1) < 128;
  if (kind === SPACE_LIKE) {
    return (
      (i > 0 && mattersBeside(text.charCodeAt(i - 1), false)) || mattersBeside(text.charCodeAt(i + 1), true)
    );
  }
  if (kind === PUNCT_LIKE) return digitAt(text, i - 1) || digitAt(text, i + 1);
  return kind === CHANGE;
}

/** A decimal digit of any script at `i`. */
function digitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c >= 48 && c <= 57) return true;
  return c >= 128 && DECIMAL.test(text.charAt(i));
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
  const letter =
    LOOKALIKE_LETTERS.get(cp) ??
    (DASH_LIKE.test(String.fromCodePoint(cp)) ? '-' : latinBase(String.fromCodePoint(cp)));
  if (letter !== undefined) {
    REPLACEMENTS.set(cp, letter);
    return letter;
  }
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

/**
 * A growing view: its text, and the original span of each of its code units. The arrays are
 * reused from text to text (an allocation per text cost more than the rest of the view), so
 * a view is valid until the next one is built with the same builder; they may be longer than
 * the text.
 */
class Builder implements NormalisedView {
  // The text is kept as the pieces appended and joined once, when read: dropping the spaces
  // before a bracketed marker used to slice the whole text built so far at each marker,
  // which was quadratic in a cell of many markers (`'a (at) '` repeated 90,000 times held
  // the event loop for 6 s). A drop now trims only the last pieces.
  #parts: string[] = [];
  #joined: string | undefined = '';
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  length = 0;

  get text(): string {
    if (this.#joined === undefined) {
      this.#joined = this.#parts.join('');
      this.#parts = this.#joined === '' ? [] : [this.#joined];
    }
    return this.#joined;
  }

  reset(): void {
    this.#parts = [];
    this.#joined = '';
    this.length = 0;
  }

  #append(chars: string): void {
    if (chars.length === 0) return;
    this.#parts.push(chars);
    this.#joined = undefined;
  }

  private room(more: number): void {
    if (this.length + more <= this.starts.length) return;
    const size = Math.max(this.starts.length * 2, this.length + more);
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    starts.set(this.starts.subarray(0, this.length));
    ends.set(this.ends.subarray(0, this.length));
    this.starts = starts;
    this.ends = ends;
  }

  /** Characters that all come from original[start, end). */
  push(chars: string, start: number, end: number): void {
    this.room(chars.length);
    this.#append(chars);
    for (let k = 0; k < chars.length; k++) {
      this.starts[this.length] = start;
      this.ends[this.length++] = end;
    }
  }

  /** original[from, to) as it is. */
  copy(original: string, from: number, to: number): void {
    this.room(to - from);
    this.#append(original.slice(from, to));
    for (let i = from; i < to; i++) {
      this.starts[this.length] = i;
      this.ends[this.length++] = i + 1;
    }
  }

  /** view[from, to) of an earlier pass, with its spans. */
  copyView(view: Builder, from: number, to: number): void {
    this.room(to - from);
    this.#append(view.text.slice(from, to));
    for (let i = from; i < to; i++) {
      this.starts[this.length] = view.starts[i];
      this.ends[this.length++] = view.ends[i];
    }
  }

  /** Drops trailing spaces, returning where the first dropped one began (or `start`). */
  dropSpaces(start: number): number {
    let from = start;
    for (;;) {
      const last = this.#parts[this.#parts.length - 1];
      if (last === undefined) return from;
      let keep = last.length;
      while (keep > 0 && last.charCodeAt(keep - 1) === 32) {
        keep--;
        from = this.starts[--this.length] as number;
      }
      if (keep === last.length) return from;
      this.#joined = undefined;
      if (keep > 0) {
        this.#parts[this.#parts.length - 1] = last.slice(0, keep);
        return from;
      }
      this.#parts.pop();
    }
  }
}

/**
 * A control character the view drops: C0 controls but tab, line feed and carriage return, and
 * DEL. Text stored as UTF-16 and read as UTF-8 has a NUL beside every ASCII character
 * (`4\u00001\u00001...`), which hid every address, SSN and phone number in it (red-team round 41).
 */
export function isDroppedControl(c: number): boolean {
  return (c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127;
}

/** First pass: characters; ASCII is copied a stretch at a time. */
function characters(text: string, b: Builder): void {
  const n = text.length;
  let ascii = 0;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (isDroppedControl(c)) {
        if (ascii < i) b.copy(text, ascii, i);
        b.push('', i, i + 1);
        ascii = i + 1;
      }
      i++;
      continue;
    }
    if (ascii < i) b.copy(text, ascii, i);
    const cp = text.codePointAt(i) ?? c;
    const width = cp > 0xffff ? 2 : 1;
    const kind = kindOf(cp);
    const joinsDigits = MIDDLE_DOTS.has(cp) && digitNext(text, i + width);
    b.push(
      kind === KEEP
        ? text.slice(i, i + width)
        : kind === SPACE_LIKE
          ? ' '
          : joinsDigits
            ? '-'
            : replacement(cp),
      i,
      i + width,
    );
    i += width;
    ascii = i;
  }
  if (ascii < n) b.copy(text, ascii, n);
}

// `%40`, `&#64;`, `&#x40;`, `&commat;` and their `.` counterparts; the `;` is often left out.
// `%20` and `%2d` too: a card's groups joined by an encoded space or dash (red-team round 40).
// Encoded again (`%2520`, `&amp;#64;`) and quoted-printable (`=20`, before a letter or digit) too.
const ENCODED =
  /%(?:25)*(?:40|2e|20|2d)|=(?:40|2e|20|2d)(?=[0-9a-z])|&(?:amp;)*(?:#0*64|#x0*40|commat|#0*46|#x0*2e|period);?/iy;
// `\u0040`, `\x40` and their `.` counterparts written out in a text (red-team round 33), and
// `\u{40}`, octal `\100` and theirs (round 42).
const ESCAPED = /\\(?:u0040|x40|u\{0*40\}|100|u002e|x2e|u\{0*2e\}|056)/iy;
// `(at)`, `[ dot ]`, `{at}`, any case, spaces inside allowed.
// `(@)` and `[.]` too (red-team round 33).
const BRACKETED = /[([{<] *(at|dot|@|\.) *[)\]}>]/iy;
// ` at `, ` dot ` between two words.
const SPELLED = / (at|dot) (?=[A-Za-z0-9])/iy;
// `@` with spaces around it, or a line broken after it (round 42).
const SPACED_AT = /[ \t\r\n]*@[ \t\r\n]*/y;
// Common top-level domains, in lower case: a loose dot joins an address only before one.
const TLD =
  '(?:com|org|net|edu|gov|mil|int|info|biz|io|co|uk|us|ca|au|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|pt|ie|eu|ru|cn|jp|in|br|mx)(?![A-Za-z0-9])';
// ` . ` with spaces around it, between two words (`example . com`, red-team round 33), or
// before it only, a line break too (`example .com`, `example\n.com`: round 44), then before a
// domain only: `@bob .NET 8` and `@carol\n.env` are a mention and a word.
const SPACED_DOT = new RegExp(`[ \\t\\r\\n]+\\.(?: +(?=[A-Za-z0-9])|[ \\t\\r\\n]*(?=${TLD}))`, 'y');
// `example. com`: a space after the dot only is how every sentence ends, so only before a
// top-level domain in lower case (`at home. No problem` starts a sentence).
const DOT_SPACED = new RegExp(`\\.[ \\t\\r\\n]+(?=${TLD})`, 'y');

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

/** A sticky pattern matched at `j`. */
function execAt(pattern: RegExp, s: string, j: number): RegExpExecArray | null {
  pattern.lastIndex = j;
  return pattern.exec(s);
}

/** `at` becomes `@`, `dot` becomes `.`, whatever case or bracket. */
function symbolOf(word: string): string {
  return word.length === 2 || word === '@' ? '@' : '.';
}

// A cheap test for the second pass: most texts in a view hold no marker at all.
const ANY_MARKER = /[%&=([{<@\\]| (?:at|dot) | \. /i;

/** The marker `readMarker` found: its length, the character it stands for, and whether spaces around it belong to it. */
const marker = { len: 0, symbol: '', spaced: false };

/** Whether a marker of an address starts at `j` of `s`; what it is goes to `marker`. */
function readMarker(s: string, j: number): boolean {
  const c = s.charCodeAt(j);
  marker.len = 0;
  marker.spaced = false;
  if (c === 37 || c === 38 || c === 61) {
    const m = execAt(ENCODED, s, j);
    if (m !== null) {
      const lower = m[0].toLowerCase();
      // Read by its last code: `%2520` and `=20` are `%20`.
      const v = lower.charCodeAt(0) === 38 ? lower : `%${lower.slice(-2)}`;
      marker.len = m[0].length;
      marker.symbol =
        v === '%20'
          ? ' '
          : v === '%2d'
            ? '-'
            : v === '%40' || v.includes('64') || v.includes('40') || v.includes('commat')
              ? '@'
              : '.';
    }
  } else if (c === 92) {
    const m = execAt(ESCAPED, s, j);
    if (m !== null) {
      marker.len = m[0].length;
      marker.symbol = /(?:40\}?|100)$/.test(m[0]) ? '@' : '.';
    }
  } else if (c === 40 || c === 91 || c === 123 || c === 60) {
    const m = execAt(BRACKETED, s, j);
    if (m !== null) {
      marker.len = m[0].length;
      marker.symbol = symbolOf(m[1]);
      marker.spaced = true;
    }
  } else if (isBlank(c) && j > 0 && isWordChar(s.charCodeAt(j - 1))) {
    spacedMarker(s, j);
  } else if (c === 64 && isBlank(s.charCodeAt(j + 1))) {
    spacedSymbol(s, j, SPACED_AT, '@');
  } else if (c === 46 && isBlank(s.charCodeAt(j + 1)) && j > 0 && isWordChar(s.charCodeAt(j - 1))) {
    spacedSymbol(s, j, DOT_SPACED, '.');
  }
  return marker.len > 0;
}

/** A space, a tab or a line break. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** At a blank after a word: ` at `, ` dot `, a spaced `@` or a spaced ` . `. */
function spacedMarker(s: string, j: number): void {
  const next = s.charCodeAt(j + 1) | 32;
  const m = s.charCodeAt(j) === 32 && (next === 97 || next === 100) ? execAt(SPELLED, s, j) : null;
  if (m !== null) {
    marker.len = m[0].length;
    marker.symbol = symbolOf(m[1]);
    return;
  }
  let k = j + 1;
  while (isBlank(s.charCodeAt(k))) k++;
  const mark = s.charCodeAt(k);
  if (mark === 64) spacedSymbol(s, j, SPACED_AT, '@');
  else if (mark === 46) spacedSymbol(s, j, SPACED_DOT, '.');
}

function spacedSymbol(s: string, j: number, pattern: RegExp, symbol: string): void {
  const m = execAt(pattern, s, j);
  if (m !== null && isWordChar(s.charCodeAt(j + m[0].length))) {
    marker.len = m[0].length;
    marker.symbol = symbol;
  }
}

/** Second pass over the first's output `p`: the markers of an address. */
function markers(p: Builder, b: Builder): void {
  const s = p.text;
  const n = s.length;
  // Text since the last marker, copied when the next one is met.
  let copied = 0;
  for (let j = 0; j < n; ) {
    if (!readMarker(s, j)) {
      j++;
      continue;
    }
    b.copyView(p, copied, j);
    // Spaces around a bracketed marker belong to it: `ana (at) contoso` is one address.
    const start = marker.spaced ? b.dropSpaces(p.starts[j]) : p.starts[j];
    let end = j + marker.len;
    if (marker.spaced) while (end < n && s.charCodeAt(end) === 32) end++;
    b.push(marker.symbol, start, p.ends[end - 1]);
    j = end;
    copied = end;
  }
  b.copyView(p, copied, n);
}

// Builders per nesting level: a view (level 0) may decode a token whose text needs a view of
// its own (level 1), while the first is still being read; nothing nests deeper.
const LEVELS = [
  [new Builder(), new Builder()],
  [new Builder(), new Builder()],
];

/**
 * The normalised view of `text`, or undefined when it is the text itself. The view is valid
 * until the next one of the same `level` (0, or 1 for text decoded while reading a view).
 */
export function normalise(text: string, level: 0 | 1 = 0): NormalisedView | undefined {
  const [first, second] = LEVELS[level];
  first.reset();
  characters(text, first);
  let view = first;
  if (ANY_MARKER.test(first.text)) {
    second.reset();
    markers(first, second);
    view = second;
  }
  return view.text === text ? undefined : view;
}

/**
 * A name as the view would read it, for comparing names (blob-content.ts): NFKC, the
 * Cyrillic and Greek look-alikes as the Latin letters they pretend to be, accents dropped.
 */
export function lookalikeFolded(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFKC'))
    out += LOOKALIKE_LETTERS.get(ch.charCodeAt(0)) ?? latinBase(ch) ?? ch;
  return out;
}
