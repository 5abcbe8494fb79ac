import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sealCheckpoint } from '../../../shared/audit/chain/checkpoint.js';
import { ChainedAuditLog } from '../../../shared/audit/chain/lanes.js';
import { jwks, LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import { verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { sampleEvent } from './fixtures.js';

describe('verify over a window (from a checkpoint)', () => {
  it('reads only what follows the checkpoint, and still catches tampering there', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    const checkpoints = new MemoryCheckpointStore();
    const signer = LocalEs256Signer.generate();
    const log = new ChainedAuditLog({ sink: events, heads, lanes: 1 });
    const seal = async () => assert.ok((await sealCheckpoint({ heads, checkpoints, signer, lanes: 1 })).ok);
    for (let i = 0; i < 10; i++) await log.append(sampleEvent(`old-${i}`, 0));
    await seal();
    for (let i = 0; i < 5; i++) await log.append(sampleEvent(`new-${i}`, 0));
    await seal();
    const keys = (await jwks([signer])).keys;
    const run = (sinceSeq?: number) =>
      verifyAuditChain({
        lanes: 1,
        reader: events,
        heads,
        checkpoints,
        keys,
        ...(sinceSeq === undefined ? {} : { sinceSeq }),
      });

    const window = await run(0);
    assert.equal(window.ok, true);
    assert.equal(window.events, 5, 'only the events after checkpoint 0 are read');

    const victim = events.all().find((e) => e.chain?.index === 12) as AuditEvent;
    events.replace({ ...victim, rowsReturned: 99 } as AuditEvent);
    const tampered = await run(0);
    assert.deepEqual([tampered.lanes[0]?.failure?.kind, tampered.lanes[0]?.failure?.index], ['modified', 12]);
    events.replace(victim);

    const missing = await run(7);
    assert.equal(missing.ok, false);
    assert.deepEqual(
      missing.checkpoints.failures.map((f) => f.kind),
      ['gap'],
    );
    assert.equal(missing.events, 15, 'falls back to the whole lane');
  });
});
