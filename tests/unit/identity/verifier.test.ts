import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { exportSPKI, importJWK, SignJWT } from 'jose';
import { InvalidTokenError } from '../../../shared/errors.js';
import { createTokenVerifier, type TokenVerifier, wwwAuthenticate } from '../../../shared/identity/index.js';
import {
  AUDIENCE,
  b64url,
  bearer,
  createFakeEntra,
  type FakeEntra,
  localKeys,
  NOW_SEC,
  now,
  OTHER_TENANT,
  TENANT,
  V1_ISSUER,
  V2_ISSUER,
  v1AppClaims,
  v2UserClaims,
} from './fixtures.js';

let entra: FakeEntra;
let verifier: TokenVerifier;

before(async () => {
  entra = await createFakeEntra();
  verifier = createTokenVerifier({
    entra: { tenants: [TENANT], audiences: [AUDIENCE], keys: localKeys(entra.publicJwk) },
    now,
  });
});

/** Asserts that verify() refuses with InvalidTokenError and the given log reason. */
async function assertRefused(authorization: string | null | undefined, reason: string): Promise<void> {
  await assert.rejects(verifier.verify(authorization), (e: unknown) => {
    assert.ok(e instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(e)}`);
    assert.equal(e.reason, reason);
    assert.equal(e.message, 'The access token is missing or invalid.');
    assert.equal(e.status, 401);
    return true;
  });
}

/** Replaces one character in the middle of a segment, keeping it valid base64url. */
function flipChar(segment: string): string {
  const i = Math.floor(segment.length / 2);
  const replacement = segment[i] === 'A' ? 'B' : 'A';
  return segment.slice(0, i) + replacement + segment.slice(i + 1);
}

describe('createTokenVerifier: accepted tokens', () => {
  it('accepts a v1 app-only token as an agent with its roles', async () => {
    const p = await verifier.verify(bearer(await entra.sign(v1AppClaims())));
    assert.equal(p.kind, 'agent');
    assert.equal(p.id, 'bbbbbbbb-0000-0000-0000-000000000001');
    assert.equal(p.appId, 'aaaaaaaa-0000-0000-0000-000000000001');
    assert.deepEqual(p.roles, ['Agent.Query']);
    assert.equal(p.tenantId, TENANT);
    assert.equal(p.issuer, V1_ISSUER);
    assert.equal(p.tokenId, 'uti-app-1');
  });

  it('accepts a v2 delegated token as a human with groups and scopes', async () => {
    const p = await verifier.verify(bearer(await entra.sign(v2UserClaims())));
    assert.equal(p.kind, 'human');
    assert.equal(p.id, 'dddddddd-0000-0000-0000-000000000001');
    assert.deepEqual(p.groups, ['group-analysts', 'group-finance']);
    assert.deepEqual(p.scopes, ['Query.Read', 'Query.Write']);
    assert.equal(p.name, 'Alice Example');
    assert.equal(p.issuer, V2_ISSUER);
    assert.equal(p.onBehalfOf, undefined);
  });

  it('treats an Entra Agent ID token (xms_act_fct contains 11) as an agent', async () => {
    const claims = v1AppClaims({ roles: undefined, xms_act_fct: '3 9 11', xms_sub_fct: '9 3 11' });
    delete claims.idtyp;
    const p = await verifier.verify(bearer(await entra.sign(claims)));
    assert.equal(p.kind, 'agent');
    assert.equal(p.onBehalfOf, undefined);
  });

  it('keeps the user of an agent acting on their behalf', async () => {
    const claims = v2UserClaims({ xms_act_fct: [11], azp: 'agent-app-id', app_displayname: 'Billing agent' });
    const p = await verifier.verify(bearer(await entra.sign(claims)));
    assert.equal(p.kind, 'agent');
    assert.equal(p.id, 'agent-app-id');
    assert.deepEqual(p.onBehalfOf, { id: 'dddddddd-0000-0000-0000-000000000001', name: 'Alice Example' });
  });

  it('accepts the Bearer scheme case-insensitively (RFC 6750)', async () => {
    const p = await verifier.verify(`bearer ${await entra.sign(v1AppClaims())}`);
    assert.equal(p.kind, 'agent');
  });

  it('allows the configured clock skew on exp', async () => {
    const token = await entra.sign(v1AppClaims({ exp: NOW_SEC - 30 }));
    assert.equal((await verifier.verify(bearer(token))).kind, 'agent');
  });
});

describe('createTokenVerifier: refused before parsing', () => {
  it('refuses a missing header', async () => {
    await assertRefused(undefined, 'missing');
    await assertRefused(null, 'missing');
    await assertRefused('  ', 'missing');
  });

  it('refuses a scheme other than Bearer', async () => {
    await assertRefused(`Basic ${Buffer.from('a:b').toString('base64')}`, 'not_bearer');
    await assertRefused(await entra.sign(v1AppClaims()), 'not_bearer');
  });

  it('refuses what is not three base64url segments', async () => {
    await assertRefused('Bearer', 'malformed');
    await assertRefused('Bearer abc.def', 'malformed');
    await assertRefused('Bearer a.b.c.d', 'malformed');
    await assertRefused('Bearer a+b.c/d.e=', 'malformed');
    await assertRefused('Bearer a.b.c extra', 'malformed');
  });

  it('refuses a token over 16 KB even when validly signed', async () => {
    const token = await entra.sign(v1AppClaims({ padding: 'x'.repeat(17_000) }));
    await assertRefused(bearer(token), 'too_large');
  });

  it('refuses a payload that is not JSON', async () => {
    await assertRefused(`Bearer ${b64url({ alg: 'RS256' })}.bm90LWpzb24.c2ln`, 'malformed');
  });
});

describe('createTokenVerifier: refused signatures and algorithms', () => {
  it('refuses an unsigned token (alg none, empty signature)', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(v1AppClaims())}.`;
    await assertRefused(bearer(token), 'malformed');
  });

  it('refuses alg none even with something in the signature slot', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(v1AppClaims())}.AAAA`;
    await assertRefused(bearer(token), 'alg_not_allowed');
  });

  it('refuses HS256 signed with the RSA public key bytes (algorithm confusion)', async () => {
    const publicPem = await exportSPKI(await importPublic(entra));
    const token = await new SignJWT(v1AppClaims())
      .setProtectedHeader({ alg: 'HS256', kid: entra.publicJwk.kid })
      .sign(new TextEncoder().encode(publicPem));
    await assertRefused(bearer(token), 'alg_not_allowed');
  });

  it('refuses an unknown kid', async () => {
    const stranger = await createFakeEntra('stranger-key');
    await assertRefused(bearer(await stranger.sign(v1AppClaims())), 'unknown_key');
  });

  it('refuses a token signed by another key under the trusted kid', async () => {
    const impostor = await createFakeEntra(entra.publicJwk.kid);
    await assertRefused(bearer(await impostor.sign(v1AppClaims())), 'bad_signature');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await entra.sign(v1AppClaims())).split('.');
    const forged = b64url(v1AppClaims({ roles: ['Agent.Query', 'Admin'] }));
    await assertRefused(`Bearer ${header}.${forged}.${signature}`, 'bad_signature');
  });

  it('refuses a tampered signature', async () => {
    const [header, payload, signature] = (await entra.sign(v1AppClaims())).split('.');
    await assertRefused(`Bearer ${header}.${payload}.${flipChar(signature!)}`, 'bad_signature');
  });
});

describe('createTokenVerifier: refused claims', () => {
  it('refuses an expired token (beyond the clock tolerance)', async () => {
    await assertRefused(bearer(await entra.sign(v1AppClaims({ exp: NOW_SEC - 120 }))), 'expired');
  });

  it('refuses a token whose nbf is in the future', async () => {
    await assertRefused(bearer(await entra.sign(v1AppClaims({ nbf: NOW_SEC + 600 }))), 'not_yet_valid');
  });

  it('refuses a token without exp', async () => {
    const claims = v1AppClaims();
    delete claims.exp;
    await assertRefused(bearer(await entra.sign(claims)), 'invalid_claim_exp');
  });

  it('refuses an issuer that is not configured', async () => {
    await assertRefused(
      bearer(await entra.sign(v1AppClaims({ iss: 'https://evil.example/' }))),
      'unknown_issuer',
    );
    // Near misses of a trusted issuer are different strings, not "close enough".
    const noSlash = V1_ISSUER.slice(0, -1);
    await assertRefused(bearer(await entra.sign(v1AppClaims({ iss: noSlash }))), 'unknown_issuer');
    await assertRefused(bearer(await entra.sign(v1AppClaims({ iss: undefined }))), 'unknown_issuer');
  });

  it('refuses a wrong audience', async () => {
    const token = await entra.sign(v1AppClaims({ aud: 'api://someone-else' }));
    await assertRefused(bearer(token), 'wrong_audience');
  });

  it('refuses another tenant even with a valid signature', async () => {
    const claims = v1AppClaims({ iss: `https://sts.windows.net/${OTHER_TENANT}/`, tid: OTHER_TENANT });
    await assertRefused(bearer(await entra.sign(claims)), 'unknown_issuer');
  });

  it('refuses a tid that differs from the issuer tenant', async () => {
    await assertRefused(bearer(await entra.sign(v1AppClaims({ tid: OTHER_TENANT }))), 'tenant_mismatch');
    const noTid = v2UserClaims();
    delete noTid.tid;
    await assertRefused(bearer(await entra.sign(noTid)), 'tenant_mismatch');
  });

  it('refuses groups overage (_claim_names) instead of reading it as no groups', async () => {
    const claims = v2UserClaims({
      groups: undefined,
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } },
    });
    await assertRefused(bearer(await entra.sign(claims)), 'groups_overage');
  });

  it('refuses groups overage signalled by hasgroups', async () => {
    const claims = v2UserClaims({ groups: undefined, hasgroups: true });
    await assertRefused(bearer(await entra.sign(claims)), 'groups_overage');
  });
});

describe('createTokenVerifier: options', () => {
  it('refuses misuse with a TypeError', () => {
    assert.throws(() => createTokenVerifier({}), TypeError);
    assert.throws(() => createTokenVerifier({ entra: { tenants: [], audiences: [AUDIENCE] } }), TypeError);
    assert.throws(
      () => createTokenVerifier({ entra: { tenants: ['common'], audiences: [AUDIENCE] } }),
      TypeError,
    );
    assert.throws(() => createTokenVerifier({ entra: { tenants: [TENANT], audiences: [] } }), TypeError);
    assert.throws(
      () =>
        createTokenVerifier({ entra: { tenants: [TENANT], audiences: [AUDIENCE] }, clockToleranceSec: -1 }),
      TypeError,
    );
  });

  it('refuses a dev issuer that would shadow an Entra issuer', () => {
    const keys = localKeys(entra.publicJwk);
    assert.throws(
      () =>
        createTokenVerifier({
          entra: { tenants: [TENANT], audiences: [AUDIENCE], keys },
          dev: { issuer: V2_ISSUER, audience: AUDIENCE, keys },
        }),
      TypeError,
    );
  });

  it('matches configured tenant ids case-insensitively', async () => {
    const upper = createTokenVerifier({
      entra: { tenants: [TENANT.toUpperCase()], audiences: [AUDIENCE], keys: localKeys(entra.publicJwk) },
      now,
    });
    assert.equal((await upper.verify(bearer(await entra.sign(v2UserClaims())))).kind, 'human');
  });
});

describe('wwwAuthenticate', () => {
  it('carries no error code when the request had no credentials (RFC 6750 3.1)', () => {
    assert.equal(wwwAuthenticate(), 'Bearer realm="agentgate"');
    assert.equal(wwwAuthenticate(new InvalidTokenError('missing')), 'Bearer realm="agentgate"');
  });

  it('says invalid_token, and nothing more, for a bad token', () => {
    const value = wwwAuthenticate(new InvalidTokenError('bad_signature'));
    assert.equal(value, 'Bearer realm="agentgate", error="invalid_token"');
  });
});

async function importPublic(fake: FakeEntra) {
  const key = await importJWK(fake.publicJwk, 'RS256');
  if (key instanceof Uint8Array) throw new Error('expected an asymmetric key');
  return key;
}
