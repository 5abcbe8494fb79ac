import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { InvalidTokenError } from '../../../shared/errors.js';
import {
  createTokenVerifier,
  type DevIssuer,
  loadOrCreateDevIssuer,
  parseTtl,
  type TokenVerifier,
} from '../../../shared/identity/index.js';
import {
  AUDIENCE,
  bearer,
  createFakeEntra,
  type FakeEntra,
  localKeys,
  NOW_SEC,
  now,
  TENANT,
  V2_ISSUER,
  v2UserClaims,
} from './fixtures.js';

const DEV_ISSUER = 'http://localhost:7071/dev';
const KEY_FILE = 'dev-issuer-key.json';

let dir: string;
let dev: DevIssuer;
let verifier: TokenVerifier;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentgate-dev-issuer-'));
  dev = await loadOrCreateDevIssuer({ dir, issuer: DEV_ISSUER, now });
  verifier = createTokenVerifier({
    dev: { issuer: dev.issuer, audience: dev.audience, keys: dev.keys },
    now,
  });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dev issuer: key file', () => {
  it('creates the key file with mode 0600', { skip: process.platform === 'win32' }, async () => {
    const { mode } = await stat(join(dir, KEY_FILE));
    assert.equal(mode & 0o777, 0o600);
  });

  it('reuses the key across loads (same kid, tokens stay valid)', async () => {
    const token = await dev.mint({ agent: 'bot' });
    const again = await loadOrCreateDevIssuer({ dir, issuer: DEV_ISSUER, now });
    assert.equal(again.jwks().keys[0]?.kid, dev.jwks().keys[0]?.kid);
    const reverified = createTokenVerifier({
      dev: { issuer: DEV_ISSUER, audience: AUDIENCE, keys: again.keys },
      now,
    });
    assert.equal((await reverified.verify(bearer(token))).id, 'agent:bot');
  });

  it('gives a new directory a new key with a random kid', async () => {
    const other = await mkdtemp(join(tmpdir(), 'agentgate-dev-issuer-'));
    try {
      const fresh = await loadOrCreateDevIssuer({ dir: other, issuer: DEV_ISSUER });
      assert.notEqual(fresh.jwks().keys[0]?.kid, dev.jwks().keys[0]?.kid);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('brings a loosened key file back to 0600', { skip: process.platform === 'win32' }, async () => {
    const path = join(dir, KEY_FILE);
    await chmod(path, 0o644);
    await loadOrCreateDevIssuer({ dir, issuer: DEV_ISSUER });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('refuses a key file that is not an ES256 private key', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'agentgate-dev-issuer-'));
    try {
      await writeFile(join(broken, KEY_FILE), '{"kty":"oct","k":"abc"}', { mode: 0o600 });
      await assert.rejects(loadOrCreateDevIssuer({ dir: broken, issuer: DEV_ISSUER }), /not a dev issuer/);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('publishes only the public key', () => {
    const [key, ...rest] = dev.jwks().keys;
    assert.equal(rest.length, 0);
    assert.equal(key?.kty, 'EC');
    assert.equal(key?.crv, 'P-256');
    assert.equal(key?.alg, 'ES256');
    assert.equal(key?.d, undefined);
  });
});

describe('dev issuer: mint and verify', () => {
  it('round-trips an agent token', async () => {
    const token = await dev.mint({ agent: 'billing-bot', tenantId: 'dev-tenant' });
    const p = await verifier.verify(bearer(token));
    assert.equal(p.kind, 'agent');
    assert.equal(p.id, 'agent:billing-bot');
    assert.equal(p.appId, 'agent:billing-bot');
    assert.equal(p.name, 'billing-bot');
    assert.deepEqual(p.roles, ['Agent.Query']);
    assert.equal(p.tenantId, 'dev-tenant');
    assert.equal(p.issuer, DEV_ISSUER);
    assert.equal(decodeProtectedHeader(token).alg, 'ES256');
  });

  it('round-trips a user token', async () => {
    const token = await dev.mint({ user: 'alice', groups: ['analysts'] });
    const p = await verifier.verify(bearer(token));
    assert.equal(p.kind, 'human');
    assert.equal(p.id, 'user:alice');
    assert.equal(p.name, 'alice');
    assert.deepEqual(p.groups, ['analysts']);
    assert.deepEqual(p.scopes, ['Query.Read']);
    assert.equal(decodeJwt(token).preferred_username, 'alice@dev.local');
  });

  it('round-trips an agent acting for a user', async () => {
    const p = await verifier.verify(bearer(await dev.mint({ agent: 'helper', onBehalfOf: 'bob' })));
    assert.equal(p.kind, 'agent');
    assert.equal(p.id, 'agent:helper');
    assert.deepEqual(p.onBehalfOf, { id: 'user:bob', name: 'bob' });
  });

  it('sets the lifetime from ttlSeconds, default one hour', async () => {
    const defaults = decodeJwt(await dev.mint({ user: 'alice' }));
    assert.equal(defaults.iat, NOW_SEC);
    assert.equal(defaults.exp, NOW_SEC + 3600);
    assert.equal(decodeJwt(await dev.mint({ user: 'alice', ttlSeconds: 90 })).exp, NOW_SEC + 90);
  });

  it('mints tokens that expire', async () => {
    const token = await dev.mint({ agent: 'bot', ttlSeconds: 60 });
    const later = createTokenVerifier({
      dev: { issuer: DEV_ISSUER, audience: AUDIENCE, keys: dev.keys },
      now: () => new Date((NOW_SEC + 600) * 1000),
    });
    await assert.rejects(
      later.verify(bearer(token)),
      (e: unknown) => e instanceof InvalidTokenError && e.reason === 'expired',
    );
  });

  it('refuses a spec without exactly one of agent or user', async () => {
    await assert.rejects(dev.mint({}), TypeError);
    await assert.rejects(dev.mint({ agent: 'a', user: 'u' }), TypeError);
    await assert.rejects(dev.mint({ user: 'u', onBehalfOf: 'v' }), TypeError);
    await assert.rejects(dev.mint({ agent: 'a b' }), TypeError);
    await assert.rejects(dev.mint({ agent: 'a', ttlSeconds: 0 }), TypeError);
  });
});

describe('algorithm pinning between Entra and dev issuers', () => {
  let entra: FakeEntra;
  let both: TokenVerifier;

  before(async () => {
    entra = await createFakeEntra();
    // Each issuer's key set holds both keys, so only the pinned algorithm keeps them apart.
    const keys = localKeys(entra.publicJwk, ...dev.jwks().keys);
    both = createTokenVerifier({
      entra: { tenants: [TENANT], audiences: [AUDIENCE], keys },
      dev: { issuer: DEV_ISSUER, audience: AUDIENCE, keys },
      now,
    });
  });

  async function assertAlgRefused(token: string): Promise<void> {
    await assert.rejects(both.verify(bearer(token)), (e: unknown) => {
      assert.ok(e instanceof InvalidTokenError);
      assert.equal(e.reason, 'alg_not_allowed');
      return true;
    });
  }

  it('still accepts each issuer with its own algorithm', async () => {
    assert.equal((await both.verify(bearer(await entra.sign(v2UserClaims())))).issuer, V2_ISSUER);
    assert.equal((await both.verify(bearer(await dev.mint({ agent: 'bot' })))).issuer, DEV_ISSUER);
  });

  it('refuses an ES256 dev-key token presented with an Entra issuer', async () => {
    const privateJwk = JSON.parse(await readFile(join(dir, KEY_FILE), 'utf8'));
    const devKey = await importJWK(privateJwk, 'ES256');
    const token = await new SignJWT(v2UserClaims())
      .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid })
      .sign(devKey);
    await assertAlgRefused(token);
  });

  it('refuses an RS256 Entra-key token presented with the dev issuer', async () => {
    const token = await entra.sign(v2UserClaims({ iss: DEV_ISSUER, tid: undefined }));
    await assertAlgRefused(token);
  });
});

describe('parseTtl', () => {
  it('reads seconds, minutes, hours and days', () => {
    assert.equal(parseTtl('90s'), 90);
    assert.equal(parseTtl('30m'), 1800);
    assert.equal(parseTtl('1h'), 3600);
    assert.equal(parseTtl('2d'), 172_800);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '1', 'h', '0h', '1.5h', '-1h', '1H', ' 1h', '1h ', '1w', '01h', '1 h', '1h30m']) {
      assert.throws(() => parseTtl(bad), TypeError, `accepted ${JSON.stringify(bad)}`);
    }
  });
});
