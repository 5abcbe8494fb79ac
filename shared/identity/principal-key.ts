import type { Principal } from '../types.js';

/**
 * Who a principal is, for counting: limits and budgets key on it. Entra gives a tenant two
 * issuers (v1 `sts.windows.net` and v2 `login.microsoftonline.com`) and the same object can
 * hold a token from each; keyed on the issuer it would get every limit twice. Within a
 * tenant the object id is the principal, and the verifier has checked that `tid` is the
 * tenant its issuer names, so the tenant stands for the issuer whenever the token names one.
 */
export function principalKey(principal: Principal): readonly string[] {
  return principal.tenantId !== undefined
    ? ['tid', principal.tenantId.toLowerCase(), principal.id]
    : ['iss', principal.issuer, principal.id];
}
