import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  checkpointText,
  parseCheckpoint,
  sealCheckpoint,
  signNote,
} from '../../../shared/audit/chain/checkpoint.js';
import { chainEvent } from '../../../shared/audit/chain/hash.js';
import { ChainedAuditLog } from '../../../shared/audit/chain/lanes.js';
import { jwks, LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import { type VerifyReport, verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { sampleEvent } from './fixtures.js';
import type { ChainWorld } from './world.js';

const LANES = 4;
const signer = LocalEs256Signer.generate('test-audit');

interface Scenario {
  world: ChainWorld;
  log: ChainedAuditLog;
  /** The lane with the most events, and its events by index. */
  lane: number;
  events: AuditEvent[];
  verify(trusted?: { seq: number; hash: string }): Promise<VerifyReport>;
}

async function build(world: ChainWorld, leased: boolean): Promise<Scenario> {
  const log = new ChainedAuditLog({
    sink: world.sink,
    heads: world.heads,
    lanes: LANES,
    ...(leased ? { leases: { reader: world.reader } } : {}),
  });
  const seal = async () => {
    // A leased lane moves its head after its appends: what was confirmed is sealed.
    await log.flush();
    const r = await sealCheckpoint({
      heads: world.heads,
      checkpoints: world.checkpoints,
      signer,
      lanes: LANES,
      now: () => new Date('2026-12-01T12:00:00.000Z'),
    });
    assert.equal(r.ok, true, JSON.stringify(r));
  };
  const request = async (id: string) => {
    await log.append(sampleEvent(id, 0));
    await log.append(sampleEvent(id, 1));
  };
  await Promise.all(Array.from({ length: 12 }, (_, i) => request(`req-${i}`)));
  await seal();
  await Promise.all(Array.from({ length: 4 }, (_, i) => request(`late-${i}`)));
  await seal();
  await log.close();
  let lane = 0;
  let events: AuditEvent[] = [];
  for (let l = 0; l < LANES; l++) {
    const found = await world.reader.read(l, 0, Number.MAX_SAFE_INTEGER);
    if (found.length > events.length) {
      lane = l;
      events = found;
    }
  }
  assert.ok(events.length >= 4, 'the busiest lane has at least 4 events');
  const keys = (await jwks([signer])).keys;
  return {
    world,
    log,
    lane,
    events,
    verify: (trusted) =>
      verifyAuditChain({
        lanes: LANES,
        reader: world.reader,
        checkpoints: world.checkpoints,
        heads: world.heads,
        keys,
        ...(trusted ? { trusted } : {}),
      }),
  };
}

function laneFailure(report: VerifyReport, lane: number) {
  assert.equal(report.ok, false, 'verify fails');
  return report.lanes[lane]?.failure;
}

/** Each tamper kind of issue 11, on whatever stores `makeWorld` gives. */
export function runTamperSuite(name: string, makeWorld: () => Promise<ChainWorld>): void {
  for (const leased of [false, true]) tamperSuite(name, makeWorld, leased);
}

function tamperSuite(name: string, makeWorld: () => Promise<ChainWorld>, leased: boolean): void {
  describe(`audit chain tampering (${name}, ${leased ? 'leased lanes' : 'reserve-first'})`, () => {
    let s: Scenario;
    const fresh = async () => {
      s = await build(await makeWorld(), leased);
      return s;
    };
    after(async () => {
      await s?.world.cleanup();
    });

    it('verifies an untouched chain', async () => {
      await fresh();
      const report = await s.verify();
      assert.equal(report.ok, true, JSON.stringify(report, null, 1));
      assert.equal(report.events, 32);
      assert.equal(report.checkpoints.count, 2);
      assert.deepEqual(report.checkpoints.latest?.seq, 1);
      await s.world.cleanup();
    });

    it('detects a modified record', async () => {
      await fresh();
      const victim = s.events[1] as AuditEvent;
      await s.world.tamper.replace({ ...victim, action: 'nothing.to.see' } as AuditEvent);
      assert.deepEqual(laneFailure(await s.verify(), s.lane)?.kind, 'modified');
      assert.equal(laneFailure(await s.verify(), s.lane)?.index, 1);
      await s.world.cleanup();
    });

    it('detects a modified record whose hash was recomputed', async () => {
      await fresh();
      const victim = s.events[1] as AuditEvent;
      const c = victim.chain as NonNullable<AuditEvent['chain']>;
      const forged = chainEvent({ ...victim, status: 403 } as AuditEvent, {
        lane: c.lane,
        index: c.index,
        prev: c.prev,
      });
      await s.world.tamper.replace(forged);
      const failure = laneFailure(await s.verify(), s.lane);
      assert.equal(failure?.kind, 'modified');
      assert.equal(failure?.index, 1);
      await s.world.cleanup();
    });

    it('detects a deleted record', async () => {
      await fresh();
      await s.world.tamper.remove(s.events[1] as AuditEvent);
      const failure = laneFailure(await s.verify(), s.lane);
      assert.equal(failure?.kind, 'missing');
      assert.equal(failure?.index, 1);
      await s.world.cleanup();
    });

    it('detects an inserted record, even one with a valid hash', async () => {
      await fresh();
      const before = s.events[0] as AuditEvent;
      const forged = chainEvent(sampleEvent('forged', 0), {
        lane: s.lane,
        index: 1,
        prev: (before.chain as { hash: string }).hash,
      });
      await s.world.tamper.insert(forged);
      const failure = laneFailure(await s.verify(), s.lane);
      assert.equal(failure?.kind, 'inserted');
      assert.equal(failure?.index, 1);
      await s.world.cleanup();
    });

    it('detects a forged record appended after the head', async () => {
      await fresh();
      const last = s.events.at(-1) as AuditEvent;
      const lc = last.chain as NonNullable<AuditEvent['chain']>;
      await s.world.tamper.insert(
        chainEvent(sampleEvent('forged', 0), { lane: s.lane, index: lc.index + 1, prev: lc.hash }),
      );
      const failure = laneFailure(await s.verify(), s.lane);
      assert.equal(failure?.kind, 'inserted');
      assert.equal(failure?.index, s.events.length);
      await s.world.cleanup();
    });

    it('detects reordered records', async () => {
      await fresh();
      const [a, b] = [s.events[1] as AuditEvent, s.events[2] as AuditEvent];
      const ac = a.chain as NonNullable<AuditEvent['chain']>;
      const bc = b.chain as NonNullable<AuditEvent['chain']>;
      await s.world.tamper.replace({ ...a, chain: { ...ac, index: bc.index } } as AuditEvent);
      await s.world.tamper.replace({ ...b, chain: { ...bc, index: ac.index } } as AuditEvent);
      const failure = laneFailure(await s.verify(), s.lane);
      assert.equal(failure?.kind, 'reordered');
      assert.equal(failure?.index, 1);
      await s.world.cleanup();
    });

    it('detects a truncated lane, even with its head moved back to match', async () => {
      await fresh();
      const keep = s.events.length - 2;
      for (const e of s.events.slice(keep)) await s.world.tamper.remove(e);
      const newLast = s.events[keep - 1] as AuditEvent;
      await s.world.tamper.setHead(s.lane, { length: keep, hash: (newLast.chain as { hash: string }).hash });
      const failure = laneFailure(await s.verify(), s.lane);
      assert.equal(failure?.kind, 'truncated');
      assert.equal(failure?.index, keep);
      await s.world.cleanup();
    });

    it('detects a lane rewritten consistently (every hash recomputed) against the signed checkpoint', async () => {
      await fresh();
      let prev = ((s.events[0] as AuditEvent).chain as { hash: string }).hash;
      for (const e of s.events.slice(1)) {
        const c = e.chain as NonNullable<AuditEvent['chain']>;
        const forged = chainEvent({ ...e, rowsReturned: 0 } as AuditEvent, {
          lane: c.lane,
          index: c.index,
          prev,
        });
        await s.world.tamper.replace(forged);
        prev = (forged.chain as { hash: string }).hash;
      }
      await s.world.tamper.setHead(s.lane, { length: s.events.length, hash: prev });
      assert.equal(laneFailure(await s.verify(), s.lane)?.kind, 'checkpoint_mismatch');
      await s.world.cleanup();
    });

    it('detects a rollback to an older checkpoint', async () => {
      await fresh();
      const first = await s.verify();
      const trusted = first.checkpoints.latest;
      assert.ok(trusted);
      assert.equal((await s.verify(trusted)).ok, true);
      // The attacker removes the newest checkpoint and the events only it covered.
      await s.world.tamper.removeCheckpoint(trusted.seq);
      const report = await s.verify(trusted);
      assert.equal(report.ok, false);
      assert.deepEqual(
        report.checkpoints.failures.map((f) => f.kind),
        ['rollback'],
      );
      await s.world.cleanup();
    });

    it('detects a checkpoint with a bad signature, and one signed by an untrusted key', async () => {
      await fresh();
      const stored = await s.world.checkpoints.list(1, 1);
      const original = stored[0];
      assert.ok(original);
      const parsed = parseCheckpoint(original.note);
      // Same signature, altered text: a lane length bumped.
      const lines = original.note.split('\n');
      const laneLine = lines.findIndex((l) => l.startsWith(`lane ${s.lane} `));
      const parts = (lines[laneLine] as string).split(' ');
      lines[laneLine] = `lane ${s.lane} ${Number(parts[2]) + 1} ${parts[3]}`;
      const altered = lines.join('\n');
      await s.world.tamper.replaceCheckpoint({
        ...original,
        note: altered,
        hash: parseCheckpoint(altered).hash,
      });
      let report = await s.verify();
      assert.deepEqual(
        report.checkpoints.failures.map((f) => [f.seq, f.kind]),
        [[1, 'bad_signature']],
      );
      // A well-formed note signed by someone else's key.
      const intruder = LocalEs256Signer.generate('test-audit');
      const forged = await signNote(checkpointText(parsed), intruder);
      await s.world.tamper.replaceCheckpoint({ ...original, note: forged });
      report = await s.verify();
      assert.deepEqual(
        report.checkpoints.failures.map((f) => [f.seq, f.kind]),
        [[1, 'bad_signature']],
      );
      await s.world.cleanup();
    });

    it('detects a record moved to another lane', async () => {
      await fresh();
      const victim = s.events[1] as AuditEvent;
      const c = victim.chain as NonNullable<AuditEvent['chain']>;
      await s.world.tamper.replace({ ...victim, chain: { ...c, lane: (c.lane + 1) % LANES } } as AuditEvent);
      const report = await s.verify();
      assert.equal(report.ok, false);
      assert.equal(report.lanes[s.lane]?.failure?.kind, 'missing');
      assert.equal(report.lanes[(s.lane + 1) % LANES]?.ok, false);
      await s.world.cleanup();
    });
  });
}
