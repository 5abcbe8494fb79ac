import type { Span } from '../types.js';
import { firstFourDigits, luhnValid, plausibleIssuer } from './card.js';
import { isAlnum, isDigit } from './chars.js';
import type { Finding } from './span.js';

// Per code unit: may it sit in a local part (the common subset of RFC 5322 atoms), in a domain?
// One table read per character instead of a chain of range tests.
const LOCAL = 1;
const DOMAIN = 2;
const EMAIL_CHAR = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  if (isAlnum(c)) EMAIL_CHAR[c] = LOCAL | DOMAIN;
}
for (const ch of '._%+') EMAIL_CHAR[ch.charCodeAt(0)] |= LOCAL;
EMAIL_CHAR[46] |= DOMAIN;
EMAIL_CHAR[45] = LOCAL | DOMAIN;

function isLetter(c: number): boolean {
  const lower = c | 32;
  return lower >= 97 && lower <= 122;
}

/**
 * End of the domain that starts at `from`, or -1 when it is not one: labels separated by
 * single dots, no label edged by `-`, an alphabetic TLD of 2+ letters. Trailing dots and
 * dashes (end of a sentence) are not part of it. Read once, left to right.
 */
function domainEnd(s: string, from: number): number {
  const n = s.length;
  let r = from;
  while (r < n && (EMAIL_CHAR[s.charCodeAt(r)] & DOMAIN) !== 0) r++;
  while (r > from) {
    const c = s.charCodeAt(r - 1);
    if (c !== 46 && c !== 45) break;
    r--;
  }
  if (r === from) return -1;
  // One read per character: the previous one is carried along instead of read again.
  let prev = 46;
  let dots = 0;
  let tldStart = from;
  let tldLetters = true;
  for (let i = from; i < r; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (prev === 46 || prev === 45) return -1;
      dots++;
      tldStart = i + 1;
      tldLetters = true;
    } else {
      if (c === 45 && prev === 46) return -1;
      if (!isLetter(c)) tldLetters = false;
    }
    prev = c;
  }
  return dots > 0 && tldLetters && r - tldStart >= 2 ? r : -1;
}

/** `4111111111111111@x.io` is a card number glued to a domain: leave it to the card detector. */
function isCardLocalPart(s: string, start: number, end: number): boolean {
  if (end - start < 13 || end - start > 19) return false;
  for (let i = start; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return plausibleIssuer(firstFourDigits(s, start, end)) && luhnValid(s, start, end);
}

// Top-level domains a reversed address must end in: common ones only, so `ed.sheeran@band`
// (a reversed `.de`) is not taken for an address. Country codes count under a second level.
const REVERSED_TLDS = new Set(['moc', 'gro', 'ten', 'ude', 'vog', 'lim', 'ofni', 'zib', 'oi', 'ved', 'ppa']);
const REVERSED_SECOND_LEVEL = new Set(['oc', 'moc', 'gro', 'ten', 'ca', 'vog', 'ude']);
const REVERSED_TLD_STARTS = new Set([...REVERSED_TLDS].map((t) => t.charCodeAt(0)));

function reversedLabel(s: string, from: number, to: number): string {
  let r = '';
  for (let i = to - 1; i >= from; i--) r += s[i];
  return r;
}

/**
 * `moc.elpmaxe@ecila` is `alice@example.com` written backwards: a domain whose labels and
 * top-level domain read right before the `@`, and a local part after it. Returns the end of
 * the address, which starts at `l`, or -1.
 */
function reversedEnd(s: string, l: number, at: number): number {
  // The top-level domain, backwards, is the first label: 2 to 4 letters.
  let first = l;
  while (first < at && first - l <= 4 && isLetter(s.charCodeAt(first))) first++;
  if (first - l < 2 || first - l > 4 || s.charCodeAt(first) !== 46) return -1;
  // Most local parts (`ana.silva`) fail on the first letter, before anything is sliced.
  if (first - l > 2 && !REVERSED_TLD_STARTS.has(s.charCodeAt(l) | 32)) return -1;
  const tld = s.slice(l, first).toLowerCase();
  if (!REVERSED_TLDS.has(tld)) {
    // A country code, under a second level: `ku.oc.` for `.co.uk`.
    const second = s.indexOf('.', first + 1);
    if (tld.length !== 2 || second === -1 || second >= at) return -1;
    if (!REVERSED_SECOND_LEVEL.has(s.slice(first + 1, second).toLowerCase())) return -1;
  }
  const domain = reversedLabel(s, l, at);
  if (domainEnd(domain, 0) !== domain.length) return -1;
  let r = at + 1;
  while (r < s.length && (EMAIL_CHAR[s.charCodeAt(r)] & LOCAL) !== 0) r++;
  while (r > at + 1 && s.charCodeAt(r - 1) === 46) r--;
  return r > at + 1 ? r : -1;
}

/** Start of a quoted local part `"..."` that ends right before the `@` at `at`, or -1. */
function quotedLocalStart(s: string, at: number): number {
  if (at < 3 || s.charCodeAt(at - 1) !== 34) return -1;
  for (let i = at - 2; i >= 0 && i >= at - 66; i--) {
    const c = s.charCodeAt(i);
    if (c === 34) return i < at - 2 ? i : -1;
    if (c < 32 || c === 64) return -1;
  }
  return -1;
}

/**
 * Finds `local@domain.tld` around each `@`, and addresses written backwards. `skip` holds the
 * `@`s that close a URL password: `user:pw@db.example.com` is a credential and a host, not an
 * address.
 */
export function detectEmails(s: string, out: Span[], skip?: ReadonlySet<number>): void {
  let at = s.indexOf('@');
  while (at !== -1) {
    if (skip?.has(at)) {
      at = s.indexOf('@', at + 1);
      continue;
    }
    let l = at;
    while (l > 0 && (EMAIL_CHAR[s.charCodeAt(l - 1)] & LOCAL) !== 0) l--;
    while (l < at && s.charCodeAt(l) === 46) l++;
    if (l === at) {
      const quoted = quotedLocalStart(s, at);
      const end = quoted === -1 ? -1 : domainEnd(s, at + 1);
      if (end !== -1) {
        // RFC 5322's quoted local part (`"ana.silva"@contoso.com`): masked whole.
        out.push({ start: quoted, end, dataClass: 'pii.email', disguised: true } as Finding);
        at = s.indexOf('@', end);
        continue;
      }
    }
    const r = l < at ? domainEnd(s, at + 1) : -1;
    if (r !== -1 && !isCardLocalPart(s, l, at)) {
      // `moc.osotnoc@avlis.ana` reads forwards too; a known top-level domain before the `@`
      // says which way it was written, and the address is masked whole.
      const finding: Finding = { start: l, end: r, dataClass: 'pii.email' };
      if (reversedEnd(s, l, at) !== -1) finding.disguised = true;
      out.push(finding);
      detectMailboxName(s, l, r, out);
      at = s.indexOf('@', r);
      continue;
    }
    let d = at;
    while (d > 0 && (EMAIL_CHAR[s.charCodeAt(d - 1)] & DOMAIN) !== 0) d--;
    const reversed = reversedEnd(s, d, at);
    if (reversed !== -1) {
      const finding: Finding = { start: d, end: reversed, dataClass: 'pii.email', disguised: true };
      out.push(finding);
      at = s.indexOf('@', reversed);
    } else {
      at = s.indexOf('@', at + 1);
    }
  }
}

// A display name is a few words: more than this is a sentence, not a mailbox's name.
const MAX_NAME_WORDS = 4;
const MAX_NAME_LENGTH = 80;
const NAME_WORD = /^[\p{L}\p{M}][\p{L}\p{M}'\u2019.-]*$/u;
const NAME_TEXT = /^[\p{L}\p{M}'\u2019. -]+$/u;
// Inside a name, these do not count as one of its words (`José María de la Cruz`).
const PARTICLES = new Set([
  'de',
  'la',
  'del',
  'della',
  'der',
  'den',
  'van',
  'von',
  'da',
  'di',
  'do',
  'dos',
  'du',
  'le',
  'y',
  'e',
  'bin',
  'ibn',
  'al',
  'ten',
  'ter',
  'zu',
]);
// Where a line leads up to an address without naming anyone (`write to <ops@...>`).
const LEAD_WORDS = new Set([
  'to',
  'at',
  'for',
  'from',
  'by',
  'via',
  'and',
  'or',
  'me',
  'us',
  'cc',
  'bcc',
  'email',
  'e-mail',
  'mail',
  'contact',
  'reply',
  'write',
  'send',
  'on',
  'is',
  'was',
]);

/**
 * The person an address belongs to, where the text names them as mail does: `Ana Silva
 * <ana@contoso.com>`, `"Silva, Ana" <ana@contoso.com>` (RFC 5322's display name) and
 * `ana@contoso.com (Ana Silva)` (the older comment form). The name is as identifying as the
 * address beside it, and a log that writes it gives away whose address each masked one is.
 */
function detectMailboxName(s: string, start: number, end: number, out: Span[]): void {
  if (s.charCodeAt(start - 1) === 60 && s.charCodeAt(end) === 62) {
    const before = nameBefore(s, start - 1);
    if (before !== undefined) out.push({ start: before[0], end: before[1], dataClass: 'pii.name' });
    return;
  }
  let open = end;
  if (s.charCodeAt(open) === 32) open++;
  if (s.charCodeAt(open) !== 40) return;
  // Searched within a name's length only: a cell of many addresses each followed by an
  // unclosed `(` must not be read to its end once per address.
  const close = boundedIndexOf(s, 41, open + 1, open + 2 + MAX_NAME_LENGTH);
  if (close === -1) return;
  const inner = s.slice(open + 1, close);
  if (NAME_TEXT.test(inner) && inner.trim().length > 0) {
    out.push({ start: open + 1, end: close, dataClass: 'pii.name' });
  }
}

/**
 * The display name that ends before the `<` at `lt`: quoted whole, or the words before it, in
 * any case (a name written in lower case is still a name), up to a word that only leads up to
 * an address. Masking a word too many is the safe side.
 */
function nameBefore(s: string, lt: number): [number, number] | undefined {
  let end = lt;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  if (end === 0) return undefined;
  if (s.charCodeAt(end - 1) === 34) {
    const open = boundedLastIndexOf(s, 34, end - 2, end - 2 - MAX_NAME_LENGTH);
    if (open === -1 || s.slice(open, end).includes('\n')) return undefined;
    return open + 1 < end - 1 ? [open + 1, end - 1] : undefined;
  }
  let start = end;
  let first = end;
  let words = 0;
  // Read back at most a name's length: `x<a@b.co>` repeated has no space to stop at, and
  // reading to the start of the text for each address took 88 s for 720 KB.
  const floor = Math.max(0, end - MAX_NAME_LENGTH);
  while (words < MAX_NAME_WORDS) {
    let w = start;
    while (w > floor && !isSpaceOrEdge(s.charCodeAt(w - 1))) w--;
    // A word that runs past a name's length is no word of one.
    if (w === floor && w > 0 && !isSpaceOrEdge(s.charCodeAt(w - 1))) break;
    const word = s.slice(w, start);
    if (w === start || !NAME_WORD.test(word) || LEAD_WORDS.has(word.toLowerCase())) break;
    if (!PARTICLES.has(word)) {
      words++;
      first = w;
    }
    start = w;
    if (start === 0 || s.charCodeAt(start - 1) !== 32) break;
    start--;
  }
  return words === 0 ? undefined : [first, end];
}

/** First `c` in `s` from `from` up to (not including) `to`, or -1. */
function boundedIndexOf(s: string, c: number, from: number, to: number): number {
  const end = Math.min(to, s.length);
  for (let i = from; i < end; i++) if (s.charCodeAt(i) === c) return i;
  return -1;
}

/** Last `c` in `s` from `from` down to (not below) `to`, or -1. */
function boundedLastIndexOf(s: string, c: number, from: number, to: number): number {
  for (let i = from; i >= Math.max(0, to); i--) if (s.charCodeAt(i) === c) return i;
  return -1;
}

function isSpaceOrEdge(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
