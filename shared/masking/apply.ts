import type { Operator } from './operators.js';
import type { Tokenize } from './token.js';

/** Replacement for anything redacted; fixed so it carries no information about the value. */
export const REDACTED = '[REDACTED]';

/** Formatting characters dropped before partial masking, so `4111 1111 ...` keeps only digits. */
function isFormatting(c: number): boolean {
  // \s (ASCII whitespace and the Unicode spaces) - ( ) + . /
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 45 ||
    c === 40 ||
    c === 41 ||
    c === 43 ||
    c === 46 ||
    c === 47 ||
    (c > 127 && /\s/.test(String.fromCharCode(c)))
  );
}

/** Keeps at most `keep` trailing characters and never more than half, so short values stay hidden. */
export function partial(value: string, keep: number): string {
  let kept = '';
  let length = 0;
  // Walk from the end: only the last `keep` kept characters are ever needed.
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    if (isFormatting(c)) continue;
    if (kept.length < keep) kept = value[i] + kept;
    length++;
  }
  const shown = Math.min(keep, Math.floor(length / 2));
  return '*'.repeat(length - shown) + kept.slice(kept.length - shown);
}

/** `john.doe@contoso.com` -> `j***@contoso.com`; anything that is not an address is redacted. */
export function emailMask(value: string): string {
  // A hand loop: lastIndexOf is a runtime call that costs more than the few characters of a domain.
  let at = value.length - 1;
  while (at >= 0 && value.charCodeAt(at) !== 64) at--;
  if (at <= 0 || at === value.length - 1) return REDACTED;
  return `${value[0]}***${value.slice(at)}`;
}

export function applyToString(value: string, op: Operator, tokenize: Tokenize | undefined): string | null {
  switch (op.kind) {
    case 'redact':
      return REDACTED;
    case 'partial':
      return partial(value, op.keep);
    case 'email':
      return emailMask(value);
    case 'token':
      if (!tokenize) throw new TypeError('token operator without a key');
      return tokenize(value);
    case 'null':
      return null;
    case 'default':
      return '';
  }
}

/** Bytes in any wrapper (Buffer, typed arrays, DataView, ArrayBuffer). */
export function isBinary(value: object): value is ArrayBuffer | ArrayBufferView {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/**
 * Masks a whole cell of any type. Scalars are masked through their text form; binary values
 * are only ever redacted or nulled (no operator can show part of bytes safely); JSON values
 * are redacted whole, or tokenised through their serialisation.
 */
export function applyToValue(value: unknown, op: Operator, tokenize: Tokenize | undefined): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string':
      return applyToString(value, op, tokenize);
    case 'number':
      if (op.kind === 'default') return 0;
      return applyToString(String(value), op, tokenize);
    case 'bigint':
      if (op.kind === 'default') return 0n;
      return applyToString(value.toString(), op, tokenize);
    case 'boolean':
      if (op.kind === 'default') return false;
      return applyToString(String(value), op, tokenize);
    case 'object': {
      if (op.kind === 'null' || op.kind === 'default') return null;
      if (value instanceof Date) {
        const text = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
        return applyToString(text, op, tokenize);
      }
      if (isBinary(value) || op.kind !== 'token') return REDACTED;
      const json = JSON.stringify(value);
      if (typeof json !== 'string') throw new TypeError('value has no JSON form');
      return applyToString(json, op, tokenize);
    }
    default:
      throw new TypeError(`cannot mask a value of type ${typeof value}`);
  }
}
