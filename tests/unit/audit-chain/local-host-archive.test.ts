import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { runAuditVerify } from '../../../cli/commands/audit-verify.js';
import { isLocalArchiveUrl } from '../../../cli/dev/checkpoint-archive.js';
import { type DevHost, startDevHost } from '../../../cli/dev/host.js';
import { archiveBlobName } from '../../../shared/audit/chain/blob-checkpoint-archive.js';
import { checkpointText, parseCheckpoint, signNote } from '../../../shared/audit/chain/checkpoint.js';
import { LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import type { VerifyReport } from '../../../shared/audit/chain/verify.js';
import type { VerificationEvent } from '../../../shared/audit/event.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../../shared/connectors/blob/azure-blob-connector.js';
import { runWithIo } from '../../support/capture-io.js';

/**
 * The local host archives every sealed checkpoint to its Azurite, as Azure does to the
 * immutable container, so `agentgate audit verify --archive` works against `npm start`; and it
 * runs the verification timer over the same stores (fired by hand here).
 */
describe('local host: checkpoint archive on Azurite and the verification timer', () => {
  let host: DevHost;
  let cwd: string;
  let container: ContainerClient;

  const seal = () => host.gateway.triggerHandlers.sealAuditCheckpoint?.(new Date()) ?? Promise.resolve();
  async function verify(...extra: string[]) {
    const { code, out, err } = await runWithIo(runAuditVerify, ['--json', ...extra], { cwd });
    return { code, err, report: (out ? JSON.parse(out) : {}) as VerifyReport };
  }
  async function verificationEvents(): Promise<VerificationEvent[]> {
    const { resources } = await host.database
      .container('audit')
      .items.query<VerificationEvent>("SELECT * FROM c WHERE c.kind = 'verification'")
      .fetchAll();
    return resources.sort((a, b) => a.run - b.run);
  }

  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'agentgate-local-archive-'));
    await mkdir(join(cwd, '.agentgate'), { recursive: true });
    host = await startDevHost({
      port: 0,
      stateDir: join(cwd, '.agentgate'),
      customers: 50,
      env: {},
      // The lock records where the archive is: a bare --archive finds it there.
      skipTimers: ['sealAuditCheckpoint', 'verifyAuditWindow', 'expireApprovals'],
    });
    assert.ok(host.archiveUrl && isLocalArchiveUrl(host.archiveUrl), host.archiveUrl);
    container = new ContainerClient(
      host.archiveUrl,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    );
    const agent = await host.issuer.mint({ agent: 'archive-agent' });
    for (let i = 1; i <= 6; i++) {
      const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql: `select id, city from customers where id = ${i}` }),
      });
      assert.equal(res.status, 200);
    }
    await seal();
    await seal();
  });

  after(async () => {
    await host?.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  test('each sealed checkpoint is a blob in audit-checkpoints holding its note', async () => {
    assert.match(host.archiveUrl ?? '', /\/devstoreaccount1\/audit-checkpoints$/);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    assert.deepEqual(names, [archiveBlobName(0), archiveBlobName(1)]);
    const stored = await host.database
      .container('auditCheckpoints')
      .item('000000000001', '000000000001')
      .read();
    const body = await container.getBlobClient(archiveBlobName(1)).downloadToBuffer();
    assert.equal(body.toString('utf8'), (stored.resource as { note: string }).note);
  });

  test('agentgate audit verify --archive (bare) reads the local host archive and passes', async () => {
    const { code, report, err } = await verify('--archive');
    assert.equal(code, 0, err || JSON.stringify(report.checkpoints));
    assert.equal(report.checkpoints.count, 2);
    // The same by URL.
    const byUrl = await verify('--archive', host.archiveUrl as string);
    assert.equal(byUrl.code, 0, byUrl.err);
  });

  test('a store checkpoint that differs from its archived copy fails verify --archive and the timer', async () => {
    const cps = host.database.container('auditCheckpoints');
    const item = (await cps.item('000000000000', '000000000000').read()).resource as Record<string, unknown>;
    const { _rid, _etag, _ts, _self, _attachments, ...original } = item;
    try {
      // The same text signed again with the host's own key: valid, but not the archived seal.
      const signer = await LocalEs256Signer.fromStateDir(join(cwd, '.agentgate'));
      const note = await signNote(checkpointText(parseCheckpoint(original.note as string)), signer);
      await cps.items.upsert({ ...original, note });
      const { code, report } = await verify('--archive');
      assert.equal(code, 1);
      assert.deepEqual(
        report.checkpoints.failures.map((f) => `${f.seq}:${f.kind}`),
        ['0:archive_mismatch'],
      );
      await host.gateway.triggerHandlers.verifyAuditWindow?.(new Date());
      const [event] = await verificationEvents();
      assert.ok(event, 'the timer audited its run');
      assert.equal(event.ok, false);
      assert.deepEqual(
        [event.firstFailure?.scope, event.firstFailure?.kind],
        ['checkpoint', 'archive_mismatch'],
      );
    } finally {
      await cps.items.upsert(original);
    }
  });

  test('the verification timer on the local host: a clean window audits ok and saves its state in Cosmos DB', async () => {
    await seal();
    // A period later than the failed run above.
    const later = new Date(Date.now() + 16 * 60_000);
    await host.gateway.triggerHandlers.verifyAuditWindow?.(later);
    const events = await verificationEvents();
    const last = events.at(-1);
    assert.ok(last && events.length === 2, JSON.stringify(events.map((e) => e.firstFailure)));
    assert.equal(last.ok, true, JSON.stringify(last.firstFailure));
    assert.equal(last.checkpoints.to?.seq, 2);
    const state = await host.database.container('auditLanes').item('verifier', 'verifier').read();
    assert.equal((state.resource as { run: number }).run, last.run);
    // And the whole chain, verifier events included, still verifies from outside.
    await seal();
    const { code, err } = await verify('--archive');
    assert.equal(code, 0, err);
  });
});
