import { createHash } from 'node:crypto';
import { canonical } from './canonical.js';

/**
 * SHA-256 of the parse tree with positions dropped and literals replaced. Parsing already
 * removes whitespace, comments and keyword case, so only the statement's shape, its
 * identifiers and its parameters decide the fingerprint. (libpg-query's own fingerprint is
 * a 64-bit non-cryptographic hash, too weak to bind an approval to.)
 */
export function fingerprintPostgres(statements: unknown): string {
  return createHash('sha256')
    .update(canonical(statements, { constants: false }))
    .digest('hex');
}
