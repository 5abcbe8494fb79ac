import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { runAuditVerify } from '../../../cli/commands/audit-verify.js';
import { type LocalAzurite, startAzurite } from '../../../cli/dev/azurite.js';
import {
  archiveBlobName,
  BlobCheckpointArchive,
  CheckpointArchiveConflictError,
} from '../../../shared/audit/chain/blob-checkpoint-archive.js';
import { sealCheckpoint, signNote } from '../../../shared/audit/chain/checkpoint.js';
import type { StoredCheckpoint } from '../../../shared/audit/chain/checkpoint-store.js';
import { ChainedAuditLog } from '../../../shared/audit/chain/lanes.js';
import { LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import { type VerifyReport, verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import { chainAuditStore } from '../../../shared/audit/chain/wiring.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../../shared/connectors/blob/azure-blob-connector.js';
import type { AuditStore } from '../../../shared/store/audit-store.js';
import { runWithIo } from '../../support/capture-io.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { sampleEvent } from './fixtures.js';

/**
 * The Blob checkpoint archive through the real SDK against Azurite (in memory, loopback): the
 * conditional create, the refusal to overwrite, the audited seal failure, and verify comparing
 * the store's checkpoints with the archived ones.
 */

const LANES = 4;
let azurite: LocalAzurite;
let service: BlobServiceClient;

before(async () => {
  azurite = await startAzurite();
  service = new BlobServiceClient(
    azurite.accountUrl,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    { retryOptions: { maxTries: 1 } },
  );
});
after(async () => {
  await azurite.stop();
});

async function freshContainer(): Promise<ContainerClient> {
  const container = service.getContainerClient(`cp-${randomUUID()}`);
  await container.create();
  return container;
}

/** A chain with a few events and `seals` checkpoints, each archived by the seal itself. */
async function world(seals: number) {
  const container = await freshContainer();
  const archive = new BlobCheckpointArchive(container);
  const events = new MemoryChainEventStore();
  const heads = new MemoryLaneHeadStore();
  const checkpoints = new MemoryCheckpointStore();
  const signer = LocalEs256Signer.generate('agentgate-test');
  const log = new ChainedAuditLog({ sink: events, heads, lanes: LANES });
  let minute = 0;
  const now = () => new Date(Date.UTC(2026, 11, 1, 12, minute++));
  for (let s = 0; s < seals; s++) {
    for (let i = 0; i < 3; i++) await log.append(sampleEvent(`r-${s}-${i}`, 0));
    const sealed = await sealCheckpoint({ heads, checkpoints, signer, lanes: LANES, now, archive });
    assert.ok(sealed.ok, sealed.ok ? '' : sealed.error);
  }
  const keys = [await signer.publicJwk()];
  const verify = (extra: { live?: boolean } = {}) =>
    verifyAuditChain({
      lanes: LANES,
      reader: events,
      checkpoints,
      heads,
      keys,
      archive,
      ...extra,
    });
  return { container, archive, events, heads, checkpoints, signer, now, verify };
}

const kinds = (report: VerifyReport) => report.checkpoints.failures.map((f) => `${f.seq}:${f.kind}`);

describe('Blob checkpoint archive (Azurite)', () => {
  it('writes one blob per checkpoint, named by seq in order, holding exactly the note', async () => {
    const w = await world(3);
    const names: string[] = [];
    for await (const blob of w.container.listBlobsFlat()) names.push(blob.name);
    assert.deepEqual(names, [0, 1, 2].map(archiveBlobName));
    assert.equal(archiveBlobName(12), 'checkpoints/000000000000012.note');
    const stored = await w.checkpoints.list(0, 10);
    for (const cp of stored) assert.deepEqual(await w.archive.get(cp.seq), cp);
    assert.equal(await w.archive.get(3), null);
    const report = await w.verify();
    assert.ok(report.ok, JSON.stringify(report.checkpoints.failures));
  });

  it('refuses to overwrite an archived checkpoint, even with the same or another note', async () => {
    const w = await world(2);
    const [first, second] = (await w.checkpoints.list(0, 10)) as [StoredCheckpoint, StoredCheckpoint];
    await assert.rejects(w.archive.put(first), CheckpointArchiveConflictError);
    // Another validly signed note for the same seq (a re-seal) is refused as well.
    const forged = { ...second, seq: first.seq };
    await assert.rejects(w.archive.put(forged), /disagree/);
    const resealed = await sealCheckpoint({
      heads: new MemoryLaneHeadStore(),
      checkpoints: new MemoryCheckpointStore(),
      signer: w.signer,
      lanes: LANES,
    });
    assert.ok(resealed.ok);
    assert.equal(resealed.checkpoint.seq, 0);
    await assert.rejects(w.archive.put(resealed.checkpoint), /already archived/);
    assert.deepEqual(await w.archive.get(0), first, 'the archived copy is unchanged');
  });

  it('a seal whose checkpoint is already archived fails at stage archive and is audited', async () => {
    const container = await freshContainer();
    const archive = new BlobCheckpointArchive(container);
    const heads = new MemoryLaneHeadStore();
    const signer = LocalEs256Signer.generate('agentgate-test');
    // Someone archived a checkpoint 0 first (a second gateway, or an attacker planting one).
    const planted = await sealCheckpoint({
      heads,
      checkpoints: new MemoryCheckpointStore(),
      signer,
      lanes: LANES,
    });
    assert.ok(planted.ok);
    await archive.put(planted.checkpoint);
    const audited: AuditEvent[] = [];
    const store = {
      append: async (event: AuditEvent) => {
        audited.push(event);
      },
      search: async () => ({ records: [] }),
    } as unknown as AuditStore;
    const checkpoints = new MemoryCheckpointStore();
    const chain = chainAuditStore(store, { heads, checkpoints, signer, lanes: LANES, archive }, randomUUID);
    await chain.seal(new Date('2026-12-01T12:00:00.000Z'));
    const event = audited.find((e) => e.kind === 'maintenance');
    assert.ok(event && event.kind === 'maintenance');
    assert.equal(event.ok, false);
    assert.equal(event.detail.stage, 'archive');
    assert.match(String(event.detail.error), /checkpoint 0 is already archived/);
    assert.deepEqual(await archive.get(0), planted.checkpoint, 'the planted copy was not replaced');
  });

  it('verify reports a store checkpoint that differs from the archived one', async () => {
    const w = await world(3);
    // A validly signed checkpoint 1 from another sealing replaces the store copy: signature
    // and chain checks alone cannot tell it from the original.
    const original = (await w.checkpoints.list(1, 1))[0] as StoredCheckpoint;
    const text = original.note.slice(0, original.note.indexOf('\n\n') + 1);
    const resigned = await signNote(text, w.signer);
    assert.notEqual(resigned, original.note);
    w.checkpoints.replace({ ...original, note: resigned });
    const report = await w.verify();
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['1:archive_mismatch']);
  });

  it('verify reports a checkpoint missing from the archive, and newest ones removed from the store', async () => {
    const w = await world(3);
    await w.container.deleteBlob(archiveBlobName(1));
    assert.deepEqual(kinds(await w.verify()), ['1:archive_missing']);
    const w2 = await world(3);
    // Rolled back: the newest checkpoint is gone from the store; with no state file, only
    // the archive knows it existed.
    w2.checkpoints.remove(2);
    const report = await w2.verify();
    assert.equal(report.ok, false);
    assert.deepEqual(kinds(report), ['2:rollback']);
  });

  it('live: the newest checkpoint may be sealed but not yet archived; an older one may not', async () => {
    const w = await world(3);
    await w.container.deleteBlob(archiveBlobName(2));
    assert.deepEqual(kinds(await w.verify({ live: true })), []);
    assert.deepEqual(kinds(await w.verify()), ['2:archive_missing']);
    await w.container.deleteBlob(archiveBlobName(1));
    assert.deepEqual(kinds(await w.verify({ live: true })), ['1:archive_missing']);
  });

  it('an archived blob that is not the note its name says is a mismatch', async () => {
    const w = await world(2);
    await w.container.deleteBlob(archiveBlobName(1));
    const zero = (await w.archive.get(0)) as StoredCheckpoint;
    await w.container.getBlockBlobClient(archiveBlobName(1)).upload(zero.note, Buffer.byteLength(zero.note));
    assert.deepEqual(kinds(await w.verify()), ['1:archive_mismatch']);
    await w.container.deleteBlob(archiveBlobName(1));
    await w.container.getBlockBlobClient(archiveBlobName(1)).upload('x'.repeat(70_000), 70_000);
    assert.deepEqual(kinds(await w.verify()), ['1:archive_mismatch']);
  });

  it('audit verify fails, naming the checkpoint, when the store copy differs from the archive', async () => {
    const w = await world(2);
    const cwd = await mkdtemp(join(tmpdir(), 'archive-verify-'));
    try {
      const keys = join(cwd, 'jwks.json');
      await writeFile(keys, JSON.stringify({ keys: [await w.signer.publicJwk()] }));
      const source = {
        lanes: LANES,
        reader: w.events,
        checkpoints: w.checkpoints,
        heads: w.heads,
        archive: w.archive,
      };
      const run = () => runWithIo((a, io) => runAuditVerify(a, io, source), ['--keys', keys], { cwd });
      assert.equal((await run()).code, 0);
      const original = (await w.checkpoints.list(0, 1))[0] as StoredCheckpoint;
      const text = original.note.slice(0, original.note.indexOf('\n\n') + 1);
      w.checkpoints.replace({ ...original, note: await signNote(text, w.signer) });
      const { code, out } = await run();
      assert.equal(code, 1);
      assert.match(out, /checkpoint 0: archive_mismatch/);
      const refused = await runWithIo(
        (a, io) => runAuditVerify(a, io, source),
        ['--keys', keys, '--archive', 'http://example.invalid/c'],
        { cwd },
      );
      assert.equal(refused.code, 2, 'a plain-http archive URL is a usage error');
    } finally {
      await rm(cwd, { recursive: true });
    }
  });
});
