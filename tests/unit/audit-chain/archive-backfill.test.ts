import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { type LocalAzurite, startAzurite } from '../../../cli/dev/azurite.js';
import { BlobCheckpointArchive } from '../../../shared/audit/chain/blob-checkpoint-archive.js';
import { checkpointText, parseCheckpoint, signNote } from '../../../shared/audit/chain/checkpoint.js';
import type { CheckpointArchive, StoredCheckpoint } from '../../../shared/audit/chain/checkpoint-store.js';
import { LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import { verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import { chainAuditStore } from '../../../shared/audit/chain/wiring.js';
import type { MaintenanceEvent } from '../../../shared/audit/event.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../../shared/connectors/blob/azure-blob-connector.js';
import type { GatewayLogEvent } from '../../../shared/use-cases/deps.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { sampleEvent } from './fixtures.js';

/**
 * A checkpoint whose archive write failed stays sealed in the store; later seals copy every
 * such checkpoint into the archive (bounded per tick), audit and log what they copied, and
 * refuse a store copy no trusted key signed. The archive is the real Blob adapter on Azurite,
 * behind a switch that makes its writes fail as an unreachable account would.
 */

let azurite: LocalAzurite;
let service: BlobServiceClient;
before(async () => {
  azurite = await startAzurite();
  service = new BlobServiceClient(
    azurite.accountUrl,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    {
      retryOptions: { maxTries: 1 },
    },
  );
});
after(async () => {
  await azurite.stop();
});

async function world() {
  const container = service.getContainerClient(`bf-${randomUUID()}`);
  await container.create();
  const blob = new BlobCheckpointArchive(container);
  let down = false;
  const archive: CheckpointArchive = {
    put: async (c) => {
      if (down) throw new Error('simulated archive outage');
      await blob.put(c);
    },
    get: (seq) => blob.get(seq),
  };
  const events = new MemoryChainEventStore();
  const heads = new MemoryLaneHeadStore();
  const checkpoints = new MemoryCheckpointStore();
  const signer = LocalEs256Signer.generate('agentgate-test');
  const logs: GatewayLogEvent[] = [];
  const chain = chainAuditStore(
    { append: (e) => events.append(e), search: async () => ({ records: [] }) },
    { heads, checkpoints, signer, lanes: 2, reader: events, archive },
    () => randomUUID(),
    (e) => logs.push(e),
  );
  let minute = 0;
  const seal = async () => {
    await chain.store.append(sampleEvent(randomUUID(), 0));
    await chain.seal(new Date(Date.UTC(2026, 11, 1, 12, minute++)));
    const seals = events.all().filter((e): e is MaintenanceEvent => e.kind === 'maintenance');
    return seals.sort((a, b) => a.time.localeCompare(b.time)).at(-1) as MaintenanceEvent;
  };
  const verify = async () => {
    // Leased lanes move their heads after their appends: verified at rest, once they have.
    await chain.flush();
    return verifyAuditChain({
      lanes: 2,
      reader: events,
      heads,
      checkpoints,
      keys: [await signer.publicJwk()],
      archive: blob,
    });
  };
  const setDown = (value: boolean) => {
    down = value;
  };
  return { blob, checkpoints, logs, seal, verify, setDown };
}

describe('archive backfill', () => {
  it('seals while the archive is down, then backfills every missing checkpoint once it is back', async () => {
    const w = await world();
    assert.equal((await w.seal()).ok, true);
    w.setDown(true);
    for (let i = 0; i < 3; i++) {
      const failed = await w.seal();
      assert.equal(failed.ok, false);
      assert.equal(failed.detail.stage, 'archive');
    }
    assert.equal((await w.checkpoints.list(0, 10)).length, 4, 'sealed in the store anyway');
    assert.ok(w.logs.some((l) => l.level === 'error' && /not archived/.test(l.message)));
    const before = await w.verify();
    assert.deepEqual(
      before.checkpoints.failures.map((f) => `${f.seq}:${f.kind}`),
      ['1:archive_missing', '2:archive_missing', '3:archive_missing'],
    );

    w.setDown(false);
    const recovered = await w.seal();
    assert.equal(recovered.ok, true);
    assert.deepEqual((recovered.detail.archiveBackfill as { backfilled: number[] }).backfilled, [3, 2, 1]);
    assert.ok(w.logs.some((l) => l.level === 'warn' && /backfilled checkpoints 3, 2, 1/.test(l.message)));
    for (const seq of [1, 2, 3])
      assert.deepEqual(await w.blob.get(seq), (await w.checkpoints.list(seq, 1))[0]);
    const report = await w.verify();
    assert.equal(report.ok, true, JSON.stringify(report.checkpoints.failures));
    // Nothing left: the next seal records no backfill.
    assert.equal((await w.seal()).detail.archiveBackfill, undefined);
  });

  it('is bounded per tick: ten writes a seal, the rest at the next', async () => {
    const w = await world();
    w.setDown(true);
    for (let i = 0; i < 12; i++) await w.seal();
    w.setDown(false);
    const first = await w.seal();
    assert.equal((first.detail.archiveBackfill as { backfilled: number[] }).backfilled.length, 10);
    const second = await w.seal();
    assert.deepEqual((second.detail.archiveBackfill as { backfilled: number[] }).backfilled, [1, 0]);
    assert.equal((await w.verify()).ok, true);
  });

  it('never launders a store copy into the archive: one no trusted key signed is refused', async () => {
    const w = await world();
    await w.seal();
    w.setDown(true);
    await w.seal();
    w.setDown(false);
    const [stored] = (await w.checkpoints.list(1, 1)) as [StoredCheckpoint];
    const forged = await signNote(
      checkpointText(parseCheckpoint(stored.note)),
      LocalEs256Signer.generate('intruder'),
    );
    w.checkpoints.replace({ ...stored, note: forged });
    const next = await w.seal();
    const backfill = next.detail.archiveBackfill as {
      backfilled: number[];
      failed?: { seq: number; error: string };
    };
    assert.deepEqual(backfill.backfilled, [], 'nothing was copied');
    assert.equal(backfill.failed?.seq, 1);
    assert.match(backfill.failed?.error ?? '', /not signed by a trusted key/);
    assert.equal(await w.blob.get(1), null, 'the forged note is not in the archive');
    assert.ok(w.logs.some((l) => l.level === 'error' && /backfill stopped at checkpoint 1/.test(l.message)));
  });
});
