import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** A fixed instant: every token in these tests is dated relative to it. */
export const NOW = new Date('2025-06-01T12:00:00Z');
export const NOW_SEC = Math.floor(NOW.getTime() / 1000);
export const now = (): Date => NOW;

export const TENANT = '11111111-2222-3333-4444-555555555555';
export const OTHER_TENANT = '99999999-8888-7777-6666-555555555555';
export const AUDIENCE = 'api://agentgate';
export const V1_ISSUER = `https://sts.windows.net/${TENANT}/`;
export const V2_ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
export const ENTRA_KID = 'fake-entra-key-1';

export interface FakeEntra {
  publicJwk: JWK;
  sign(claims: JWTPayload, header?: { kid?: string; alg?: string }): Promise<string>;
}

/** An RSA key pair standing in for Entra's signing key; its public half is the "JWKS". */
export async function createFakeEntra(kid = ENTRA_KID): Promise<FakeEntra> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    publicJwk,
    sign: (claims, header) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: header?.kid ?? kid })
        .sign(privateKey),
  };
}

export function localKeys(...keys: JWK[]) {
  return createLocalJWKSet({ keys });
}

/** A v1 app-only token as Entra issues it for client credentials. */
export function v1AppClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    aud: AUDIENCE,
    iss: V1_ISSUER,
    iat: NOW_SEC - 60,
    nbf: NOW_SEC - 60,
    exp: NOW_SEC + 3600,
    appid: 'aaaaaaaa-0000-0000-0000-000000000001',
    idtyp: 'app',
    oid: 'bbbbbbbb-0000-0000-0000-000000000001',
    sub: 'bbbbbbbb-0000-0000-0000-000000000001',
    roles: ['Agent.Query'],
    tid: TENANT,
    uti: 'uti-app-1',
    ver: '1.0',
    ...overrides,
  };
}

/** A v2 delegated (user) token. */
export function v2UserClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    aud: AUDIENCE,
    iss: V2_ISSUER,
    iat: NOW_SEC - 60,
    nbf: NOW_SEC - 60,
    exp: NOW_SEC + 3600,
    azp: 'cccccccc-0000-0000-0000-000000000001',
    name: 'Alice Example',
    preferred_username: 'alice@contoso.example',
    oid: 'dddddddd-0000-0000-0000-000000000001',
    sub: 'pairwise-subject-alice',
    scp: 'Query.Read Query.Write',
    groups: ['group-analysts', 'group-finance'],
    tid: TENANT,
    uti: 'uti-user-1',
    ver: '2.0',
    ...overrides,
  };
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

export function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
