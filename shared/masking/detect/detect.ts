import { compareClasses } from '../classes.js';
import type { Span } from '../types.js';
import { detectEmails } from './email.js';
import { detectIbans } from './iban.js';
import { detectIpv6 } from './ipv6.js';
import { normalise } from './normalise.js';
import { detectNumbers } from './numbers.js';
import { detectSecretPairs } from './pairs.js';
import {
  AT,
  DASH,
  DISGUISE,
  EQ,
  IBAN,
  IPV6,
  JWT,
  NUMBER,
  numberRuns,
  PAIR,
  prescan,
  REVERSED_IBAN,
  SCHEME,
  TOKEN,
} from './prescan.js';
import { detectJwts, detectPrivateKeys, detectStorageKeys } from './secrets.js';
import { type Finding, overlapsAny } from './span.js';
import { detectSpelled } from './spelled.js';
import { nestedScans, scanTokens } from './tokens.js';
import { detectUrlCredentials } from './url.js';

/**
 * Content detection entry point. One cheap loop over the text records which detectors could
 * possibly match; only those then run. Most cells (ids, words, timestamps, amounts) stop
 * after that loop.
 */

// Shared empty answer for the common case; frozen so no caller can fill it by mistake.
const NONE = Object.freeze([]) as unknown as Span[];

// Where the detectors put their findings, reused: a fresh list per flagged cell was most of
// what a scan allocated. Detection is synchronous, so no call can interleave. Emptied with
// pop, which keeps the capacity (setting the length to 0 gives it back and costs more).
const found: Span[] = [];
// The same for spelled.ts's findings; read before any other detection runs.
const spelled: Finding[] = [];

function clear(list: Span[]): void {
  while (list.length > 0) list.pop();
}

/**
 * Sensitive spans in `text`, sorted, overlaps merged into the most restrictive class. The
 * list may be reused by the next call: read it before detecting again (the package's public
 * `detect` hands out a copy). A span found only once a disguise was undone is a `Finding`
 * marked `disguised`.
 */
export function detect(text: string): Span[] {
  return detectIn(text, true);
}

/** What a token decodes to, scanned (and normalised) without decoding again. */
function detectDecoded(text: string): Span[] {
  return detectIn(text, false);
}

function detectIn(text: string, decode: boolean): Span[] {
  const n = text.length;
  if (n < 3) return NONE;
  const spans = detectHinted(text, decode);
  return n < 9 ? spans : withSpelled(text, spans);
}

function detectHinted(text: string, decode: boolean): Span[] {
  const hints = prescan(text);
  if (hints === 0 || (hints === DASH && text.length < 40)) return NONE;
  if ((hints & DISGUISE) !== 0) return detectDisguised(text, hints, decode);
  return detectPlain(text, hints, decode);
}

/**
 * The findings with the numbers the text spells otherwise (spelled.ts): letters, words,
 * look-alikes, odd separators. Words and letters have no digit for the pre-scan to stop at,
 * so this runs on every text long enough to spell one.
 */
function withSpelled(text: string, spans: Span[]): Span[] {
  clear(spelled);
  detectSpelled(text, spelled);
  if (spelled.length === 0) return spans;
  // Only where nothing was found: what the printed shapes found keeps its own masking (a
  // card's last four shown), and a spelled reading of the same digits adds nothing.
  const more = spelled.filter((f) => !overlapsAny(spans, f.start, f.end));
  if (more.length === 0) return spans;
  return merge([...spans, ...more]);
}

/**
 * The text as it is and its normalised view are both scanned: undoing a disguise must not
 * lose what the text showed plainly. Findings of the view are mapped back to the original,
 * and marked disguised where the original differs from what the view read.
 */
function detectDisguised(text: string, hints: number, decode: boolean): Span[] {
  const plain = detectPlain(text, hints, decode);
  // Decoded text is read while a view may still be: it gets views of its own.
  const normalised = normalise(text, decode ? 0 : 1);
  if (normalised === undefined) return plain;
  const spans: Finding[] = plain.slice();
  const viewText = normalised.text;
  const seenPlain = viewText.length < 3 ? NONE : detectPlain(viewText, prescan(viewText), decode);
  // Spelled shapes in the view too: a card's groups in Arabic-Indic digits joined by pipes.
  const seen = viewText.length < 9 ? seenPlain : withSpelled(viewText, seenPlain);
  for (const s of seen as Finding[]) {
    const start = normalised.starts[s.start];
    const end = normalised.ends[s.end - 1];
    const disguised = s.disguised === true || text.slice(start, end) !== viewText.slice(s.start, s.end);
    spans.push(
      disguised ? { start, end, dataClass: s.dataClass, disguised } : { start, end, dataClass: s.dataClass },
    );
  }
  clear(found);
  for (const s of spans) found.push(s);
  return found.length === 0 ? NONE : merge(found);
}

function detectPlain(text: string, scanned: number, decode: boolean): Span[] {
  const n = text.length;
  let hints = scanned;
  // Tokens first, as decoding one scans its text with these same shared lists.
  let tokens: Finding[] | undefined;
  if (hints & TOKEN) {
    const before = nestedScans();
    tokens = scanTokens(text, decode ? detectDecoded : undefined);
    // A nested scan left its own runs behind: take this text's again.
    if (nestedScans() !== before) hints = prescan(text);
  }
  const out = found;
  // It still holds the previous text's findings, which its caller has read by now.
  clear(out);
  if (tokens !== undefined) for (const t of tokens) out.push(t);
  // Secrets first: their values often look like numbers, emails or base64 noise.
  if (hints & DASH && n >= 40) detectPrivateKeys(text, out);
  if (hints & JWT) detectJwts(text, out);
  if (hints & EQ && n >= 88) detectStorageKeys(text, out);
  if (hints & PAIR) detectSecretPairs(text, out);
  if (hints & AT) {
    // A password's closing `@` is not an address: URLs go first and tell the email detector.
    detectEmails(text, out, hints & SCHEME ? detectUrlCredentials(text, out) : undefined);
  }
  if (hints & IBAN && n >= 15) detectIbans(text, out, (hints & REVERSED_IBAN) !== 0);
  if (hints & NUMBER) detectNumbers(text, numberRuns, out);
  if (hints & IPV6) detectIpv6(text, out);
  return out.length === 0 ? NONE : merge(out);
}

function inOrder(a: Span, b: Span): number {
  return a.start - b.start || b.end - a.end;
}

function merge(spans: Span[]): Span[] {
  if (spans.length === 1) return spans;
  // Detectors report left to right, so a list is often in order already; the sort is stable,
  // so skipping it then changes nothing.
  let sorted = true;
  for (let i = 1; i < spans.length && sorted; i++) sorted = inOrder(spans[i - 1], spans[i]) <= 0;
  if (!sorted) spans.sort(inOrder);
  const merged: Span[] = [];
  let cur: Finding = { ...spans[0] };
  for (let i = 1; i < spans.length; i++) {
    const s: Finding = spans[i];
    if (s.start < cur.end) {
      if (s.end > cur.end) cur.end = s.end;
      if (compareClasses(s.dataClass, cur.dataClass) < 0) cur.dataClass = s.dataClass;
      if (s.disguised === true) cur.disguised = true;
    } else {
      merged.push(cur);
      cur = { ...s };
    }
  }
  merged.push(cur);
  return merged;
}
