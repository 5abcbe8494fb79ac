import type { Span } from '../types.js';
import { isAlnum } from './chars.js';

/**
 * `key=value` and `key: value` pairs whose key names a secret: generic credentials, Azure
 * connection-string keys, and the `sig` of a SAS token. Only the value is masked, so the text
 * still says what was there.
 */
const SECRET_KEYS = [
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'api-key',
  'accountkey',
  'sharedaccesskey',
  'sharedaccesssignature',
  'secret_access_key',
  'secret_key',
  'private_key',
  'passphrase',
];

const LAST_LETTERS = new Set(['d', 't', 'n', 'y', 'e', 'g'].map((ch) => ch.charCodeAt(0)));

/** Exact names, or names ending in `_name` / `-name` (`client_secret`, `db-password`). */
export function isSecretKeyName(name: string): boolean {
  const key = name.toLowerCase();
  for (const k of SECRET_KEYS) {
    if (key === k) return true;
    if (key.length > k.length && key.endsWith(k)) {
      const sep = key.charCodeAt(key.length - k.length - 1);
      if (sep === 95 || sep === 45) return true;
    }
  }
  return false;
}

function isKeyChar(c: number): boolean {
  return isAlnum(c) || c === 95 || c === 45;
}

/** Characters that end an unquoted value. */
function endsValue(c: number): boolean {
  return c <= 32 || c === 59 || c === 38 || c === 44 || c === 34 || c === 39 || c === 60 || c === 62;
}

function isSasText(s: string): boolean {
  return s.includes('sv=') || s.includes('se=');
}

/** Next `=` or `:` at or after `from`, or -1; native searches beat a character loop here. */
function nextAssignment(s: string, from: number, eq: number, colon: number): [number, number, number] {
  const e = eq !== -1 && eq < from ? s.indexOf('=', from) : eq;
  const c = colon !== -1 && colon < from ? s.indexOf(':', from) : colon;
  const next = e === -1 ? c : c === -1 ? e : Math.min(e, c);
  return [next, e, c];
}

export function detectSecretPairs(s: string, out: Span[]): void {
  const n = s.length;
  let sas: boolean | undefined;
  let [i, eq, colon] = nextAssignment(s, 1, s.indexOf('='), s.indexOf(':'));
  for (; i !== -1; [i, eq, colon] = nextAssignment(s, i + 1, eq, colon)) {
    if (i === 0) continue;
    let keyEnd = i;
    // `password = 'x'`: spaces may stand between the key and its `=` or `:`.
    while (keyEnd > 1 && s.charCodeAt(keyEnd - 1) === 32) keyEnd--;
    const q = s.charCodeAt(keyEnd - 1);
    if (q === 34 || q === 39) keyEnd--;
    let keyStart = keyEnd;
    while (keyStart > 0 && isKeyChar(s.charCodeAt(keyStart - 1))) keyStart--;
    if (keyEnd - keyStart < 3 || !isAlnum(s.charCodeAt(keyStart))) continue;
    // Every secret key name ends in one of these letters; most keys (times, URLs) are dropped here.
    if (!LAST_LETTERS.has(s.charCodeAt(keyEnd - 1) | 32)) continue;
    const key = s.slice(keyStart, keyEnd);
    if (key.toLowerCase() === 'sig') {
      sas ??= isSasText(s);
      if (!sas) continue;
    } else if (!isSecretKeyName(key)) {
      continue;
    }
    let v = i + 1;
    while (v < n && s.charCodeAt(v) === 32) v++;
    const open = v < n ? s.charCodeAt(v) : -1;
    let start = v;
    let end: number;
    if (open === 34 || open === 39) {
      start = v + 1;
      const close = s.indexOf(open === 34 ? '"' : "'", start);
      end = close === -1 ? n : close;
    } else {
      end = v;
      while (end < n && !endsValue(s.charCodeAt(end))) end++;
    }
    if (end > start) {
      out.push({ start, end, dataClass: 'secret' });
      i = end;
    }
  }
}
