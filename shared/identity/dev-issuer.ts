import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { z } from 'zod';
import { type DevPrivateJwk, loadOrCreateDevKey } from './dev-key-file.js';
import type { KeyResolver } from './key-resolver.js';

export { parseTtl } from './ttl.js';

/** Who a dev token is for: exactly one of `agent` or `user`. */
export interface MintSpec {
  agent?: string;
  user?: string;
  groups?: string[];
  roles?: string[];
  /** Lifetime in seconds (default 3600). */
  ttlSeconds?: number;
  tenantId?: string;
  /** With `agent`: the user the agent acts for (a delegated, Entra Agent ID style token). */
  onBehalfOf?: string;
}

export interface DevIssuer {
  issuer: string;
  audience: string;
  /** The public key set to serve at the issuer's JWKS endpoint; never contains the private part. */
  jwks(): { keys: JWK[] };
  /** Resolver for `createTokenVerifier({ dev: { keys } })`. */
  keys: KeyResolver;
  mint(spec: MintSpec): Promise<string>;
}

export interface DevIssuerOptions {
  dir: string;
  issuer: string;
  /** Default `api://agentgate`. */
  audience?: string;
  /** Clock for tests; the real clock otherwise. */
  now?: () => Date;
}

const DEFAULT_AUDIENCE = 'api://agentgate';
const DEFAULT_AGENT_ROLES = ['Agent.Query'];
const DEV_SCOPE = 'Query.Read';
/** Entra Agent ID actor facet for an agent identity, used to shape agent-for-user tokens. */
const AGENT_ACTOR_FACET = '11';

const optionsSchema = z.strictObject({
  dir: z.string().min(1),
  issuer: z.url(),
  audience: z.string().min(1).default(DEFAULT_AUDIENCE),
  now: z.custom<() => Date>((v) => typeof v === 'function', 'expected a function').optional(),
});

/** Names become ids such as `agent:billing-bot`; keep them short and free of separators. */
const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_" or "-"');

const mintSpecSchema = z
  .strictObject({
    agent: nameSchema.optional(),
    user: nameSchema.optional(),
    groups: z.array(z.string().min(1)).optional(),
    roles: z.array(z.string().min(1)).optional(),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(3600),
    tenantId: z.string().min(1).optional(),
    onBehalfOf: nameSchema.optional(),
  })
  .refine((s) => (s.agent === undefined) !== (s.user === undefined), 'give exactly one of agent or user')
  .refine((s) => s.onBehalfOf === undefined || s.agent !== undefined, 'onBehalfOf goes with an agent');

type CheckedSpec = z.output<typeof mintSpecSchema>;

/** The local issuer behind `agentgate token` and the local host; never trusted in Azure. */
export async function loadOrCreateDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const { dir, issuer, audience, now } = parseOrThrow(optionsSchema, options, 'dev issuer options');
  const privateJwk = await loadOrCreateDevKey(dir);
  const signingKey = await importJWK(privateJwk, 'ES256');
  const jwks = (): { keys: JWK[] } => ({ keys: [publicJwk(privateJwk)] });

  return {
    issuer,
    audience,
    jwks,
    keys: createLocalJWKSet(jwks()),
    async mint(spec) {
      const checked = parseOrThrow(mintSpecSchema, spec, 'mint spec');
      const issuedAt = Math.floor((now?.() ?? new Date()).getTime() / 1000);
      return new SignJWT(claimsFor(checked))
        .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(issuedAt + checked.ttlSeconds)
        .setJti(randomUUID())
        .sign(signingKey);
    },
  };
}

/** Claims shaped like Entra's, so the dev path exercises the same principal rules. */
function claimsFor(spec: CheckedSpec): JWTPayload {
  const tenant = spec.tenantId === undefined ? {} : { tid: spec.tenantId };
  if (spec.agent === undefined) {
    return {
      ...tenant,
      ...userClaims(spec.user ?? ''),
      groups: spec.groups ?? [],
      ...rolesClaim(spec.roles),
    };
  }
  const agentId = `agent:${spec.agent}`;
  const roles = spec.roles ?? DEFAULT_AGENT_ROLES;
  const groups = spec.groups === undefined ? {} : { groups: spec.groups };
  if (spec.onBehalfOf !== undefined) {
    return {
      ...tenant,
      ...userClaims(spec.onBehalfOf),
      azp: agentId,
      app_displayname: spec.agent,
      xms_act_fct: AGENT_ACTOR_FACET,
      roles,
      ...groups,
    };
  }
  return {
    ...tenant,
    sub: agentId,
    oid: agentId,
    azp: agentId,
    idtyp: 'app',
    name: spec.agent,
    roles,
    ...groups,
  };
}

function userClaims(user: string): JWTPayload {
  const userId = `user:${user}`;
  return {
    sub: userId,
    oid: userId,
    idtyp: 'user',
    scp: DEV_SCOPE,
    name: user,
    preferred_username: `${user}@dev.local`,
  };
}

function rolesClaim(roles: string[] | undefined): JWTPayload {
  return roles === undefined ? {} : { roles };
}

function publicJwk(key: DevPrivateJwk): JWK {
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y, kid: key.kid, alg: 'ES256', use: 'sig' };
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TypeError(`Invalid ${what}: ${issues.join('; ')}`);
  }
  return parsed.data;
}
