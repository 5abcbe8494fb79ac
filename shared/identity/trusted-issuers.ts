import { entraTenantKeys, type KeyResolver } from './key-resolver.js';

/** What a token from one issuer must satisfy. Algorithms are pinned per issuer, never taken from the token. */
export interface TrustedIssuer {
  issuer: string;
  algorithms: ['RS256'] | ['ES256'];
  keys: KeyResolver;
  audiences: string[];
  /** For Entra issuers: the tenant the issuer names, which the `tid` claim must repeat. */
  tenantId: string | undefined;
}

export interface EntraTrust {
  tenants: string[];
  audiences: string[];
  keys?: KeyResolver | undefined;
}

export interface DevTrust {
  issuer: string;
  audience: string;
  keys: KeyResolver;
}

/** Both issuers Entra uses for a tenant: v1 (`sts.windows.net`) and v2 (`login.microsoftonline.com`). */
export function entraIssuers(tenantId: string): [v1: string, v2: string] {
  return [`https://sts.windows.net/${tenantId}/`, `https://login.microsoftonline.com/${tenantId}/v2.0`];
}

/**
 * The exact issuer strings we accept, each with its own rules. Only configured tenants get
 * an entry, so there is no "common" or wildcard issuer to match.
 */
export function trustedIssuers(
  entra: EntraTrust | undefined,
  dev: DevTrust | undefined,
): Map<string, TrustedIssuer> {
  const table = new Map<string, TrustedIssuer>();
  for (const tenant of entra?.tenants ?? []) {
    const tenantId = tenant.toLowerCase();
    const keys = entra?.keys ?? entraTenantKeys(tenantId);
    const audiences = entra?.audiences ?? [];
    for (const issuer of entraIssuers(tenantId)) {
      table.set(issuer, { issuer, algorithms: ['RS256'], keys, audiences, tenantId });
    }
  }
  if (dev !== undefined) {
    if (table.has(dev.issuer)) throw new TypeError('The dev issuer must differ from every Entra issuer.');
    table.set(dev.issuer, {
      issuer: dev.issuer,
      algorithms: ['ES256'],
      keys: dev.keys,
      audiences: [dev.audience],
      tenantId: undefined,
    });
  }
  return table;
}
