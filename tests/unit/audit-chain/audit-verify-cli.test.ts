import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AuditVerifySource, runAuditVerify } from '../../../cli/commands/audit-verify.js';
import { sealCheckpoint } from '../../../shared/audit/chain/checkpoint.js';
import { ChainedAuditLog } from '../../../shared/audit/chain/lanes.js';
import { LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { runWithIo } from '../../support/capture-io.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { sampleEvent } from './fixtures.js';

describe('agentgate audit verify', () => {
  let cwd: string;
  let events: MemoryChainEventStore;
  let checkpoints: MemoryCheckpointStore;
  let source: AuditVerifySource;

  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'audit-verify-'));
    events = new MemoryChainEventStore();
    checkpoints = new MemoryCheckpointStore();
    const heads = new MemoryLaneHeadStore();
    // The local host's own key, from the same state directory the command reads.
    const signer = await LocalEs256Signer.fromStateDir(join(cwd, '.agentgate'));
    const log = new ChainedAuditLog({ sink: events, heads, lanes: 4 });
    for (let i = 0; i < 20; i++) await log.append(sampleEvent(`r-${i}`, 0));
    for (let n = 0; n < 2; n++) {
      const sealed = await sealCheckpoint({ heads, checkpoints, signer, lanes: 4 });
      assert.equal(sealed.ok, true);
    }
    source = { lanes: 4, reader: events, checkpoints, heads };
  });

  after(async () => {
    await rm(cwd, { recursive: true });
  });

  it('prints a summary table, exits 0 and remembers the checkpoint it verified', async () => {
    const { code, out } = await runWithIo((a, io) => runAuditVerify(a, io, source), [], { cwd });
    assert.equal(code, 0);
    assert.match(out, /^lane \| events \| sealed \| status/);
    assert.match(out, /audit chain: OK \(20 events\)/);
    const state = JSON.parse(await readFile(join(cwd, '.agentgate', 'audit-verify-state.json'), 'utf8'));
    assert.equal(state.seq, 1);
  });

  it('prints JSON with --json', async () => {
    const { code, out } = await runWithIo((a, io) => runAuditVerify(a, io, source), ['--json'], { cwd });
    assert.equal(code, 0);
    const report = JSON.parse(out);
    assert.equal(report.ok, true);
    assert.equal(report.lanes.length, 4);
  });

  it('exits 1 on a modified record, naming the lane and index', async () => {
    const victim = events.all().find((e) => e.chain?.index === 0) as AuditEvent;
    events.replace({ ...victim, status: 500 } as AuditEvent);
    try {
      const { code, out } = await runWithIo((a, io) => runAuditVerify(a, io, source), ['--json'], { cwd });
      assert.equal(code, 1);
      const lane = JSON.parse(out).lanes[victim.chain?.lane ?? -1];
      assert.deepEqual([lane.failure.kind, lane.failure.index], ['modified', 0]);
    } finally {
      events.replace(victim);
    }
  });

  it('exits 1 when the store was rolled back behind the state file', async () => {
    const newest = (await checkpoints.latest())?.seq ?? -1;
    const kept = (await checkpoints.list(newest, 1))[0];
    checkpoints.remove(newest);
    try {
      const { code, out } = await runWithIo((a, io) => runAuditVerify(a, io, source), [], { cwd });
      assert.equal(code, 1);
      assert.match(out, /checkpoint 1: rollback/);
    } finally {
      if (kept) checkpoints.replace(kept);
    }
  });

  it('refuses a damaged state file instead of starting over, and exits 2 on an unreachable --url', async () => {
    const statePath = join(cwd, 'damaged.json');
    await writeFile(statePath, '{"seq": "one"}');
    const damaged = await runWithIo((a, io) => runAuditVerify(a, io, source), ['--state', statePath], {
      cwd,
    });
    assert.equal(damaged.code, 2);
    assert.match(damaged.err, /not a verify state file/);
    const remote = await runWithIo(
      (a, io) => runAuditVerify(a, io, source),
      ['--url', 'http://127.0.0.1:9', '--token', 't'],
      { cwd },
    );
    assert.equal(remote.code, 2);
  });

  it('trusts only pinned keys when given --keys', async () => {
    const other = LocalEs256Signer.generate();
    const keysPath = join(cwd, 'pinned.json');
    await writeFile(keysPath, JSON.stringify({ keys: [await other.publicJwk()] }));
    const { code, out } = await runWithIo(
      (a, io) => runAuditVerify(a, io, source),
      ['--keys', keysPath, '--state', join(cwd, 's2.json')],
      { cwd },
    );
    assert.equal(code, 1);
    assert.match(out, /bad_signature/);
  });
});
