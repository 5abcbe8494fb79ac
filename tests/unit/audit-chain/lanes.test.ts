import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LaneHeadStore } from '../../../shared/audit/chain/lane-head-store.js';
import { ChainedAuditLog, laneOf } from '../../../shared/audit/chain/lanes.js';
import { verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { GatewayError } from '../../../shared/errors.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { sampleEvent } from './fixtures.js';

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function verify(events: MemoryChainEventStore, heads: LaneHeadStore, lanes = 16) {
  return verifyAuditChain({
    lanes,
    reader: events,
    heads,
    checkpoints: new MemoryCheckpointStore(),
    keys: [],
  });
}

describe('ChainedAuditLog', () => {
  it('refuses an append its lane never answers (audit_unavailable), so the request is still answered', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    // A sink that never settles stands for any fault that leaves a lane waiting.
    const log = new ChainedAuditLog({
      sink: { append: () => new Promise<void>(() => {}) },
      heads: new MemoryLaneHeadStore(),
      lanes: 1,
      answerWithinMs: 1000,
    });
    const seen: { settled?: unknown } = {};
    // Read through a function: an assertion would narrow the property for good.
    const outcome = () => seen.settled;
    const answer = log.append(sampleEvent('stuck', 0)).then(
      () => {
        seen.settled = 'stored';
      },
      (e: unknown) => {
        seen.settled = e;
      },
    );
    for (let i = 0; i < 5; i++) await yieldTurn();
    t.mock.timers.tick(999);
    await yieldTurn();
    assert.equal(outcome(), undefined, 'not refused before its time');
    t.mock.timers.tick(1);
    await answer;
    const refused = outcome();
    assert.ok(refused instanceof GatewayError && refused.code === 'audit_unavailable', String(refused));
  });

  it('spreads requests over lanes by request id, deterministically', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[laneOf(`req-${i}`, 16)]++;
    assert.equal(laneOf('abc', 16), laneOf('abc', 16));
    assert.ok(Math.min(...counts) > 60, `every lane gets requests: ${counts}`);
  });

  it('takes 2,000 concurrent appends from 4 instances racing on the heads: no lost append, every lane verifies', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    // Four gateway instances share the stores, as function instances share Cosmos.
    const logs = Array.from(
      { length: 4 },
      () => new ChainedAuditLog({ sink: events, heads, backoff: yieldTurn }),
    );
    const ids = Array.from({ length: 2000 }, (_, i) => `req-${i}`);
    await Promise.all(ids.map((id, i) => logs[i % 4]?.append(sampleEvent(id, 0))));
    assert.ok(heads.conflicts > 0, 'the instances really raced');
    assert.equal(events.appends, 2000);
    const report = await verify(events, heads);
    assert.equal(report.ok, true, JSON.stringify(report.lanes.filter((l) => !l.ok)));
    assert.equal(report.events, 2000);
    const stored = new Set(events.all().map((e) => e.requestId));
    assert.deepEqual([...stored].sort(), [...ids].sort());
  });

  it("keeps one request's events in one lane, in seq order", async () => {
    const events = new MemoryChainEventStore();
    const log = new ChainedAuditLog({ sink: events, heads: new MemoryLaneHeadStore() });
    const noise = Array.from({ length: 50 }, (_, i) => log.append(sampleEvent(`other-${i}`, 0)));
    for (let seq = 0; seq < 5; seq++) await log.append(sampleEvent('one', seq));
    await Promise.all(noise);
    const mine = events.all().filter((e) => e.requestId === 'one');
    assert.equal(new Set(mine.map((e) => e.chain?.lane)).size, 1);
    const bySeq = mine.sort((a, b) => a.seq - b.seq).map((e) => e.chain?.index ?? -1);
    assert.deepEqual(
      bySeq,
      [...bySeq].sort((a, b) => a - b),
    );
  });

  it('answers the event as stored, chain set, and ignores a chain field the caller set', async () => {
    const log = new ChainedAuditLog({ sink: new MemoryChainEventStore(), heads: new MemoryLaneHeadStore() });
    const forged = {
      ...sampleEvent('r', 0),
      chain: { lane: 99, index: 99, prev: 'x', hash: 'y' },
    } as AuditEvent;
    const stored = await log.appendChained(forged);
    assert.equal(stored.chain?.lane, laneOf('r', 16));
    assert.equal(stored.chain?.index, 0);
  });

  it('store unavailable: rejects with audit_unavailable, puts the head back, and the chain still verifies', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    const log = new ChainedAuditLog({ sink: events, heads });
    await log.append(sampleEvent('a', 0));
    events.setAvailable(false);
    await assert.rejects(
      log.append(sampleEvent('a', 1)),
      (e) => e instanceof GatewayError && e.code === 'audit_unavailable',
    );
    events.setAvailable(true);
    await log.append(sampleEvent('a', 2));
    const report = await verify(events, heads);
    assert.equal(report.ok, true, JSON.stringify(report.lanes.filter((l) => !l.ok)));
    assert.equal(report.events, 2);
  });

  it('store down with several batches in flight: every append rejects and the lane has no trace of them', async () => {
    const events = new MemoryChainEventStore({ latencyMs: 1 });
    const heads = new MemoryLaneHeadStore();
    const log = new ChainedAuditLog({ sink: events, heads, lanes: 1 });
    await log.append(sampleEvent('before', 0));
    events.setAvailable(false);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => log.append(sampleEvent(`down-${i}`, 0))),
    );
    assert.ok(outcomes.every((o) => o.status === 'rejected'));
    events.setAvailable(true);
    await log.append(sampleEvent('after', 0));
    const report = await verify(events, heads, 1);
    assert.equal(report.ok, true, JSON.stringify(report.lanes));
    assert.equal(report.events, 2);
    assert.equal((await heads.get(0))?.length, 2);
  });

  it('head store unavailable: rejects with audit_unavailable and stores nothing', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    const log = new ChainedAuditLog({ sink: events, heads });
    heads.failNext(1);
    await assert.rejects(
      log.append(sampleEvent('a', 0)),
      (e) => e instanceof GatewayError && e.code === 'audit_unavailable',
    );
    assert.equal(events.appends, 0);
    await log.append(sampleEvent('b', 0));
    assert.equal((await verify(events, heads)).ok, true);
  });

  it('gives up (fail closed) when a lane stays contended, retrying meanwhile', async () => {
    const events = new MemoryChainEventStore();
    const alwaysLost: LaneHeadStore = {
      get: async () => null,
      set: async () => ({ ok: false, reason: 'conflict' }),
    };
    let waits = 0;
    const log = new ChainedAuditLog({
      sink: events,
      heads: alwaysLost,
      maxAttempts: 5,
      backoff: async () => {
        waits++;
      },
    });
    await assert.rejects(
      log.append(sampleEvent('a', 0)),
      (e) => e instanceof GatewayError && e.code === 'audit_unavailable',
    );
    assert.equal(waits, 4);
    assert.equal(events.appends, 0, 'nothing stored at a slot it did not win');
  });

  it('a slot reserved but never written (crash window) is reported by verify, never explained away', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    // The write of 'lost' fails and so does putting the head back: as if the process died in between.
    const sink = {
      append: async (e: AuditEvent) => {
        if (e.requestId === 'lost') {
          heads.failNext(1);
          throw new GatewayError('audit_unavailable', 'simulated');
        }
        await events.append(e);
      },
    };
    const log = new ChainedAuditLog({ sink, heads, lanes: 1 });
    await log.append(sampleEvent('a', 0));
    await assert.rejects(log.append(sampleEvent('lost', 0)));
    let report = await verify(events, heads, 1);
    assert.equal(report.lanes[0]?.failure?.kind, 'truncated');
    await log.append(sampleEvent('b', 0));
    report = await verify(events, heads, 1);
    assert.deepEqual(
      report.lanes[0]?.failure && [report.lanes[0].failure.kind, report.lanes[0].failure.index],
      ['missing', 1],
    );
  });
});
