import { firstFourDigits, luhnValid, plausibleIssuer, reversedCard } from './card.js';
import { isDigit } from './chars.js';
import { saysPhone, saysSsn } from './context.js';
import { nanpDigits, ssnDigits } from './numbers.js';
import type { Finding } from './span.js';

/**
 * Numbers written other than in digits, as an agent's transform (`translate(ssn, '0123456789',
 * 'abcdefghij')`) or a person hiding one in free text would write them: digits as letters
 * (`eabc iiii ...`, either a=0 or a=1), as words (`four zero one two ...`), as look-alike
 * letters among digits (`4O12 8888 8888 I88I`), and a card's four groups joined by any
 * punctuation (`4012-8888 8888.1881`, `4012|8888|8888|1881`, `["4012","8888",...]`), which the
 * printed shapes in numbers.ts do not take. What they spell is held to the rules of the
 * printed forms (Luhn and an issuer for cards, the issued ranges for SSNs, a dialable North
 * American number), so ordinary words and lists rarely spell one. Every finding is disguised,
 * so it is redacted whole.
 */

// Letters standing for digits (a-j, one case), in the shapes the digits are printed in: a
// card's 13-19 in a row or in fours, an SSN's 3-2-4 and a phone number's 3-3-4, joined by
// dashes. Spaces are not taken: words of a-j letters (`bad ad face`, `dad bid each`) would
// read as numbers. Not glued to letters, digits or a dash (a UUID's `bbbf-fffdffffffff`).
const LETTER_SHAPES = ['[a-j]', '[A-J]'].map((l) =>
  [
    `${l}{13,19}`,
    `${l}{4}(?:-${l}{4}){3}`,
    `${l}{3}-${l}{2}-${l}{4}`,
    `(?:${l}-)?${l}{3}-${l}{3}-${l}{4}`,
  ].join('|'),
);
const LETTERS = new RegExp(
  `(?<![A-Za-z0-9-])(?:${LETTER_SHAPES.map((shape) => `(?:${shape})`).join('|')})(?![A-Za-z0-9-])`,
  'g',
);
// Nine or more number words in a row (a card, an SSN, a phone number read out), in English,
// French, German, Spanish, Italian, Portuguese or Dutch, joined by any marks or a joining
// word (WORD_SEP). Accents are dropped by the normalised view (`zéro`, `fünf`, `três`: red-team round 41).
const NUMBER_WORDS_BY_DIGIT = [
  ['zero', 'oh', 'null', 'cero', 'nul'],
  ['one', 'un', 'eins', 'uno', 'um', 'een'],
  ['two', 'deux', 'zwei', 'dos', 'due', 'dois', 'twee'],
  ['three', 'trois', 'drei', 'tres', 'tre', 'drie'],
  ['four', 'quatre', 'vier', 'cuatro', 'quattro', 'quatro'],
  ['five', 'cinq', 'funf', 'fuenf', 'cinco', 'cinque', 'vijf'],
  ['six', 'sechs', 'seis', 'sei', 'zes'],
  ['seven', 'sept', 'sieben', 'siete', 'sette', 'sete', 'zeven'],
  ['eight', 'huit', 'acht', 'ocho', 'otto', 'oito'],
  ['nine', 'neuf', 'neun', 'nueve', 'nove', 'negen'],
];
const WORD_DIGITS: ReadonlyMap<string, string> = new Map(
  NUMBER_WORDS_BY_DIGIT.flatMap((list, digit) => list.map((w) => [w, String(digit)] as [string, string])),
);
const WORD = `(?:${[...WORD_DIGITS.keys()].sort((a, b) => b.length - a.length).join('|')})`;
// Any marks between the words (`five|five`, `five & five`, `"five","five"`: red-team round 42),
// and a joining word in any of the languages (`cinq et cinq`, `fünf und fünf`, `five then five`).
const JOINERS = ['and', 'then', 'et', 'und', 'en', 'e', 'y'];
const WORD_SEP = `(?:[^A-Za-z0-9]{1,6}(?:(?:${JOINERS.join('|')})[^A-Za-z0-9]{1,6})?)`;
const WORDS = new RegExp(`(?<![A-Za-z])${WORD}(?:${WORD_SEP}${WORD}){8,}(?![A-Za-z])`, 'gi');
// Number words and digit groups mixed (`four 0 one 2 eight 8 ...`, `078 zero five 1120`,
// `4012 eight eight eight eight 8888 ...`: red-team round 44); mixedWindows asks for two words.
const ITEM = `(?:${WORD}|\\d{1,8})`;
const MIXED = new RegExp(`(?<![A-Za-z0-9])${ITEM}(?:${WORD_SEP}${ITEM}){3,}(?![A-Za-z0-9])`, 'gi');
// Number words by first letter and length, for hintsOf's check without slicing.
const WORDS_BY_START = new Map<number, string[]>();
for (const w of WORD_DIGITS.keys()) {
  const key = w.charCodeAt(0) * 8 + w.length;
  WORDS_BY_START.set(key, [...(WORDS_BY_START.get(key) ?? []), w]);
}
// Digits with look-alike letters (O or o for 0; I or l for 1; B for 8, S for 5, Z for 2) in a
// card's four groups of four, joined by a space, a dash, a dot, an underscore or a slash, or
// by nothing (`4O12.8888.8888.I88I`, `4O1288888888I88I`: red-team round 44).
// One and the same separator each time: an optional one let a run of eight digits be cut into
// two groups (`516Z 00000017-0012`, a timestamp's `Z` and a UUID's first groups, read as a card).
const LOOKALIKE =
  /(?<![A-Za-z0-9])[0-9OoIlBSZ]{4}([ \-._/]?)[0-9OoIlBSZ]{4}(?:\1[0-9OoIlBSZ]{4}){2}(?![A-Za-z0-9])/g;
/** A look-alike reading: a letter for a digit, and at least eight digits as they are (no word). */
function lookalikeCard(match: string): string[] {
  if (!/[OoIlBSZ]/.test(match)) return [];
  let digits = 0;
  for (let i = 0; i < match.length; i++) if (isDigit(match.charCodeAt(i))) digits++;
  return digits >= 8 ? [lookalikeToDigits(match)] : [];
}
// A card's groups (4-4-4-4, 4-4-4-4-3, 4-6-5) joined by one to six other characters each
// (` ... ` between them: red-team round 44).
// A short word may join them too (`4111x1111x1111x1111`, `4111 and 1111 ...`: red-team round 33;
// `4111 then 1111 ...`, up to five letters: round 41).
const GROUP_SEP = '(?:[^0-9A-Za-z]{1,6}|[^0-9A-Za-z]{0,2}[A-Za-z]{1,5}[^0-9A-Za-z]{0,2})';
const ANY_SEP_CARD = new RegExp(
  `(?<![0-9A-Za-z])\\d{4}(?:${GROUP_SEP}\\d{4}){3}(?:${GROUP_SEP}\\d{3})?(?![0-9A-Za-z])|(?<![0-9A-Za-z])\\d{4}${GROUP_SEP}\\d{6}${GROUP_SEP}\\d{5}(?![0-9A-Za-z])`,
  'g',
);
// An SSN's groups joined by a dot or a pipe (`123.45.6789`, `123|45|6789`; slashes and colons
// are paths and ratios), and one written backwards (`9876-54-321`) after a word saying SSN.
// One and the same separator, and not a date or an amount beside a year (`335.11.2024` is a
// day of the year, `262.71|2024-05-16` an amount and a date: red-team round 12).
// Spaced dashes, en and em dashes and an `x` are disguises too (`123 - 45 - 6789`, round 33).
// Any dash-like character too (U+2010 to U+2015, minus signs, fullwidth, katakana long vowel:
// red-team round 36); a tilde, a doubled dash or a spaced dot (round 42).
const ODD_SSN =
  /(?<![0-9A-Za-z./|~])\d{3}([.|~\u2010-\u2015\u2212\uFE63\uFF0D\u30FCx]| ?[\u2010-\u2015\u2212\uFE63\uFF0D] ?| - |--| \. )\d{2}\1(?!19|20)\d{4}(?![0-9A-Za-z/|~-]|[.,]\d)/g;
// Semicolons and tabs join CSV and TSV fields as often as an SSN's groups: only after a word
// saying SSN.
// A North American phone number's groups joined by a pipe or a tilde (`586|555|0199`), or by a
// semicolon, colon or tab after a word saying phone (red-team round 42).
const ODD_PHONE =
  /(?<![0-9A-Za-z./|~:;-])(?:\+?1([|~:;\t]))?\d{3}([|~:;\t])\d{3}\2\d{4}(?![0-9A-Za-z/|~:;-]|[.,]\d)/g;
const SEMI_SSN = /(?<![0-9A-Za-z])\d{3}( ?; ?|\t)\d{2}\1\d{4}(?![0-9A-Za-z]|[.,]\d)/g;
// (A first group of 19xx or 20xx is a year: `2024-05-123` is an invoice, not an SSN.)
const REVERSED_SSN = /(?<![0-9A-Za-z.])(?!19|20)\d{4}([- ])\d{2}\1\d{3}(?![0-9A-Za-z]|[.,]\d)/g;
// A card written as one number with thousands separators (`4,012,888,888,881,881`, `4 012 888
// ...`, `4'012'...`) or in scientific notation (`4.012888888881881e15`): red-team round 36.
const THOUSANDS = /(?<![0-9A-Za-z.,'])\d{1,3}([,. '])\d{3}(?:\1\d{3}){3,5}(?![0-9A-Za-z]|[.,']\d)/g;
// A card's digits in groups of any length but one, each joined by the same single space, dash,
// dot or other mark (not a list's comma or semicolon), and not part of a longer token (a UUID's
// first groups, `62800981-9881-5062-a000-...`, are no card) (`40128888 88881881`, `4012 88888888 1881`, `40 12 88 ...`): red-team round 36.
const ANY_GROUPS =
  /(?<![0-9A-Za-z.,\-|:/_~*#+]|[0-9A-Za-z][.,\-|:/_~*#+])\d{2,16}([ .\-|:/_~*#+\t])\d{2,16}(?:\1\d{2,16}){0,7}(?![0-9A-Za-z]|[.,\-|:/_~*#+][0-9A-Za-z])/g;
// A card's digits one by one, each joined by the same one to eight other
// characters (`5|5|5|...`, `5:5:...`, a tab, a line break, quoted list items `"5","5",...`,
// markup `<d>5</d><d>5</d>...`, a letter `5q5q...`, a word `5 then 5 then ...`): red-team round
// 41. A card's 13 to 19 digits only: ten single digits are a survey's or a score's row as often
// as a phone number (six rows in ten of 1-5 answers read as one: round 42). A longer list is
// not cut into one (oneByOne).
const ONE_BY_ONE = /(?<![0-9A-Za-z])\d([^0-9]{1,8}?)\d(?:\1\d){11,17}(?![0-9A-Za-z]|\1\d)/g;
// A card's digits as character codes, one by one behind the same mark: hex bytes (`35 35 31 ...`,
// `0x35,0x35,...`) or decimal ASCII codes (`53 53 49 ...`, `053 053 ...`): red-team round 42.
const CODES =
  /(?<![0-9A-Za-z])(?:0x)?\d{2,3}([^0-9A-Za-z]{1,3})(?:(?:0x)?\d{2,3}\1){11,17}(?:0x)?\d{2,3}(?![0-9A-Za-z]|\1(?:0x)?\d)/gi;
const SCIENTIFIC = /(?<![0-9A-Za-z.])\d\.\d{6,18}[eE]\+?1[2-8](?![0-9A-Za-z.])/g;
// Digits escaped one by one: `%34`, `\u0034`, `\x34`, `&#52;`, `&#x34;`.
const ESCAPE = '(?:%3[0-9]|\\\\u003[0-9]|\\\\x3[0-9]|&#(?:4[89]|5[0-7]);|&#x3[0-9];)';
const ESCAPED = new RegExp(`${ESCAPE}(?:[^0-9A-Za-z%\\\\&]{0,3}${ESCAPE}){8,}`, 'gi');
// An integer in hex or octal with a card's magnitude.
const RADIX = /(?<![0-9A-Za-z])0(?:x[0-9a-f]{11,16}|o[0-7]{14,21})(?![0-9A-Za-z])/gi;

/** The class the digits spell when they are a card, an SSN or a North American phone number. */
export function spelledClass(digits: string): string | undefined {
  const n = digits.length;
  if (n >= 13 && n <= 19) {
    const forward = plausibleIssuer(firstFourDigits(digits, 0, n)) && luhnValid(digits, 0, n);
    if (forward || reversedCard(digits, 0, n, n)) return 'pci.pan';
    return undefined;
  }
  if (n === 9) return ssnDigits(digits, 0) ? 'pii.ssn' : undefined;
  if (n === 10 || (n === 11 && digits[0] === '1'))
    return nanpDigits(digits, n - 10) ? 'pii.phone' : undefined;
  return undefined;
}

/** a-j as digits: a=0 (`base` 0), a=1 (1), or backwards, j=0 (-1). */
function lettersToDigits(text: string, base: number): string {
  let out = '';
  for (const ch of text) {
    const c = ch.toLowerCase().charCodeAt(0) - 97;
    if (c >= 0 && c <= 9) out += String(base < 0 ? 9 - c : (c + base) % 10);
  }
  return out;
}

/**
 * A mixed run's digits (a word as its digit, a group as it is), read whole: a card's 13 to 19,
 * or an SSN's 9 and a phone's 10 where the text before says so. Not cut into windows: counts
 * and years between words (`one 2024 two 2025 three`) read as a phone number.
 */
function mixedDigits(source: string, text: string, at: number): string[] {
  let digits = '';
  let words = 0;
  let groups = 0;
  for (const item of text.toLowerCase().match(/[a-z]+|[0-9]+/g) ?? []) {
    const word = WORD_DIGITS.get(item);
    if (word !== undefined) {
      digits += word;
      words++;
    } else if (isDigit(item.charCodeAt(0))) {
      digits += item;
      groups++;
    }
  }
  if (words < 2 || groups === 0) return [];
  const n = digits.length;
  if (n >= 13 && n <= 19) return [digits];
  if (n === 9) return saysSsn(source, at) ? [digits] : [];
  return (n === 10 || n === 11) && saysPhone(source, at) ? [digits] : [];
}

function wordsToDigits(text: string): string {
  let out = '';
  for (const word of text.toLowerCase().split(/[^a-z]+/)) out += WORD_DIGITS.get(word) ?? '';
  return out;
}

/** 0123..., 9876...: counting, not a number. */
function counting(digits: string): boolean {
  let up = true;
  let down = true;
  for (let i = 1; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - digits.charCodeAt(i - 1);
    up &&= d === 1;
    down &&= d === -1;
  }
  return up || down;
}

// Lengths tried inside a run of number words longer than any shape (one word of padding).
const WINDOWS = [16, 15, 19, 18, 17, 14, 13, 10, 11, 9];

/** The run's digits, and each window of a shape's length when the run is longer (at most 40). */
function wordWindows(text: string): string[] {
  const digits = wordsToDigits(text);
  if (digits.length > 40) return [];
  return windowsOf(digits);
}

function windowsOf(digits: string): string[] {
  const out = counting(digits) ? [] : [digits];
  for (const len of WINDOWS) {
    for (let i = 0; i + len <= digits.length && len < digits.length; i++) {
      const window = digits.slice(i, i + len);
      if (!counting(window)) out.push(window);
    }
  }
  return out;
}

function lookalikeToDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') out += ch;
    else if (ch === 'O' || ch === 'o') out += '0';
    else if (ch === 'I' || ch === 'l') out += '1';
    else if (ch === 'B') out += '8';
    else if (ch === 'S') out += '5';
    else if (ch === 'Z') out += '2';
  }
  return out;
}

/** Single separators numbers.ts reads between a card's groups. */
const PRINTED_SEPS: ReadonlySet<string> = new Set([' ', '-', '.', '_', '/', ',']);
// Lists and paths: a comma, semicolon or slash in every separator (`4051, 4052; 4053, 4058`).
const LIST_SEP = /^ ?[,;/] ?$/;

const ONE_ESCAPE = new RegExp(ESCAPE, 'gi');

/** The digit one escape stands for: `&#52;` is decimal; `%34`, `\u0034` and `&#x34;` end in it. */
function escapedDigit(escaped: string): string {
  if (!escaped.startsWith('&#')) return escaped.at(-1) ?? '';
  const hex = escaped.toLowerCase().startsWith('&#x');
  return hex ? (escaped.at(-2) ?? '') : String(Number(escaped.slice(2, -1)) - 48);
}

function escapedDigits(text: string): string[] {
  let out = '';
  for (const m of text.matchAll(ONE_ESCAPE)) out += escapedDigit(m[0]);
  return [out];
}

function radixDigits(text: string): string[] {
  try {
    return [BigInt(text.toLowerCase()).toString()];
  } catch {
    return [];
  }
}

/** A card's digits, however grouped; only a card (an SSN or a phone has shapes of its own). */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Whether text[start, end) overlaps a UUID: its hex groups, joined by dashes and the letters
 * between digits, read as a card's groups joined by short words (`6032-9744-bfa9311e3786`, the
 * fuzz test's counterexample).
 */
function inUuid(text: string, start: number, end: number): boolean {
  const from = Math.max(0, start - 36);
  const window = text.slice(from, Math.min(text.length, end + 36));
  UUID.lastIndex = 0;
  for (let m = UUID.exec(window); m !== null; m = UUID.exec(window)) {
    const a = from + m.index;
    if (a < end && a + m[0].length > start) return true;
  }
  return false;
}

const DECIMAL_NUMBER = /^(?:\d{1,3}\.\d+|\d{1,6}\.\d{13,})$/;

function groupedCardDigits(text: string): string[] {
  // Two groups joined by a point are a decimal number: a double printed as text
  // (`430.52875995635986`) read as a card one time in ten (red-team round 44).
  if (DECIMAL_NUMBER.test(text)) return [];
  const digits = text.replace(/[^0-9]/g, '');
  return digits.length >= 13 && digits.length <= 19 ? [digits] : [];
}

/** The digits of a one-by-one match, unless it is the tail of a longer list of them. */
function oneByOne(text: string, match: string, at: number): string[] {
  let k = 1;
  while (!isDigit(match.charCodeAt(k))) k++;
  const sep = match.slice(1, k);
  // `...4|5|5|5`: the same mark after a digit stands before it.
  const before = at - sep.length;
  if (before > 0 && text.startsWith(sep, before) && isDigit(text.charCodeAt(before - 1))) return [];
  return [match.replace(/[^0-9]/g, '')];
}

/** The digits character codes spell: all hex bytes 30-39, or all decimal codes 48-57. */
function codeDigits(match: string): string[] {
  const codes = match
    .toLowerCase()
    .replaceAll('0x', '')
    .split(/[^0-9]+/);
  if (codes.every((c) => /^3[0-9]$/.test(c))) return [codes.map((c) => c[1]).join('')];
  if (codes.every((c) => /^0?(?:4[89]|5[0-7])$/.test(c)))
    return [codes.map((c) => String(Number(c) - 48)).join('')];
  return [];
}

/** A phone joined by `|` or `~`, or by `;`, `:` or a tab after a word saying phone. */
function oddPhone(text: string, match: string, at: number): string[] {
  if (!/[|~]/.test(match) && !saysPhone(text, at)) return [];
  const digits = match.replace(/[^0-9]/g, '');
  return nanpDigits(digits, digits.length - 10) ? [digits] : [];
}

function scientificDigits(text: string): string[] {
  const value = Number(text);
  return Number.isSafeInteger(value) ? [String(value)] : [];
}

function reversedDigits(text: string): string[] {
  return [[...text.replace(/[^0-9]/g, '')].reverse().join('')];
}

/**
 * A card's digits when its groups are joined otherwise than print does: one and the same
 * single character between every group is a shape numbers.ts reads (and shows the last four
 * of, when printed), so it is left to it.
 */
function mixedGroupDigits(text: string): string[] {
  const seps = text.split(/[0-9]+/).slice(1, -1);
  const same = seps.every((sp) => sp === seps[0]);
  if (same && PRINTED_SEPS.has(seps[0] ?? '')) return [];
  // A list as people write one: spaced, or mixed (`4051, 4052; 4053, 4058`). The same bare `;`
  // each time is a card's groups joined otherwise (`4111;1111;1111;1111`, red-team round 33).
  if (!(same && !/\s/.test(seps[0] ?? '')) && seps.every((sp) => LIST_SEP.test(sp))) return [];
  const digits = text.replace(/[^0-9]/g, '');
  // Grouped as printed, so read forwards only (a reversed number keeps no printed grouping),
  // and 4-6-5 is American Express's alone.
  if (digits.length === 15 && !/^3[47]/.test(digits)) return [];
  return plausibleIssuer(firstFourDigits(digits, 0, 4)) && luhnValid(digits, 0, digits.length)
    ? [digits]
    : [];
}

function each(text: string, re: RegExp, read: (match: string, at: number) => string[], out: Finding[]): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    for (const digits of read(m[0], m.index)) {
      const dataClass = spelledClass(digits);
      if (dataClass !== undefined) {
        out.push({ start: m.index, end: m.index + m[0].length, dataClass, disguised: true });
        break;
      }
    }
  }
}

// What one loop over the text says may be there (see hintsOf); each shape needs its bit.
const LETTER_RUN = 1; // 9+ letters of a-j in a row, single spaces or dashes allowed
const NUMBER_WORDS = 2; // 9+ number words in a row
const ESCAPES = 4; // `%`, `\` or `&`
const LOOKALIKE_HINT = 8; // O, o, I or l next to a digit
const GROUPS = 16; // four groups of four digits (or 4-6-5) joined by a few other characters
const SSN_GROUPS = 32; // groups of 3-2-4 or 4-2-3 (or a phone's 3-3-4) digits joined by single characters
const RADIX_HINT = 64; // `0x` or `0o`
const THOUSANDS_HINT = 128; // five or more groups of at most three digits joined by one character
const SCIENTIFIC_HINT = 256; // a lone `e` between digits
const ANY_GROUPS_HINT = 512; // 13 or more digits in groups of two or more joined by single characters
const ONE_BY_ONE_HINT = 1024; // 13 or more single digits, each joined by one to eight characters
const CODES_HINT = 2048; // 13 or more groups of two or three digits, each joined by one to three characters
const MIXED_HINT = 4096; // two number words and a digit group in one run, nine digits or more

/** text[start, start + word.length) is `word` (lower case) in any case. */
function wordAt(text: string, start: number, word: string): boolean {
  for (let k = 0; k < word.length; k++)
    if ((text.charCodeAt(start + k) | 32) !== word.charCodeAt(k)) return false;
  return true;
}

/** The letters text[start, end) are a word joining number words (`and`, `et`, `und`, ...). */
function isJoiner(text: string, start: number, end: number): boolean {
  for (const w of JOINERS) if (w.length === end - start && wordAt(text, start, w)) return true;
  return false;
}

/** The letters text[start, end) are a number word, in any case; nothing is allocated. */
function isNumberWord(text: string, start: number, end: number): boolean {
  const candidates = WORDS_BY_START.get((text.charCodeAt(start) | 32) * 8 + end - start);
  if (candidates === undefined) return false;
  for (const w of candidates) if (wordAt(text, start, w)) return true;
  return false;
}

function isLookalike(c: number): boolean {
  return c === 79 || c === 111 || c === 73 || c === 108 || c === 66 || c === 83 || c === 90;
}

/** Digit groups seen so far, for GROUPS and SSN_GROUPS: lengths of the last three, and the run of fours. */
interface GroupState {
  last: number;
  before: number;
  third: number;
  fours: number;
  gap: number; // characters since the last group ended (letters make it large)
  /** The one printed separator (its code) joining the run of fours so far; -1 once they differ. */
  sep: number;
  /** Groups of at most three digits joined one after another by single characters. */
  threes: number;
  /** Single digits joined one after another by one to eight characters. */
  singles: number;
  /** Digits of the groups of two or more joined one after another by single characters. */
  digits: number;
  /** Groups of two or three digits joined one after another by one to three characters. */
  codes: number;
}

/** A card's groups joined as numbers.ts reads them: one and the same of these each time. */
function printedSep(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 95 || c === 47 || c === 44;
}

// Reused: detection is synchronous, so no two loops interleave.
const groups: GroupState = {
  last: 0,
  before: 0,
  third: 0,
  fours: 0,
  gap: 99,
  sep: 0,
  threes: 0,
  singles: 0,
  digits: 0,
  codes: 0,
};

/** Records a digit group of `len` ending here and answers the bits its shape sets. */
function endGroup(g: GroupState, len: number, sepBefore: number): number {
  const joined = g.gap >= 1 && g.gap <= 7;
  const first = !joined || g.fours === 0;
  g.fours = len === 4 ? (joined ? g.fours + 1 : 1) : 0;
  g.threes = len <= 3 ? (joined && g.gap === 1 && g.threes > 0 ? g.threes + 1 : 1) : 0;
  g.digits = len >= 2 ? (joined && g.gap === 1 && g.digits > 0 ? g.digits + len : len) : 0;
  g.codes =
    len === 2 || len === 3
      ? g.gap >= 1 && g.gap <= 4 && g.codes > 0
        ? g.codes + 1
        : 1
      : len === 1
        ? g.codes
        : 0;
  g.singles = len === 1 ? (g.gap >= 1 && g.gap <= 8 && g.singles > 0 ? g.singles + 1 : 1) : 0;
  // The separator before this group, when one printed character; -1 for anything else.
  const sep = g.gap === 1 && printedSep(sepBefore) ? sepBefore : -1;
  if (first) g.sep = 0;
  else if (g.sep === 0) g.sep = sep;
  else if (g.sep !== sep) g.sep = -1;
  if (joined) {
    g.third = g.before;
    g.before = g.last;
  } else {
    g.third = 0;
    g.before = 0;
  }
  g.last = len;
  g.gap = 0;
  // Printed groups are numbers.ts's; only others (mixed, or other characters) are a disguise.
  const odd = g.sep === -1;
  // 4-6-5 is read by its separators in mixedGroupDigits: the fours' separator state does not
  // cover a group of six (`3782|822463|10005` passed, red-team round 40).
  let hints = (odd && g.fours >= 4) || (g.third === 4 && g.before === 6 && len === 5) ? GROUPS : 0;
  const ssnOrPhone = g.third === 3 && (g.before === 2 || g.before === 3) && len === 4;
  if (ssnOrPhone || (g.third === 4 && g.before === 2 && len === 3)) {
    hints |= SSN_GROUPS;
  }
  if (g.threes >= 5) hints |= THOUSANDS_HINT;
  if (g.digits >= 13 && g.digits > len) hints |= ANY_GROUPS_HINT;
  if (g.singles >= 13) hints |= ONE_BY_ONE_HINT;
  if (g.codes >= 13) hints |= CODES_HINT;
  return hints;
}

// Character kinds below 128 for hintsOf; everything above is OTHER.
const OTHER = 0;
const LETTER = 1;
const DIGIT = 2;
const JOIN = 3; // a space or a dash: letters for digits may sit either side (number words behind any mark)
const ESCAPE_START = 4; // `%`, `\`, `&`
const KIND = new Uint8Array(128);
for (let c = 65; c <= 90; c++) KIND[c] = LETTER;
for (let c = 97; c <= 122; c++) KIND[c] = LETTER;
for (let c = 48; c <= 57; c++) KIND[c] = DIGIT;
KIND[32] = JOIN;
KIND[45] = JOIN;
for (const c of [37, 92, 38]) KIND[c] = ESCAPE_START;

function kindAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? KIND[c] : OTHER;
}

/** Bits a word text[start, end) sets by what stands beside it: look-alikes and `0x`. */
function wordEdges(text: string, start: number, end: number): number {
  let hints = 0;
  if (start > 0 && kindAt(text, start - 1) === DIGIT) {
    if (isLookalike(text.charCodeAt(start))) hints |= LOOKALIKE_HINT;
    const first = text.charCodeAt(start) | 32;
    if ((first === 120 || first === 111) && text.charCodeAt(start - 1) === 48) hints |= RADIX_HINT;
    if (first === 101 && end - start === 1) hints |= SCIENTIFIC_HINT;
  }
  if (end < text.length && kindAt(text, end) === DIGIT && isLookalike(text.charCodeAt(end - 1))) {
    hints |= LOOKALIKE_HINT;
  }
  return hints;
}

function allLettersToJ(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((text.charCodeAt(i) | 32) > 106) return false;
  return true;
}

/**
 * One loop over the text, a word or a digit group at a time: the regular expressions below
 * cost a pass each, and nearly every text holds none of these shapes (a timestamp's groups
 * are 4-2-2, a UUID's digits are cut by letters), so each runs only where this loop saw what
 * it needs.
 */
function hintsOf(text: string): number {
  const n = text.length;
  const g = groups;
  g.last = 0;
  g.before = 0;
  g.third = 0;
  g.fours = 0;
  g.gap = 99;
  g.sep = 0;
  g.threes = 0;
  g.singles = 0;
  g.digits = 0;
  g.codes = 0;
  mix.words = 0;
  mix.digits = 0;
  mix.groups = 0;
  let hints = 0;
  let run = 0; // letters of a-j in the current run of words
  let words = 0; // number words in the current run of them
  let i = 0;
  while (i < n) {
    const kind = kindAt(text, i);
    const start = i;
    if (kind === LETTER) {
      do i++;
      while (i < n && kindAt(text, i) === LETTER);
      run = allLettersToJ(text, start, i) ? run + i - start : 0;
      if (run >= 9) hints |= LETTER_RUN;
      // `and` between number words (`five three six and two two`) neither counts nor breaks.
      if (!isJoiner(text, start, i)) {
        const numberWord = isNumberWord(text, start, i);
        words = numberWord ? words + 1 : 0;
        hints |= mixItem(numberWord ? 1 : -1);
      }
      if (words >= 9) hints |= NUMBER_WORDS;
      hints |= wordEdges(text, start, i);
      // A short word between digit groups may join them (`4111x1111`, `123x45x6789`).
      g.gap = i - start <= 5 && g.gap < 99 ? g.gap + i - start : 99;
      continue;
    }
    if (kind === DIGIT) {
      do i++;
      while (i < n && kindAt(text, i) === DIGIT);
      hints |= endGroup(g, i - start, start > 0 ? text.charCodeAt(start - 1) : -1);
      hints |= mixItem(i - start <= 8 ? -2 - (i - start) : -1);
      run = 0;
      words = 0;
      continue;
    }
    i++;
    g.gap++;
    if (kind === ESCAPE_START) hints |= ESCAPES;
    if (kind !== JOIN) run = 0;
  }
  return hints;
}

/** A run of number words and digit groups, for MIXED_HINT: what hintsOf met since it began. */
const mix = { words: 0, digits: 0, groups: 0 };

/**
 * The next item of a mixed run: 1 a number word, -2 - n a group of n digits (n at most 8),
 * -1 anything that ends the run (another word, a longer group). The hint once the run holds
 * two words, a group and nine digits.
 */
function mixItem(item: number): number {
  if (item === -1) {
    mix.words = 0;
    mix.digits = 0;
    mix.groups = 0;
    return 0;
  }
  if (item === 1) {
    mix.words++;
    mix.digits++;
  } else {
    mix.groups++;
    mix.digits += -2 - item;
  }
  return mix.words >= 2 && mix.groups > 0 && mix.digits >= 9 ? MIXED_HINT : 0;
}

/** Findings of numbers spelled otherwise in `text`, pushed to `out`, left to right per shape. */
export function detectSpelled(text: string, out: Finding[]): void {
  const hints = hintsOf(text);
  if (hints === 0) return;
  if (hints & LETTER_RUN) {
    each(text, LETTERS, (m) => [lettersToDigits(m, 0), lettersToDigits(m, 1), lettersToDigits(m, -1)], out);
  }
  if (hints & NUMBER_WORDS) each(text, WORDS, wordWindows, out);
  if (hints & MIXED_HINT) each(text, MIXED, (m, at) => mixedDigits(text, m, at), out);
  if (hints & ESCAPES) each(text, ESCAPED, escapedDigits, out);
  if (hints & LOOKALIKE_HINT) each(text, LOOKALIKE, lookalikeCard, out);
  if (hints & GROUPS)
    each(text, ANY_SEP_CARD, (m, at) => (inUuid(text, at, at + m.length) ? [] : mixedGroupDigits(m)), out);
  if (hints & SSN_GROUPS) {
    each(text, ODD_PHONE, (m, at) => oddPhone(text, m, at), out);
    each(text, ODD_SSN, (m) => [m.replace(/[^0-9]/g, '')], out);
    each(text, REVERSED_SSN, (m, at) => (saysSsn(text, at) ? reversedDigits(m) : []), out);
    each(text, SEMI_SSN, (m, at) => (saysSsn(text, at) ? [m.replace(/[^0-9]/g, '')] : []), out);
  }
  if (hints & RADIX_HINT) each(text, RADIX, radixDigits, out);
  if (hints & THOUSANDS_HINT) each(text, THOUSANDS, (m) => [m.replace(/[^0-9]/g, '')], out);
  if (hints & SCIENTIFIC_HINT) each(text, SCIENTIFIC, scientificDigits, out);
  if (hints & ANY_GROUPS_HINT) each(text, ANY_GROUPS, groupedCardDigits, out);
  if (hints & CODES_HINT) each(text, CODES, codeDigits, out);
  if (hints & ONE_BY_ONE_HINT) each(text, ONE_BY_ONE, (m, at) => oneByOne(text, m, at), out);
}
