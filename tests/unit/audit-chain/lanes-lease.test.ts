import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { LaneHeadStore } from '../../../shared/audit/chain/lane-head-store.js';
import {
  type AuditEventSink,
  ChainedAuditLog,
  type LaneLeaseOptions,
} from '../../../shared/audit/chain/lanes.js';
import { verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { GatewayError } from '../../../shared/errors.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { sampleEvent } from './fixtures.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/** Lease timing for tests: the mocked Date is the clock, and waiting ticks it. */
function leaseOptions(
  events: MemoryChainEventStore,
  extra: Partial<LaneLeaseOptions> = {},
): LaneLeaseOptions {
  return {
    reader: events,
    ttlMs: 1000,
    marginMs: 250,
    renewMs: 250,
    flushMs: 0,
    pollMs: 50,
    cooldownMs: 60_000,
    clock: () => Date.now(),
    wait: async (ms) => {
      mock.timers.tick(ms);
      await turn();
    },
    ...extra,
  };
}

function verify(events: MemoryChainEventStore, heads: LaneHeadStore, lanes: number, live = false) {
  return verifyAuditChain({
    lanes,
    reader: events,
    heads,
    checkpoints: new MemoryCheckpointStore(),
    keys: [],
    live,
    settleMs: 0,
  });
}

/** A sink whose appends of chosen requests wait until released (a slow or paused write). */
function gatedSink(events: MemoryChainEventStore) {
  const held = new Map<string, () => void>();
  const gates = new Set<string>();
  const sink: AuditEventSink = {
    append: async (e) => {
      if (gates.has(e.requestId)) await new Promise<void>((resolve) => held.set(e.requestId, resolve));
      await events.append(e);
    },
  };
  return {
    sink,
    hold: (requestId: string) => gates.add(requestId),
    release: (requestId: string) => {
      gates.delete(requestId);
      held.get(requestId)?.();
    },
  };
}

/** Head store calls that can be frozen: a paused process neither renews nor moves its head. */
function freezable(heads: LaneHeadStore) {
  let frozen: Promise<void> | undefined;
  let thaw = () => {};
  const gate = async () => {
    if (frozen) await frozen;
  };
  return {
    heads: {
      get: async (lane: number) => {
        await gate();
        return heads.get(lane);
      },
      set: async (...args: Parameters<LaneHeadStore['set']>) => {
        await gate();
        return heads.set(...args);
      },
    } satisfies LaneHeadStore,
    freeze: () => {
      frozen = new Promise((resolve) => {
        thaw = resolve;
      });
    },
    thaw: () => {
      frozen = undefined;
      thaw();
    },
  };
}

describe('ChainedAuditLog with lane leases', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('appends before the head moves: an append resolves while the head write is held, and the head never runs ahead', async () => {
    const events = new MemoryChainEventStore();
    const store = new MemoryLaneHeadStore();
    const heads = freezable(store);
    const log = new ChainedAuditLog({
      sink: events,
      heads: heads.heads,
      lanes: 1,
      leases: leaseOptions(events),
    });
    await log.append(sampleEvent('first', 0));
    assert.equal((await store.get(0))?.owner !== null, true, 'the lane is leased');
    heads.freeze();
    const stored = await Promise.all(
      Array.from({ length: 5 }, (_, i) => log.appendChained(sampleEvent(`r${i}`, 0))),
    );
    assert.deepEqual(
      stored.map((e) => e.chain?.index),
      [1, 2, 3, 4, 5],
    );
    assert.equal(events.appends, 6, 'stored with the head write still held');
    const head = await store.get(0);
    assert.ok((head?.length ?? 0) <= 6, 'the head never claims an event that is not stored');
    // Live, events beyond a head they chain onto are accepted once the head covers them ...
    let reads = 0;
    const catchingUp: LaneHeadStore = {
      get: async (lane) => {
        const h = await store.get(lane);
        return reads++ === 0 ? h : h && { ...h, length: 6, hash: stored.at(-1)?.chain?.hash ?? '' };
      },
      set: (...args) => store.set(...args),
    };
    assert.equal((await verify(events, catchingUp, 1, true)).ok, true);
    // ... and fail when it does not move: inserted, or a dead holder not yet caught up.
    assert.equal((await verify(events, store, 1, true)).lanes[0]?.failure?.kind, 'inserted');
    heads.thaw();
    await log.flush();
    assert.equal((await store.get(0))?.length, 6);
    await log.close();
    const report = await verify(events, store, 1);
    assert.equal(report.ok, true, JSON.stringify(report.lanes));
    assert.equal((await store.get(0))?.owner, null, 'close hands the lease back');
  });

  it('a lease found run out when the next append comes (the process was paused) does not strand that append', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    // A paused process: its clock jumps past the lease and no renewal ran meanwhile.
    let paused = 0;
    const log = new ChainedAuditLog({
      sink: events,
      heads,
      lanes: 1,
      leases: leaseOptions(events, { clock: () => Date.now() + paused }),
    });
    await log.append(sampleEvent('first', 0));
    // Nothing in flight, not even a head write, when the pause ends.
    await log.flush();
    await turns();
    paused = 5_000;
    const late = log.append(sampleEvent('late', 0)).then(
      () => 'stored',
      () => 'refused',
    );
    const outcome = await Promise.race([
      late,
      (async () => {
        await turns(500);
        return 'stranded';
      })(),
    ]);
    assert.equal(outcome, 'stored', 'the lane is leased again and the append goes on');
    await log.flush();
    await log.close();
    assert.equal((await verify(events, heads, 1)).ok, true);
  });

  it('pays no head write per append while leased (the head moves at most once per flushMs)', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    const log = new ChainedAuditLog({
      sink: events,
      heads,
      lanes: 2,
      leases: leaseOptions(events, { flushMs: 200 }),
    });
    await Promise.all([log.append(sampleEvent('a', 0)), log.append(sampleEvent('b', 0))]);
    const before = heads.writes;
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => log.append(sampleEvent(`x${round}-${i}`, 0))));
    }
    assert.ok(heads.writes - before <= 2, `head writes while appending: ${heads.writes - before}`);
    await log.flush();
    await log.close();
    assert.equal((await verify(events, heads, 2)).ok, true);
  });

  it('a failed append rejects with every later one of its lane, and the lane recovers', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    const log = new ChainedAuditLog({ sink: events, heads, lanes: 1, leases: leaseOptions(events) });
    await log.append(sampleEvent('a', 0));
    events.setAvailable(false);
    const down = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => log.append(sampleEvent(`d${i}`, 0))),
    );
    assert.ok(down.every((o) => o.status === 'rejected'));
    assert.ok(
      down.every(
        (o) =>
          o.status === 'rejected' &&
          o.reason instanceof GatewayError &&
          o.reason.code === 'audit_unavailable',
      ),
    );
    events.setAvailable(true);
    const after = await log.appendChained(sampleEvent('b', 0));
    assert.equal(after.chain?.index, 1, 'the failed ones left no slot behind');
    await log.close();
    const report = await verify(events, heads, 1);
    assert.equal(report.ok, true, JSON.stringify(report.lanes));
    assert.equal(report.events, 2);
  });

  it('an append stored after a failed one of its lane rejects too, and verify does not pass it silently', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    const sink: AuditEventSink = {
      append: async (e: AuditEvent) => {
        if (e.requestId === 'bad') throw new GatewayError('audit_unavailable', 'simulated');
        await events.append(e);
      },
    };
    const log = new ChainedAuditLog({ sink, heads, lanes: 1, leases: leaseOptions(events) });
    await log.append(sampleEvent('a', 0));
    const outcomes = await Promise.allSettled(['x', 'bad', 'y'].map((id) => log.append(sampleEvent(id, 0))));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'rejected'],
    );
    await log.append(sampleEvent('z', 0));
    await log.close();
    const report = await verify(events, heads, 1);
    assert.equal(report.ok, false, 'the off-chain y is reported');
    const onChain = (await events.read(0, 0, 3)).map((e) => e.requestId);
    assert.deepEqual(onChain, ['a', 'x', 'z'], 'every confirmed append is on the chain, in order');
  });

  it('taking a lease catches up over events a dead owner stored beyond the head', async () => {
    const events = new MemoryChainEventStore();
    const store = new MemoryLaneHeadStore();
    const dead = freezable(store);
    const first = new ChainedAuditLog({
      sink: events,
      heads: dead.heads,
      lanes: 1,
      leases: leaseOptions(events),
    });
    await first.append(sampleEvent('a', 0));
    dead.freeze(); // it dies here: its events are stored, its head never moves again
    await Promise.all([first.append(sampleEvent('b', 0)), first.append(sampleEvent('c', 0))]);
    assert.equal((await store.get(0))?.length, 1);
    assert.equal(
      (await verify(events, store, 1)).lanes[0]?.failure?.kind,
      'inserted',
      'at rest, beyond the head',
    );
    const second = new ChainedAuditLog({
      sink: events,
      heads: store,
      lanes: 1,
      leases: leaseOptions(events),
    });
    const next = await second.appendChained(sampleEvent('d', 0));
    assert.equal(next.chain?.index, 3, 'after the dead owner’s events');
    await second.close();
    const report = await verify(events, store, 1);
    assert.equal(report.ok, true, JSON.stringify(report.lanes));
    assert.equal(report.events, 4);
  });

  it('two instances on one store hand lanes over: no lost append, no fork, every lane verifies', async () => {
    const events = new MemoryChainEventStore();
    const store = new MemoryLaneHeadStore();
    let asked = 0;
    const heads: LaneHeadStore = {
      get: (lane) => store.get(lane),
      set: (lane, next, ifMatch) => {
        if (next.wanted) asked++;
        return store.set(lane, next, ifMatch);
      },
    };
    const logs = [0, 1].map(
      () =>
        new ChainedAuditLog({
          sink: events,
          heads,
          lanes: 4,
          leases: leaseOptions(events),
          backoff: () => turn(),
        }),
    );
    const ids = Array.from({ length: 400 }, (_, i) => `req-${i}`);
    const outcomes = await Promise.allSettled(ids.map((id, i) => logs[i % 2]?.append(sampleEvent(id, 0))));
    assert.deepEqual(
      outcomes.filter((o) => o.status === 'rejected'),
      [],
    );
    assert.ok(asked > 0, 'the instances really contended for lanes');
    await Promise.all(logs.map((l) => l.close()));
    const report = await verify(events, store, 4);
    assert.equal(report.ok, true, JSON.stringify(report.lanes.filter((l) => !l.ok)));
    assert.equal(report.events, 400);
  });

  it('a lease that runs out mid-write: the late append rejects, the next owner takes over, and verify names the one off-chain event', async () => {
    const events = new MemoryChainEventStore();
    const store = new MemoryLaneHeadStore();
    const paused = freezable(store);
    const gate = gatedSink(events);
    const a = new ChainedAuditLog({
      sink: gate.sink,
      heads: paused.heads,
      lanes: 1,
      leases: leaseOptions(events),
    });
    await a.append(sampleEvent('a0', 0));
    await a.append(sampleEvent('a1', 0));
    gate.hold('late');
    const late = a.append(sampleEvent('late', 0));
    late.catch(() => undefined);
    await turns();
    paused.freeze(); // A stalls: no renewal, no head write
    const b = new ChainedAuditLog({ sink: events, heads: store, lanes: 1, leases: leaseOptions(events) });
    const fromB = await b.appendChained(sampleEvent('b0', 0));
    assert.ok(Date.now() - 1_000_000 >= 1000, 'B waited out a whole lease');
    assert.equal(fromB.chain?.index, 2);
    // A's write lands only now, at the index B took, and A wakes up: its head write finds the
    // head changed, so the late append is not proven and its caller is told no (fail closed).
    gate.release('late');
    await turns();
    paused.thaw();
    await assert.rejects(late, (e) => e instanceof GatewayError && e.code === 'audit_unavailable');
    await b.append(sampleEvent('b1', 0));
    await b.close();
    const report = await verify(events, store, 1);
    assert.deepEqual(
      report.lanes[0]?.failure && [report.lanes[0].failure.kind, report.lanes[0].failure.index],
      ['inserted', 2],
    );
    const atTwo = (await events.read(0, 2, 3)).map((e) => e.requestId).sort();
    assert.deepEqual(atTwo, ['b0', 'late']);
    await a.close();
  });

  it('an append answered after the lease ran out confirms only with a later proof: none to be had, it rejects', async () => {
    const events = new MemoryChainEventStore();
    const store = new MemoryLaneHeadStore();
    const heads = freezable(store);
    const gate = gatedSink(events);
    const log = new ChainedAuditLog({
      sink: gate.sink,
      heads: heads.heads,
      lanes: 1,
      leases: leaseOptions(events, { renewMs: 5000, ttlMs: 10_000, marginMs: 1000 }),
    });
    await log.append(sampleEvent('a', 0));
    gate.hold('slow');
    const slow = log.append(sampleEvent('slow', 0));
    slow.catch(() => undefined);
    await turns();
    heads.freeze(); // the renewal cannot get through
    mock.timers.tick(9500); // past ttl - margin
    gate.release('slow');
    await turns();
    store.failNext(1); // and the head write that would prove the lease fails
    heads.thaw();
    await assert.rejects(slow, (e) => e instanceof GatewayError && e.code === 'audit_unavailable');
    const next = await log.appendChained(sampleEvent('next', 0));
    assert.equal(next.chain?.index, 2, 'the stored late event is caught up over, not overwritten');
    await log.close();
    const report = await verify(events, store, 1);
    assert.equal(report.ok, true, JSON.stringify(report.lanes));
    assert.equal(report.events, 3);
  });

  it('an append answered after the lease ran out confirms when a later head write proves nobody took the lane', async () => {
    const events = new MemoryChainEventStore();
    const store = new MemoryLaneHeadStore();
    const heads = freezable(store);
    const gate = gatedSink(events);
    const log = new ChainedAuditLog({
      sink: gate.sink,
      heads: heads.heads,
      lanes: 1,
      leases: leaseOptions(events, { renewMs: 5000, ttlMs: 10_000, marginMs: 1000 }),
    });
    await log.append(sampleEvent('a', 0));
    gate.hold('slow');
    const slow = log.appendChained(sampleEvent('slow', 0));
    await turns();
    heads.freeze();
    mock.timers.tick(9500);
    gate.release('slow');
    await turns();
    heads.thaw();
    assert.equal((await slow).chain?.index, 1);
    await log.close();
    assert.equal((await verify(events, store, 1)).ok, true);
  });

  it('renewals keep a quiet lease: an append answered late still confirms when a renewal proved the lease meanwhile', async () => {
    const events = new MemoryChainEventStore();
    const heads = new MemoryLaneHeadStore();
    const gate = gatedSink(events);
    const log = new ChainedAuditLog({
      sink: gate.sink,
      heads,
      lanes: 1,
      leases: leaseOptions(events, { renewMs: 2000, ttlMs: 10_000, marginMs: 1000 }),
    });
    await log.append(sampleEvent('a', 0));
    gate.hold('slow');
    const slow = log.appendChained(sampleEvent('slow', 0));
    await turns();
    for (let i = 0; i < 10; i++) {
      mock.timers.tick(2000);
      await turns(5);
    }
    gate.release('slow');
    assert.equal((await slow).chain?.index, 1);
    await log.close();
    assert.equal((await verify(events, heads, 1)).ok, true);
  });
});
