import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

/**
 * RFC 8785 (JSON Canonicalization Scheme): one byte sequence per JSON value, so hashes and
 * signatures over audit events do not depend on key order or number formatting.
 */
// The package is CommonJS (`module.exports = serialize`) with ESM-style typings.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** Hex SHA-256 of a value's canonical JSON. */
export function canonicalSha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
