/**
 * A leak check that looks through easy disguises: digits spelled as the letters a-j (what
 * `translate(x, '0123456789', 'abcdefghij')` makes), other scripts' decimal digits,
 * separators between digits, reversal, and base64 or hex encodings of the text.
 */

const DIGIT_LETTERS = 'abcdefghij';

function unicodeDigitsToAscii(text: string): string {
  return text.replace(/\p{Nd}/gu, (d) => {
    const cp = d.codePointAt(0) ?? 48;
    // Decimal digits come in runs of ten in every script: the offset in the run is the value.
    for (let zero = cp; zero >= cp - 9; zero--) {
      if (!/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) return String((cp - zero) % 10);
    }
    return d;
  });
}

function decodedTokens(text: string): string[] {
  const out: string[] = [];
  for (const token of text.match(/[A-Za-z0-9+/=_-]{12,}/g) ?? []) {
    try {
      out.push(Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
    } catch {
      // not base64
    }
    if (/^(?:[0-9a-f]{2})+$/i.test(token)) out.push(Buffer.from(token, 'hex').toString('utf8'));
  }
  return out;
}

/** Every view of the text a reader could undo a disguise into. */
export function disguiseViews(text: string): string[] {
  const base = [text, ...decodedTokens(text)].map(unicodeDigitsToAscii);
  const views: string[] = [];
  for (const t of base) {
    const lower = t.toLowerCase();
    const letters = lower.replace(/[a-j]/g, (c) => String(DIGIT_LETTERS.indexOf(c)));
    for (const v of [lower, letters]) {
      views.push(v, [...v].reverse().join(''));
      const digits = v.replace(/\D/g, '');
      views.push(digits, [...digits].reverse().join(''));
    }
  }
  return views;
}

/**
 * What the gateway itself writes and no reader can decode into data: request ids (UUIDs) and
 * masking tokens (HMACs). Read as digits (a-f as 0-5), a UUID is 32 digits, so one in a few
 * thousand responses "contained" one of 3,000 SSNs by chance: a flaky test, not a leak.
 */
const OPAQUE_IDS = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\btok_[0-9a-f]{16}\b/gi;

function stringsOf(value: unknown, out: string[]): string[] {
  if (typeof value === 'string') out.push(value.replace(OPAQUE_IDS, ' '));
  else if (typeof value === 'number') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsOf(v, out);
    }
  }
  return out;
}

/**
 * Secrets (digit strings or emails) found in any view of any one string of a JSON value,
 * keys included. Each string is looked at on its own, so digits of neighbouring cells never
 * join into a false match.
 */
export function leakedSecrets(json: unknown, secrets: readonly string[]): string[] {
  const views = stringsOf(json, []).flatMap(disguiseViews);
  const needles = secrets.map((secret) => {
    const s = secret.toLowerCase();
    return /^[\d\s-]+$/.test(s) ? s.replace(/\D/g, '') : s;
  });
  return secrets.filter((_, i) => views.some((v) => v.includes(needles[i])));
}
