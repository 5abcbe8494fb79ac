import { decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';
import { InvalidTokenError } from '../errors.js';
import type { Principal } from '../types.js';
import { extractBearerToken } from './bearer.js';
import type { KeyResolver } from './key-resolver.js';
import { principalFromClaims } from './principal.js';
import { DEFAULT_TOKEN_CACHE_ENTRIES, MAX_TOKEN_CACHE_AGE_SEC, VerifiedTokenCache } from './token-cache.js';
import { tokenFailureReason } from './token-failure.js';
import { tokenDigests } from './token-identity.js';
import { type TrustedIssuer, trustedIssuers } from './trusted-issuers.js';

export { wwwAuthenticate } from './bearer.js';

export interface TokenVerifierOptions {
  /** Entra ID: only these tenant ids, only these audiences, RS256 only. */
  entra?: { tenants: string[]; audiences: string[]; keys?: KeyResolver };
  /** The local development issuer: ES256 only. */
  dev?: { issuer: string; audience: string; keys: KeyResolver };
  /** Clock for tests; the real clock otherwise. */
  now?: () => Date;
  /** Allowed clock skew for `exp` / `nbf`, in seconds (default 60). */
  clockToleranceSec?: number;
  /**
   * The cache of verified tokens: at most `maxEntries` tokens (default 10,000; 0 turns it
   * off), each for at most `maxAgeSec` seconds (default and ceiling 600) and never past its
   * `exp` (plus the clock tolerance).
   */
  tokenCache?: { maxEntries?: number; maxAgeSec?: number };
}

export interface TokenVerifier {
  /** Resolves the caller, or rejects with InvalidTokenError whatever went wrong. */
  verify(authorization: string | null | undefined): Promise<Principal>;
}

/** The verifier `createTokenVerifier` makes: a TokenVerifier whose cache can be looked at. */
export interface CachingTokenVerifier extends TokenVerifier {
  /** How many tokens the cache holds now (one per `tokenIdentity`, whatever the signature spelling). */
  cachedTokens(): number;
}

const keyResolver = z.custom<KeyResolver>((v) => typeof v === 'function', 'expected a key resolver function');
const nonEmptyList = z.array(z.string().trim().min(1)).min(1);

const optionsSchema = z
  .strictObject({
    entra: z
      .strictObject({
        tenants: z.array(z.guid()).min(1),
        audiences: nonEmptyList,
        keys: keyResolver.optional(),
      })
      .optional(),
    dev: z.strictObject({ issuer: z.url(), audience: z.string().min(1), keys: keyResolver }).optional(),
    now: z.custom<() => Date>((v) => typeof v === 'function', 'expected a function').optional(),
    clockToleranceSec: z.number().int().min(0).max(300).default(60),
    tokenCache: z
      .strictObject({
        maxEntries: z.number().int().min(0).max(1_000_000).default(DEFAULT_TOKEN_CACHE_ENTRIES),
        maxAgeSec: z.number().int().min(1).max(MAX_TOKEN_CACHE_AGE_SEC).default(MAX_TOKEN_CACHE_AGE_SEC),
      })
      .default({ maxEntries: DEFAULT_TOKEN_CACHE_ENTRIES, maxAgeSec: MAX_TOKEN_CACHE_AGE_SEC }),
  })
  .refine(
    (o) => o.entra !== undefined || o.dev !== undefined,
    'configure at least one issuer (entra or dev)',
  );

/**
 * Checks the options once; misuse is a TypeError at start-up, never a per-request surprise.
 *
 * A token seen before with exactly the same bytes skips jose. A token whose `header.payload`
 * is cached but whose signature is spelled differently (an ES256 (r, n - s), a re-encoded
 * last character) is verified with jose like any new token and, if it passes, maps to the
 * cached principal: the signing input names the token, the signature only has to be valid.
 * A token that fails is never cached and leaves the cache as it was.
 */
export function createTokenVerifier(options: TokenVerifierOptions): CachingTokenVerifier {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new TypeError(`Invalid token verifier options: ${issues.join('; ')}`);
  }
  const { entra, dev, now, clockToleranceSec, tokenCache } = parsed.data;
  const issuers = trustedIssuers(entra, dev);
  const cache = new VerifiedTokenCache({ ...tokenCache, clockToleranceSec });

  return {
    async verify(authorization) {
      const token = extractBearerToken(authorization);
      // One reading of the clock for the cache and for jose, so both judge the same instant.
      const currentDate = now?.() ?? new Date();
      const nowMs = currentDate.getTime();
      const { identity, signature } = tokenDigests(token);
      const cached = cache.hit(identity, signature, nowMs);
      if (cached !== undefined) return cached;

      const trusted = routeByIssuer(token, issuers);
      let payload: JWTPayload;
      try {
        // The issuer is checked again here: routing read it from an unverified payload.
        ({ payload } = await jwtVerify(token, trusted.keys, {
          issuer: trusted.issuer,
          audience: trusted.audiences,
          algorithms: trusted.algorithms,
          requiredClaims: ['exp'],
          clockTolerance: clockToleranceSec,
          currentDate,
        }));
      } catch (e) {
        throw new InvalidTokenError(tokenFailureReason(e), e);
      }
      if (trusted.tenantId !== undefined && !sameTenant(payload.tid, trusted.tenantId)) {
        throw new InvalidTokenError('tenant_mismatch');
      }
      const principal = principalFromClaims(payload, trusted.issuer);
      // jose has checked that exp is a number (required) and nbf, when present, is one too.
      const validity = {
        exp: Number(payload.exp),
        nbf: payload.nbf === undefined ? undefined : Number(payload.nbf),
      };
      return cache.store(identity, signature, principal, validity, nowMs);
    },
    cachedTokens: () => cache.size,
  };
}

/**
 * Picks the keys and algorithms by the token's own `iss`. This is routing only: nothing in
 * the payload is trusted until jwtVerify has checked the signature and the issuer.
 */
function routeByIssuer(token: string, issuers: Map<string, TrustedIssuer>): TrustedIssuer {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch (e) {
    throw new InvalidTokenError('malformed', e);
  }
  const trusted = typeof iss === 'string' ? issuers.get(iss) : undefined;
  if (trusted === undefined) throw new InvalidTokenError('unknown_issuer');
  return trusted;
}

/** Entra repeats the issuer's tenant in `tid`; a token naming another tenant is refused. */
function sameTenant(tid: unknown, tenantId: string): boolean {
  return typeof tid === 'string' && tid.toLowerCase() === tenantId;
}
