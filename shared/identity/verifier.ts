import { decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';
import { InvalidTokenError } from '../errors.js';
import type { Principal } from '../types.js';
import { extractBearerToken } from './bearer.js';
import type { KeyResolver } from './key-resolver.js';
import { principalFromClaims } from './principal.js';
import { tokenFailureReason } from './token-failure.js';
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
}

export interface TokenVerifier {
  /** Resolves the caller, or rejects with InvalidTokenError whatever went wrong. */
  verify(authorization: string | null | undefined): Promise<Principal>;
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
  })
  .refine(
    (o) => o.entra !== undefined || o.dev !== undefined,
    'configure at least one issuer (entra or dev)',
  );

/** Checks the options once; misuse is a TypeError at start-up, never a per-request surprise. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new TypeError(`Invalid token verifier options: ${issues.join('; ')}`);
  }
  const { entra, dev, now, clockToleranceSec } = parsed.data;
  const issuers = trustedIssuers(entra, dev);

  return {
    async verify(authorization) {
      const token = extractBearerToken(authorization);
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
          currentDate: now?.(),
        }));
      } catch (e) {
        throw new InvalidTokenError(tokenFailureReason(e), e);
      }
      if (trusted.tenantId !== undefined && !sameTenant(payload.tid, trusted.tenantId)) {
        throw new InvalidTokenError('tenant_mismatch');
      }
      return principalFromClaims(payload, trusted.issuer);
    },
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
