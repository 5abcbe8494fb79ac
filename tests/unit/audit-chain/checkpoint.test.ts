import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CheckpointFormatError,
  hasValidSignature,
  laneRoot,
  parseCheckpoint,
  sealCheckpoint,
} from '../../../shared/audit/chain/checkpoint.js';
import { GENESIS_PREV } from '../../../shared/audit/chain/hash.js';
import { KeyVaultSigner, keyVaultJwks } from '../../../shared/audit/chain/keyvault-signer.js';
import { type CheckpointSigner, jwks, LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { FakeKeyVaultCryptography } from './fake-keyvault.js';

const noWait = async () => {};
const NOW = () => new Date('2026-12-01T12:00:00.000Z');

async function seal(
  signer: CheckpointSigner,
  checkpoints = new MemoryCheckpointStore(),
  heads = new MemoryLaneHeadStore(),
) {
  return sealCheckpoint({ heads, checkpoints, signer, lanes: 3, now: NOW, backoff: noWait });
}

describe('checkpoints', () => {
  it('seals a signed note over every lane head and links each to the previous', async () => {
    const signer = LocalEs256Signer.generate('agentgate-test');
    const heads = new MemoryLaneHeadStore();
    const checkpoints = new MemoryCheckpointStore();
    heads.force(1, { length: 5, hash: 'a'.repeat(64) });
    const first = await seal(signer, checkpoints, heads);
    assert.ok(first.ok);
    const p0 = parseCheckpoint(first.checkpoint.note);
    assert.equal(p0.seq, 0);
    assert.equal(p0.prev, GENESIS_PREV);
    assert.deepEqual(p0.lanes[1], { lane: 1, length: 5, hash: 'a'.repeat(64) });
    assert.equal(p0.root, laneRoot(p0.lanes));
    assert.match(first.checkpoint.note, /^agentgate\/audit\nseq 0\ntime 2026-12-01T12:00:00.000Z\n/);
    assert.match(first.checkpoint.note, /\n\n\u2014 agentgate-test [A-Za-z0-9+/]+=*\n$/);
    const second = await seal(signer, checkpoints, heads);
    assert.ok(second.ok);
    const p1 = parseCheckpoint(second.checkpoint.note);
    assert.equal(p1.seq, 1);
    assert.equal(p1.prev, p0.hash);
    assert.equal(hasValidSignature(p1, (await jwks([signer])).keys), true);
    assert.equal(
      hasValidSignature(p1, (await jwks([LocalEs256Signer.generate('agentgate-test')])).keys),
      false,
    );
  });

  it('retries a failing signer and reports a checkpoint that cannot be signed', async () => {
    const inner = LocalEs256Signer.generate();
    let calls = 0;
    const flaky = (failures: number): CheckpointSigner => ({
      keyName: inner.keyName,
      publicJwk: () => inner.publicJwk(),
      sign: async (data) => {
        calls++;
        if (calls <= failures) throw new Error('signing service unavailable');
        return inner.sign(data);
      },
    });
    const recovered = await seal(flaky(2));
    assert.equal(recovered.ok, true);
    assert.equal(recovered.signAttempts, 3);

    calls = 0;
    const store = new MemoryCheckpointStore();
    const failed = await seal(flaky(99), store);
    assert.deepEqual(failed, {
      ok: false,
      stage: 'sign',
      signAttempts: 3,
      error: 'signing service unavailable',
    });
    assert.equal(await store.latest(), null, 'nothing unsigned is stored');
  });

  it('refuses a second checkpoint with the same seq (two sealers racing)', async () => {
    const signer = LocalEs256Signer.generate();
    const store = new MemoryCheckpointStore();
    const [a, b] = await Promise.all([seal(signer, store), seal(signer, store)]);
    assert.deepEqual([a.ok, b.ok].sort(), [false, true]);
  });

  it('parses strictly', () => {
    for (const bad of ['', 'x\n\n', 'agentgate/audit\nseq 01\n\n\u2014 k AAAAAAA=\n']) {
      assert.throws(() => parseCheckpoint(bad), CheckpointFormatError);
    }
  });
});

describe('signers', () => {
  it('signs with a Key Vault key through the CryptographyClient (fake) and serves its JWKS', async () => {
    const fake = new FakeKeyVaultCryptography();
    const signer = new KeyVaultSigner({ client: fake, getKey: () => fake.getKey() });
    fake.failuresLeft = 1;
    const result = await seal(signer);
    assert.ok(result.ok);
    assert.equal(result.signAttempts, 2);
    assert.equal(fake.digests.length, 1);
    assert.equal(fake.digests[0]?.length, 32, 'Key Vault is sent a SHA-256 digest, not the text');
    const keys = (await jwks([signer])).keys;
    assert.equal(keys[0]?.kid, 'https://fake-vault.vault.azure.net/keys/audit-checkpoints/0123456789abcdef');
    assert.equal(hasValidSignature(parseCheckpoint(result.checkpoint.note), keys), true);
  });

  it('refuses a Key Vault key that is not EC P-256', async () => {
    const signer = new KeyVaultSigner({
      client: new FakeKeyVaultCryptography(),
      getKey: async () => ({ key: { kty: 'RSA' } }),
    });
    await assert.rejects(signer.publicJwk(), /EC P-256/);
  });

  it('keeps the local key in an owner-only file across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chain-key-'));
    try {
      const a = await LocalEs256Signer.fromStateDir(dir);
      const b = await LocalEs256Signer.fromStateDir(dir);
      assert.deepEqual(await a.publicJwk(), await b.publicJwk());
      const { mode } = await stat(join(dir, 'audit-checkpoint-key.json'));
      if (process.platform !== 'win32') assert.equal(mode & 0o077, 0);
      const jwk = await a.publicJwk();
      assert.equal('d' in jwk, false, 'the JWKS never carries the private part');
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('Key Vault JWKS across rotations', () => {
  it('lists every enabled version of the key, so older checkpoints still verify', async () => {
    const v1 = new FakeKeyVaultCryptography();
    const v2 = new FakeKeyVaultCryptography();
    const withdrawn = new FakeKeyVaultCryptography();
    const versions = { v1, v2, withdrawn } as const;
    const fakeKeyClient = {
      async *listPropertiesOfKeyVersions() {
        yield { version: 'v1', enabled: true };
        yield { version: 'v2', enabled: true };
        yield { version: 'withdrawn', enabled: false };
      },
      getKey: async (_name: string, options?: { version?: string }) => {
        const fake = versions[(options?.version ?? 'v2') as keyof typeof versions];
        return {
          ...(await fake.getKey()),
          id: `https://fake-vault.vault.azure.net/keys/k/${options?.version}`,
        };
      },
    };
    const old = new KeyVaultSigner({
      client: v1,
      getKey: () => fakeKeyClient.getKey('k', { version: 'v1' }),
    });
    const sealed = await seal(old);
    assert.ok(sealed.ok);
    const served = await keyVaultJwks(fakeKeyClient, 'k');
    assert.deepEqual(
      served.keys.map((k) => k.kid.split('/').at(-1)),
      ['v1', 'v2'],
    );
    assert.equal(hasValidSignature(parseCheckpoint(sealed.checkpoint.note), served.keys), true);
  });
});
