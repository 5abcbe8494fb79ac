import { createHmac } from 'node:crypto';

/**
 * Keyed deterministic tokens: the same value under the same key always gives the same token,
 * so joins and group-bys still work, while nobody without the key can test a guess.
 */
export type Tokenize = (value: string) => string;

/** Short keys make tokens guessable by brute force over the key. */
export const MIN_TOKEN_KEY_BYTES = 16;
const CACHE_LIMIT = 10_000;

export function createTokenizer(key: string | Uint8Array): Tokenize {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length < MIN_TOKEN_KEY_BYTES) {
    throw new Error(`Masking token key must be at least ${MIN_TOKEN_KEY_BYTES} bytes`);
  }
  // Results repeat the same values (names, ids) often; HMAC is the costly step.
  const cache = new Map<string, string>();
  return (value) => {
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const token = `tok_${createHmac('sha256', bytes).update(value, 'utf8').digest('hex').slice(0, 16)}`;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(value, token);
    return token;
  };
}
