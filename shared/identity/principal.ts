import type { JWTPayload } from 'jose';
import { z } from 'zod';
import { InvalidTokenError } from '../errors.js';
import type { Principal } from '../types.js';

/** Entra Agent ID facet value meaning "an agent identity" (in `xms_act_fct` / `xms_sub_fct`). */
const AGENT_FACET = 11;

const nonEmpty = z.string().min(1);
const facets = z.union([z.string(), z.array(z.number())]);

/**
 * Only the claims we read. Anything we read must have the type we expect: a signed token
 * with a `groups` claim holding numbers is refused, not half-read.
 */
const claimsSchema = z.object({
  sub: nonEmpty.optional(),
  oid: nonEmpty.optional(),
  tid: z.string().optional(),
  azp: nonEmpty.optional(),
  appid: nonEmpty.optional(),
  idtyp: z.string().optional(),
  name: z.string().optional(),
  preferred_username: z.string().optional(),
  app_displayname: z.string().optional(),
  scp: z.string().optional(),
  roles: z.array(z.string()).optional(),
  groups: z.array(z.string()).optional(),
  uti: z.string().optional(),
  jti: z.string().optional(),
  xms_act_fct: facets.optional(),
  xms_sub_fct: facets.optional(),
});

type Claims = z.output<typeof claimsSchema>;

/**
 * Builds the Principal from verified claims. Call it only with a payload whose signature,
 * issuer, audience and lifetime were already checked.
 */
export function principalFromClaims(claims: JWTPayload, issuer: string): Principal {
  refuseGroupsOverage(claims);
  const parsed = claimsSchema.safeParse(claims);
  if (!parsed.success) throw new InvalidTokenError('invalid_claims', parsed.error);
  const c = parsed.data;

  const subject = c.oid ?? c.sub;
  if (subject === undefined) throw new InvalidTokenError('no_subject');

  const scopes = (c.scp ?? '').split(' ').filter((s) => s.length > 0);
  const appId = c.azp ?? c.appid;
  const common = {
    tenantId: c.tid,
    appId,
    groups: c.groups ?? [],
    roles: c.roles ?? [],
    scopes,
    issuer,
    tokenId: c.uti ?? c.jti,
  };

  if (actsForUser(c, scopes)) {
    // The token's subject is the user; the agent is the client app that holds the token.
    // Groups, roles and scopes in a delegated token are the user's. They stay on the
    // principal so the user's group-based forbids still apply, while kind 'agent' keeps
    // every agent-only rule in force.
    if (appId === undefined) throw new InvalidTokenError('no_subject');
    return {
      ...common,
      kind: 'agent',
      id: appId,
      name: c.app_displayname,
      onBehalfOf: { id: subject, name: c.name ?? c.preferred_username },
    };
  }

  return {
    ...common,
    kind: isAgent(c, scopes) ? 'agent' : 'human',
    id: subject,
    name: c.name ?? c.preferred_username ?? c.app_displayname,
    onBehalfOf: undefined,
  };
}

/**
 * Groups overage: when a user is in too many groups Entra leaves `groups` out and points to
 * Microsoft Graph instead (`_claim_names.groups`, or `hasgroups: true` in implicit-flow
 * tokens). We cannot resolve that offline, and reading it as "no groups" would silently
 * drop every group-based restriction, so the token is refused.
 */
function refuseGroupsOverage(claims: JWTPayload): void {
  const names = claims._claim_names;
  const overage =
    claims.hasgroups === true ||
    (typeof names === 'object' && names !== null && Object.hasOwn(names, 'groups'));
  if (overage) throw new InvalidTokenError('groups_overage');
}

/**
 * A human only when the token is clearly delegated (`scp`) and nothing marks an app or an
 * agent: the actor facet, or the subject facet (an agent's own user account signing in with
 * delegated scopes was a person to the gateway, and could approve and read the audit trail:
 * red-team round 24). Anything else, including an app-only token without roles, is an agent:
 * the more restricted kind is the safe default.
 */
function isAgent(c: Claims, scopes: string[]): boolean {
  return (
    c.idtyp === 'app' ||
    scopes.length === 0 ||
    hasFacet(c.xms_act_fct, AGENT_FACET) ||
    hasFacet(c.xms_sub_fct, AGENT_FACET)
  );
}

/** A delegated token whose actor is an agent and whose subject is not: an agent working for a user. */
function actsForUser(c: Claims, scopes: string[]): boolean {
  return (
    c.idtyp !== 'app' &&
    scopes.length > 0 &&
    hasFacet(c.xms_act_fct, AGENT_FACET) &&
    !hasFacet(c.xms_sub_fct, AGENT_FACET)
  );
}

/** Facet claims come as a space-separated string (`"3 9 11"`) or as an array of numbers. */
function hasFacet(value: string | number[] | undefined, facet: number): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return value.split(' ').includes(String(facet));
  return value.includes(facet);
}
