import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

/** Finds the public key for a token's header; `createLocalJWKSet` and `createRemoteJWKSet` both fit. */
export type KeyResolver = JWTVerifyGetKey;

/**
 * Every outbound key fetch is bounded: a slow or hostile network must not hold a request
 * open, and a flood of unknown `kid`s must not turn into a flood of fetches to Entra.
 */
const REMOTE_JWKS_OPTIONS = {
  timeoutDuration: 5_000,
  cooldownDuration: 30_000,
  cacheMaxAge: 60 * 60 * 1000,
} as const;

/** Signing keys of one Entra tenant; v1 and v2 tokens of the tenant are signed with the same set. */
export function entraTenantKeys(tenantId: string): KeyResolver {
  const url = new URL(
    `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/discovery/v2.0/keys`,
  );
  return createRemoteJWKSet(url, REMOTE_JWKS_OPTIONS);
}
