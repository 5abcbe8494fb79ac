import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, jwtVerify } from 'jose';
import { InvalidTokenError } from '../../../shared/errors.js';
import {
  type CachingTokenVerifier,
  createTokenVerifier,
  type DevIssuer,
  type KeyResolver,
  loadOrCreateDevIssuer,
  tokenIdentity,
} from '../../../shared/identity/index.js';
import { b64url, bearer, NOW, NOW_SEC, now } from './fixtures.js';

const DEV_ISSUER = 'http://localhost:7071/dev';
/** Order n of the P-256 group: (r, s) and (r, n - s) are both valid ECDSA signatures. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let dir: string;
let dev: DevIssuer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentgate-token-cache-'));
  dev = await loadOrCreateDevIssuer({ dir, issuer: DEV_ISSUER, now });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock the test moves by hand, starting at the fixtures' NOW. */
function manualClock() {
  let ms = NOW.getTime();
  return {
    now: () => new Date(ms),
    set(sec: number) {
      ms = sec * 1000;
    },
  };
}

interface Harness {
  verifier: CachingTokenVerifier;
  /** How many times jose has asked for a key, i.e. how many signatures it has checked. */
  keyLookups(): number;
  clock: ReturnType<typeof manualClock>;
}

function harness(tokenCache?: { maxEntries?: number; maxAgeSec?: number }): Harness {
  let lookups = 0;
  const keys: KeyResolver = (header, token) => {
    lookups += 1;
    return dev.keys(header, token);
  };
  const clock = manualClock();
  const verifier = createTokenVerifier({
    dev: { issuer: dev.issuer, audience: dev.audience, keys },
    now: clock.now,
    ...(tokenCache === undefined ? {} : { tokenCache }),
  });
  return { verifier, keyLookups: () => lookups, clock };
}

/** The ES256 signature (r, s) rewritten as (r, n - s): other bytes, the same signed statement. */
function malleate(token: string): string {
  const [header, payload, signature] = token.split('.');
  const raw = Buffer.from(signature!, 'base64url');
  assert.equal(raw.length, 64, 'ES256 signatures are r || s, 32 bytes each');
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([raw.subarray(0, 32), flipped]).toString('base64url')}`;
}

/**
 * The same signature bytes spelled differently: 64 bytes take 86 base64url characters and
 * the last one carries 4 unused bits, which decoders ignore.
 */
function respell(token: string): string {
  const i = BASE64URL.indexOf(token.at(-1)!);
  return `${token.slice(0, -1)}${BASE64URL[i ^ 1]}`;
}

async function assertRefused(verifier: CachingTokenVerifier, token: string, reason: string): Promise<void> {
  await assert.rejects(verifier.verify(bearer(token)), (e: unknown) => {
    assert.ok(e instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(e)}`);
    assert.equal(e.reason, reason);
    return true;
  });
}

describe('one token, one identity: ECDSA malleability', () => {
  it('jose accepts the (r, n - s) form of an ES256 signature (it does not require low S)', async () => {
    const token = await dev.mint({ agent: 'billing-bot' });
    const malleated = malleate(token);
    assert.notEqual(malleated, token);
    const options = { issuer: dev.issuer, audience: dev.audience, currentDate: NOW };
    const original = await jwtVerify(token, dev.keys, options);
    const other = await jwtVerify(malleated, dev.keys, options);
    assert.deepEqual(other.payload, original.payload);
  });

  it('maps both signatures to one principal and one cache entry, each verified once', async () => {
    const h = harness();
    const token = await dev.mint({ agent: 'billing-bot' });
    const malleated = malleate(token);

    const first = await h.verifier.verify(bearer(token));
    assert.equal(h.keyLookups(), 1);
    assert.equal(await h.verifier.verify(bearer(token)), first, 'a repeated token is served from the cache');
    assert.equal(h.keyLookups(), 1);

    const second = await h.verifier.verify(bearer(malleated));
    assert.equal(h.keyLookups(), 2, 'a new signature spelling is verified, not trusted on header.payload');
    assert.equal(second, first, 'the same principal object');
    assert.equal(second.id, 'agent:billing-bot');
    assert.equal(second.tokenId, first.tokenId);
    assert.equal(second.tokenId, decodeJwt(token).jti);
    assert.equal(h.verifier.cachedTokens(), 1);
    assert.equal(tokenIdentity(malleated), tokenIdentity(token));

    // Now that the malleated spelling has been verified, it is remembered as well.
    assert.equal(await h.verifier.verify(bearer(malleated)), first);
    assert.equal(h.keyLookups(), 2);
  });

  it('treats a re-spelled last base64url character the same way', async () => {
    const h = harness();
    const token = await dev.mint({ agent: 'billing-bot' });
    const respelled = respell(token);
    assert.notEqual(respelled, token);
    assert.deepEqual(
      Buffer.from(respelled.split('.')[2]!, 'base64url'),
      Buffer.from(token.split('.')[2]!, 'base64url'),
    );
    const first = await h.verifier.verify(bearer(token));
    assert.equal(await h.verifier.verify(bearer(respelled)), first);
    assert.equal(h.verifier.cachedTokens(), 1);
    assert.equal(tokenIdentity(respelled), tokenIdentity(token));
  });

  it('refuses a forged signature on a cached header.payload, and keeps the entry', async () => {
    const h = harness();
    const token = await dev.mint({ agent: 'billing-bot' });
    const first = await h.verifier.verify(bearer(token));
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(64, 7).toString('base64url')}`;
    assert.equal(tokenIdentity(forged), tokenIdentity(token));
    await assertRefused(h.verifier, forged, 'bad_signature');
    // Still refused the second time: a failure is never cached as a success.
    await assertRefused(h.verifier, forged, 'bad_signature');
    assert.equal(h.verifier.cachedTokens(), 1);
    assert.equal(await h.verifier.verify(bearer(token)), first);
  });
});

describe('verified-token cache: what it never serves', () => {
  it('refuses a tampered payload with the old signature after the original is cached', async () => {
    const h = harness();
    const token = await dev.mint({ agent: 'billing-bot' });
    await h.verifier.verify(bearer(token));
    const [header, , signature] = token.split('.');
    const claims = decodeJwt(token);
    const tampered = `${header}.${b64url({ ...claims, roles: ['Agent.Query', 'Admin'] })}.${signature}`;
    await assertRefused(h.verifier, tampered, 'bad_signature');
    await assertRefused(h.verifier, malleate(tampered), 'bad_signature');
    assert.equal(h.verifier.cachedTokens(), 1);
  });

  it('refuses a cached token once the clock passes exp plus the tolerance', async () => {
    const h = harness();
    const token = await dev.mint({ agent: 'bot', ttlSeconds: 120 });
    const exp = NOW_SEC + 120;
    await h.verifier.verify(bearer(token));

    // Past exp but inside the 60 s tolerance: jose would accept it, and so does the cache.
    h.clock.set(exp + 59);
    await h.verifier.verify(bearer(token));
    assert.equal(h.keyLookups(), 1);

    h.clock.set(exp + 60);
    await assertRefused(h.verifier, token, 'expired');
    await assertRefused(h.verifier, malleate(token), 'expired');
    assert.equal(h.verifier.cachedTokens(), 0);
  });

  it('uses the configured clock tolerance', async () => {
    const lookups = { n: 0 };
    const clock = manualClock();
    const strict = createTokenVerifier({
      dev: {
        issuer: dev.issuer,
        audience: dev.audience,
        keys: (header, token) => {
          lookups.n += 1;
          return dev.keys(header, token);
        },
      },
      now: clock.now,
      clockToleranceSec: 0,
    });
    const token = await dev.mint({ agent: 'bot', ttlSeconds: 60 });
    await strict.verify(bearer(token));
    clock.set(NOW_SEC + 59);
    await strict.verify(bearer(token));
    assert.equal(lookups.n, 1);
    clock.set(NOW_SEC + 60);
    await assertRefused(strict, token, 'expired');
  });

  it('checks the signature again after the cache age limit, even for a long-lived token', async () => {
    const h = harness({ maxAgeSec: 600 });
    const token = await dev.mint({ agent: 'bot', ttlSeconds: 3600 });
    const first = await h.verifier.verify(bearer(token));
    h.clock.set(NOW_SEC + 599);
    await h.verifier.verify(bearer(token));
    assert.equal(h.keyLookups(), 1);
    h.clock.set(NOW_SEC + 600);
    const again = await h.verifier.verify(bearer(token));
    assert.equal(h.keyLookups(), 2);
    assert.equal(again.id, first.id);
  });

  it('does not serve a cached token before its nbf when the clock goes back', async () => {
    const h = harness();
    const token = await dev.mint({ agent: 'bot' });
    await h.verifier.verify(bearer(token));
    h.clock.set(NOW_SEC - 61);
    await assertRefused(h.verifier, token, 'not_yet_valid');
  });

  it('is bounded and evicts the oldest entry first', async () => {
    const h = harness({ maxEntries: 3 });
    const tokens = await Promise.all(['a', 'b', 'c', 'd'].map((agent) => dev.mint({ agent })));
    for (const t of tokens) await h.verifier.verify(bearer(t));
    assert.equal(h.verifier.cachedTokens(), 3);
    assert.equal(h.keyLookups(), 4);

    await h.verifier.verify(bearer(tokens[3]!));
    await h.verifier.verify(bearer(tokens[1]!));
    assert.equal(h.keyLookups(), 4, 'the newest three are still cached');
    await h.verifier.verify(bearer(tokens[0]!));
    assert.equal(h.keyLookups(), 5, 'the oldest was evicted and is verified again');
    assert.equal(h.verifier.cachedTokens(), 3);
  });

  it('caches nothing with maxEntries 0', async () => {
    const h = harness({ maxEntries: 0 });
    const token = await dev.mint({ agent: 'bot' });
    await h.verifier.verify(bearer(token));
    await h.verifier.verify(bearer(token));
    assert.equal(h.keyLookups(), 2);
    assert.equal(h.verifier.cachedTokens(), 0);
  });

  it('hands out a principal nobody can change for the next request', async () => {
    const h = harness();
    const token = await dev.mint({ user: 'alice', groups: ['analysts'] });
    const p = await h.verifier.verify(bearer(token));
    assert.throws(() => p.groups.push('data-stewards'), TypeError);
    assert.throws(() => {
      (p as { id: string }).id = 'user:mallory';
    }, TypeError);
    assert.deepEqual((await h.verifier.verify(bearer(token))).groups, ['analysts']);
  });

  it('refuses bad cache options with a TypeError', () => {
    const base = { dev: { issuer: DEV_ISSUER, audience: 'api://agentgate', keys: dev.keys } };
    assert.throws(() => createTokenVerifier({ ...base, tokenCache: { maxAgeSec: 601 } }), TypeError);
    assert.throws(() => createTokenVerifier({ ...base, tokenCache: { maxAgeSec: 0 } }), TypeError);
    assert.throws(() => createTokenVerifier({ ...base, tokenCache: { maxEntries: -1 } }), TypeError);
    assert.throws(() => createTokenVerifier({ ...base, tokenCache: { maxEntries: 1.5 } }), TypeError);
  });
});

describe('tokenIdentity', () => {
  it('is the hex SHA-256 of header.payload, whatever the signature', async () => {
    const token = await dev.mint({ agent: 'bot' });
    const [header, payload] = token.split('.');
    const { createHash } = await import('node:crypto');
    assert.equal(tokenIdentity(token), createHash('sha256').update(`${header}.${payload}`).digest('hex'));
    assert.match(tokenIdentity(token), /^[0-9a-f]{64}$/);
    assert.equal(tokenIdentity(`${header}.${payload}.AAAA`), tokenIdentity(token));
  });

  it('differs between tokens', async () => {
    const a = await dev.mint({ agent: 'bot' });
    const b = await dev.mint({ agent: 'bot' });
    assert.notEqual(tokenIdentity(a), tokenIdentity(b), 'each minted token has its own jti');
  });

  it('refuses what is not a compact JWS', () => {
    for (const bad of ['', 'abc', 'a.b', 'a.b.', '.b.c', 'a..c', 'a.b.c.d']) {
      assert.throws(() => tokenIdentity(bad), TypeError, JSON.stringify(bad));
    }
  });
});
