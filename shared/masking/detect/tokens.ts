import { compareClasses } from '../classes.js';
import type { Span } from '../types.js';
import { isAlnum, isDigit, isHex } from './chars.js';
import type { Finding } from './span.js';

/**
 * Long tokens of letters and digits: API keys known by their prefix (AWS access keys,
 * GitHub, Slack, OpenAI-style, Stripe live and Google API keys), and base64 or hex that
 * decodes to text holding a finding, which is masked whole. The pre-scan only asks for this
 * when a digit is glued to a letter, a run of digits looks like hex of text, base64 padding
 * closes a token or 16 letters stand in a row, so prose, amounts and dates never pay for it.
 */

// Characters of a token: base64 and base64url together; `=` only as padding at its end. The
// bits of a token's characters are gathered as it is read: those all of them have, and any.
const BASE64 = 1; // in the standard alphabet
const URL_SAFE = 2; // in the URL-safe alphabet
const HEX_OR_DASH = 4;
const DASH = 8;
const UPPER = 16;
const LOWER = 32;
const TOKEN_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (!isAlnum(c)) continue;
  TOKEN_CHAR[c] = BASE64 | URL_SAFE | (isHex(c) ? HEX_OR_DASH : 0);
  if (c >= 65 && c <= 90) TOKEN_CHAR[c] |= UPPER;
  if (c >= 97 && c <= 122) TOKEN_CHAR[c] |= LOWER;
}
TOKEN_CHAR[43] = BASE64; // +
TOKEN_CHAR[47] = BASE64; // /
TOKEN_CHAR[45] = URL_SAFE | HEX_OR_DASH | DASH; // -
TOKEN_CHAR[95] = URL_SAFE; // _

function tokenChar(c: number): number {
  return c < 128 ? TOKEN_CHAR[c] : 0;
}

/** Shortest token decoded: 9 bytes of base64 (`a0a@b.com`), 6 of hex. */
const MIN_ENCODED = 12;
/** Longest token decoded: a cell can be a megabyte; its encoded parts are rarely long. */
const MAX_ENCODED = 8192;

function isUpperOrDigit(c: number): boolean {
  return (c >= 65 && c <= 90) || isDigit(c);
}

function isKeyChar(c: number): boolean {
  return isAlnum(c) || c === 95 || c === 45;
}

/** Length of the run of key characters from `i` within [i, end), alphanumerics only when `alnum`. */
function runOf(s: string, i: number, end: number, alnum: boolean): number {
  let k = i;
  while (k < end && (alnum ? isAlnum(s.charCodeAt(k)) : isKeyChar(s.charCodeAt(k)))) k++;
  return k - i;
}

function hasDigit(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isDigit(s.charCodeAt(i))) return true;
  return false;
}

/** End of a key with a known prefix starting at `i` (the token runs to `end`), or -1. */
function prefixedKey(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  const rest = end - i;
  if (rest < 20) return -1;
  switch (c) {
    case 65: {
      // AWS access key ids `AKIA`/`ASIA` + 16, Google API keys `AIza` + 35.
      if (s.startsWith('AKIA', i) || s.startsWith('ASIA', i)) {
        let k = i + 4;
        while (k < end && isUpperOrDigit(s.charCodeAt(k))) k++;
        return k - i === 20 && (k === end || !isKeyChar(s.charCodeAt(k))) ? k : -1;
      }
      if (!s.startsWith('AIza', i)) return -1;
      const run = runOf(s, i + 4, end, false);
      return run >= 35 ? i + 4 + run : -1;
    }
    case 103: {
      // GitHub: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36; fine-grained `github_pat_`.
      if (s.startsWith('github_pat_', i)) {
        const run = runOf(s, i + 11, end, false);
        return run >= 22 ? i + 11 + run : -1;
      }
      const kind = s.charCodeAt(i + 2);
      if (s.charCodeAt(i + 1) !== 104 || s.charCodeAt(i + 3) !== 95) return -1;
      if (kind !== 112 && kind !== 111 && kind !== 117 && kind !== 115 && kind !== 114) return -1;
      const run = runOf(s, i + 4, end, true);
      return run >= 30 ? i + 4 + run : -1;
    }
    case 120: {
      // Slack: `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, app tokens `xapp-`.
      const slack =
        (s.startsWith('xox', i) && 'bpars'.includes(s[i + 3]) && s.charCodeAt(i + 4) === 45) ||
        s.startsWith('xapp-', i);
      if (!slack) return -1;
      const run = runOf(s, i + 5, end, false);
      return run >= 10 && hasDigit(s, i + 5, i + 5 + run) ? i + 5 + run : -1;
    }
    case 115:
    case 114: {
      // Stripe live keys `sk_live_`, `rk_live_`; OpenAI-style `sk-...`, `sk-proj-...`.
      if (s.startsWith('k_live_', i + 1)) {
        const run = runOf(s, i + 8, end, true);
        return run >= 16 ? i + 8 + run : -1;
      }
      if (c !== 115 || s.charCodeAt(i + 1) !== 107 || s.charCodeAt(i + 2) !== 45) return -1;
      const run = runOf(s, i + 3, end, false);
      // Random keys hold digits; `sk-learn-something-long` is a name.
      return run >= 20 && hasDigit(s, i + 3, i + 3 + run) ? i + 3 + run : -1;
    }
    default:
      return -1;
  }
}

// Decoded bytes are text when they are printable and valid UTF-8.
const utf8 = new TextDecoder('utf-8');

function decodedText(bytes: Uint8Array): string | undefined {
  if (bytes.length < 3) return undefined;
  for (const b of bytes) if ((b < 32 && b !== 9 && b !== 10 && b !== 13) || b === 127) return undefined;
  const text = utf8.decode(bytes);
  return text.includes('\uFFFD') ? undefined : text;
}

/** Hex text: every byte of printable ASCII starts with a nibble 2–7, of UTF-8 with 8–f. */
function hexText(s: string, from: number, to: number): string | undefined {
  if ((to - from) % 2 !== 0) return undefined;
  for (let i = from; i < to; i += 2) {
    const hi = s.charCodeAt(i);
    if (hi === 48 || hi === 49) return undefined;
  }
  return decodedText(Buffer.from(s.slice(from, to), 'hex'));
}

function base64Text(s: string, from: number, to: number, kinds: number): string | undefined {
  if (kinds === 0) return undefined;
  // No base64 ends with a single character past a whole group.
  if ((to - from) % 4 === 1) return undefined;
  return decodedText(Buffer.from(s.slice(from, to), kinds & BASE64 ? 'base64' : 'base64url'));
}

/**
 * The dashes of a UUID at `i` and nothing glued after it: request ids are the commonest
 * token with digits glued to letters, and are passed over without reading them.
 */
function uuidAt(s: string, i: number): boolean {
  return (
    s.charCodeAt(i + 8) === 45 &&
    s.charCodeAt(i + 13) === 45 &&
    s.charCodeAt(i + 18) === 45 &&
    s.charCodeAt(i + 23) === 45 &&
    (i + 36 >= s.length || tokenChar(s.charCodeAt(i + 36)) === 0) &&
    (i === 0 || tokenChar(s.charCodeAt(i - 1)) === 0)
  );
}

let nested = 0;

/** How many decoded texts were scanned so far: a caller sees whether its shared lists were used. */
export function nestedScans(): number {
  return nested;
}

/** The most restrictive class among `spans`, or undefined. */
function worstOf(spans: readonly Span[]): string | undefined {
  let worst: string | undefined;
  for (const s of spans)
    if (worst === undefined || compareClasses(s.dataClass, worst) < 0) worst = s.dataClass;
  return worst;
}

/**
 * A token of base64 or hex whose text holds a finding: the class of the worst one, or
 * undefined. `all` and `any` are the bits its characters all have and any has.
 */
function encodedFinding(
  s: string,
  from: number,
  to: number,
  all: number,
  any: number,
  scan: (text: string) => Span[],
): string | undefined {
  const allHex = (all & HEX_OR_DASH) !== 0;
  // UUIDs and dashed hex ids are not encodings.
  if (allHex && (any & DASH) !== 0) return undefined;
  // Hex is of one case; base64 of digits is digits and capitals (`NDEx...`).
  const mixedCase = (any & (UPPER | LOWER)) === (UPPER | LOWER);
  const text =
    allHex && !mixedCase ? hexText(s, from, to) : base64Text(s, from, to, all & (BASE64 | URL_SAFE));
  if (text === undefined) return undefined;
  nested++;
  return worstOf(scan(text));
}

/**
 * Hex behind its prefix: `0x3431...`, or PostgreSQL's own bytea text form `\x3431...` (the
 * backslash is not a token character, so the token starts at the `x`). Red-team round 44.
 */
function prefixedHexFinding(
  s: string,
  start: number,
  end: number,
  scan: (text: string) => Span[],
): string | undefined {
  const c = s.charCodeAt(start);
  const skip =
    c === 48 && (s.charCodeAt(start + 1) | 32) === 120
      ? 2
      : (c | 32) === 120 && start > 0 && s.charCodeAt(start - 1) === 92
        ? 1
        : 0;
  if (skip === 0 || end - start - skip < MIN_ENCODED) return undefined;
  let all = HEX_OR_DASH | UPPER | LOWER;
  let any = 0;
  for (let k = start + skip; k < end; k++) {
    const bits = tokenChar(s.charCodeAt(k));
    all &= bits | UPPER | LOWER;
    any |= bits;
  }
  if ((all & HEX_OR_DASH) === 0) return undefined;
  return encodedFinding(s, start + skip, end, all, any, scan);
}

/**
 * Findings in the tokens of `s`: prefixed keys, and with `scan` the encoded tokens whose
 * decoded text `scan` finds something in. The list is the caller's; undefined when empty.
 */
export function scanTokens(s: string, scan: ((text: string) => Span[]) | undefined): Finding[] | undefined {
  const n = s.length;
  let out: Finding[] | undefined;
  for (let i = 0; i < n; ) {
    let all = tokenChar(s.charCodeAt(i));
    if (all === 0) {
      i++;
      continue;
    }
    const start = i;
    if (uuidAt(s, i)) {
      i += 36;
      continue;
    }
    let any = all;
    for (i++; i < n; i++) {
      const k = tokenChar(s.charCodeAt(i));
      if (k === 0) break;
      all &= k;
      any |= k;
    }
    if (i - start < MIN_ENCODED) continue;
    const key = prefixedKey(s, start, i);
    if (key !== -1) {
      out ??= [];
      out.push({ start, end: key, dataClass: 'secret' });
      continue;
    }
    if (scan === undefined || i - start > MAX_ENCODED) continue;
    // Padding is part of the token, not of what it decodes to.
    let end = i;
    while (end < n && end - i < 2 && s.charCodeAt(end) === 61) end++;
    const dataClass = encodedFinding(s, start, i, all, any, scan) ?? prefixedHexFinding(s, start, i, scan);
    i = end;
    if (dataClass !== undefined) {
      out ??= [];
      out.push({ start, end, dataClass, disguised: true });
    }
  }
  return out;
}
