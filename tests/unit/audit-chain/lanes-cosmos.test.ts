import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../../cli/dev/cosmos-emulator.js';
import { sealCheckpoint } from '../../../shared/audit/chain/checkpoint.js';
import { ChainedAuditLog } from '../../../shared/audit/chain/lanes.js';
import { jwks, LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import { verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import { createCosmosClient } from '../../../shared/store/cosmos-client.js';
import { sampleEvent } from './fixtures.js';
import { type ChainWorld, cosmosWorld } from './world.js';

describe('ChainedAuditLog on the Cosmos emulator', () => {
  let emulator: CosmosEmulator;
  let client: CosmosClient;
  let world: ChainWorld;

  before(async () => {
    emulator = await startCosmosEmulator();
    client = createCosmosClient({ endpoint: emulator.endpoint, key: emulator.key, allowSelfSigned: true });
    world = await cosmosWorld(client);
  });

  after(async () => {
    await world.cleanup();
    client.dispose();
    await emulator.stop();
  });

  it('takes 300 concurrent appends from 3 instances: conditional heads hold, no lost append, all verifies', async () => {
    let conflicts = 0;
    const heads = {
      get: (lane: number) => world.heads.get(lane),
      set: async (lane: number, next: { length: number; hash: string }, ifMatch: string | null) => {
        const write = await world.heads.set(lane, next, ifMatch);
        if (!write.ok) conflicts++;
        return write;
      },
    };
    const logs = Array.from({ length: 3 }, () => new ChainedAuditLog({ sink: world.sink, heads }));
    const ids = Array.from({ length: 300 }, (_, i) => `cosmos-${i}`);
    await Promise.all(ids.map((id, i) => logs[i % 3]?.append(sampleEvent(id, 0))));
    assert.ok(conflicts > 0, 'the instances really raced on Cosmos etags');
    const signer = LocalEs256Signer.generate();
    const sealed = await sealCheckpoint({
      heads: world.heads,
      checkpoints: world.checkpoints,
      signer,
      lanes: 16,
    });
    assert.equal(sealed.ok, true);
    const report = await verifyAuditChain({
      lanes: 16,
      reader: world.reader,
      heads: world.heads,
      checkpoints: world.checkpoints,
      keys: (await jwks([signer])).keys,
    });
    assert.equal(report.ok, true, JSON.stringify(report.lanes.filter((l) => !l.ok)));
    assert.equal(report.events, 300);
    assert.equal(
      report.lanes.reduce((n, l) => n + l.sealed, 0),
      300,
    );
  });

  it('leased lanes from 2 instances on one Cosmos store: lanes handed over, no lost append, no fork, all verifies', async () => {
    const fresh = await cosmosWorld(client);
    try {
      const logs = Array.from(
        { length: 2 },
        () =>
          new ChainedAuditLog({
            sink: fresh.sink,
            heads: fresh.heads,
            lanes: 4,
            leases: { reader: fresh.reader, pollMs: 5, flushMs: 20 },
          }),
      );
      const ids = Array.from({ length: 200 }, (_, i) => `leased-${i}`);
      const outcomes = await Promise.allSettled(ids.map((id, i) => logs[i % 2]?.append(sampleEvent(id, 0))));
      assert.deepEqual(
        outcomes.filter((o) => o.status === 'rejected'),
        [],
      );
      await Promise.all(logs.map((l) => l.close()));
      const report = await verifyAuditChain({
        lanes: 4,
        reader: fresh.reader,
        heads: fresh.heads,
        checkpoints: fresh.checkpoints,
        keys: [],
      });
      assert.equal(report.ok, true, JSON.stringify(report.lanes.filter((l) => !l.ok)));
      assert.equal(report.events, 200);
    } finally {
      await fresh.cleanup();
    }
  });
});
