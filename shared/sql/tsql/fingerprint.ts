import { createHash } from 'node:crypto';
import type { Token } from './tokens.js';

/**
 * SHA-256 over the token stream with comments and whitespace gone, names lower-cased and
 * every literal replaced: formatting and constant values do not change it, names do.
 */
export function fingerprintTsql(tokens: Token[]): string {
  const normal = tokens
    .filter((t) => t.kind !== 'newline')
    .map((t) => (t.kind === 'string' || t.kind === 'number' ? '?' : quotedAsWord(t)))
    .join(' ');
  return createHash('sha256').update(normal).digest('hex');
}

/** `[customers]` and `customers` name the same table; only odd names keep their brackets. */
function quotedAsWord(token: Token): string {
  if (token.kind !== 'quoted' || /^[a-z_][a-z0-9_]*$/.test(token.value)) return token.value;
  return `[${token.value}]`;
}
