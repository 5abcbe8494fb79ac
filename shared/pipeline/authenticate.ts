import type { TokenVerifier } from '../identity/index.js';
import type { Principal } from '../types.js';
import type { StageClock } from './stage-clock.js';

/**
 * Stage 1: who is asking. Verifies the bearer token (signature, issuer, audience, expiry)
 * and maps its claims to a Principal; any failure is an InvalidTokenError whose reason is
 * kept for the audit record and the log, never for the caller.
 */
export function authenticate(
  verifier: TokenVerifier,
  authorization: string | null,
  clock: StageClock,
): Promise<Principal> {
  return clock.run('auth', () => verifier.verify(authorization));
}

/** A token shaped like a JWT is worth an audit record even when it fails; noise is not. */
export function looksLikeBearerJwt(header: string | null): boolean {
  return header !== null && /^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(header.trim());
}
