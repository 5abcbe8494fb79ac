import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { checkpointText, parseCheckpoint, signNote } from '../../../shared/audit/chain/checkpoint.js';
import { chainEvent } from '../../../shared/audit/chain/hash.js';
import { LocalEs256Signer } from '../../../shared/audit/chain/signers.js';
import { type AuditChain, chainAuditStore } from '../../../shared/audit/chain/wiring.js';
import type { AuditEvent, VerificationEvent } from '../../../shared/audit/event.js';
import { TRIGGER_TABLE } from '../../../shared/triggers.js';
import type { GatewayLogEvent } from '../../../shared/use-cases/deps.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { MemoryVerifierStateStore } from '../../support/memory-verifier-state-store.js';
import { sampleEvent } from './fixtures.js';

/**
 * The verification timer (issue 11, must-have 3): it verifies the window since the checkpoint
 * it trusted last, audits its own result through the chain, logs a failure at error level,
 * and keeps its window in the store without believing it blindly.
 */

const LANES = 2;
const PERIOD = 15 * 60_000;
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const signer = LocalEs256Signer.generate('agentgate-test');

function world() {
  const events = new MemoryChainEventStore();
  const heads = new MemoryLaneHeadStore();
  const checkpoints = new MemoryCheckpointStore();
  const state = new MemoryVerifierStateStore();
  const logs: GatewayLogEvent[] = [];
  let readerDown = false;
  const reader = {
    read: async (lane: number, from: number, to: number) => {
      if (readerDown) throw new Error('simulated audit store outage');
      return events.read(lane, from, to);
    },
  };
  let n = 0;
  const chain: AuditChain = chainAuditStore(
    { append: (e) => events.append(e), search: async () => ({ records: [] }) },
    { heads, checkpoints, signer, lanes: LANES, reader, verifierState: state, verifyEveryMs: PERIOD },
    () => `id-${++n}`,
    (e) => logs.push(e),
  );
  const verifications = () => events.all().filter((e): e is VerificationEvent => e.kind === 'verification');
  const latest = () =>
    verifications()
      .sort((a, b) => a.time.localeCompare(b.time) || a.run - b.run)
      .at(-1);
  const requests = async (prefix: string, count: number) => {
    for (let i = 0; i < count; i++) await chain.store.append(sampleEvent(`${prefix}-${i}`, 0));
  };
  /** The events of the busiest lane after `index`, by index. */
  const laneEvents = async () => {
    const lanes = await Promise.all([0, 1].map((l) => events.read(l, 0, Number.MAX_SAFE_INTEGER)));
    const busiest = lanes[0].length >= lanes[1].length ? 0 : 1;
    return { lane: busiest, events: lanes[busiest] as AuditEvent[] };
  };
  const setReaderDown = (down: boolean) => {
    readerDown = down;
  };
  return {
    events,
    heads,
    checkpoints,
    state,
    logs,
    chain,
    verifications,
    latest,
    requests,
    laneEvents,
    setReaderDown,
  };
}

type World = ReturnType<typeof world>;

/** Two clean runs over two sealed windows: the state then trusts checkpoint 1. */
async function twoCleanRuns(w: World): Promise<void> {
  await w.requests('a', 6);
  await w.chain.seal(new Date(T0));
  await w.chain.verify?.(new Date(T0 + 1000));
  await w.requests('b', 6);
  await w.chain.seal(new Date(T0 + PERIOD));
  await w.chain.verify?.(new Date(T0 + PERIOD + 2000));
  assert.equal(w.latest()?.ok, true, JSON.stringify(w.latest()));
  assert.equal(w.state.peek()?.anchor?.seq, 1);
}

describe('verification timer', () => {
  it('a clean window audits ok with counts and the checkpoint range, and moves the window on', async () => {
    const w = world();
    assert.equal(typeof w.chain.verify, 'function');
    await w.requests('a', 6);
    await w.chain.seal(new Date(T0));
    await w.chain.verify?.(new Date(T0 + 1000));
    const first = w.latest();
    assert.ok(first);
    assert.equal(first.ok, true);
    assert.equal(first.run, 1);
    assert.equal(first.action, 'audit.verify');
    assert.equal(first.transport, 'timer');
    assert.ok(first.chain, 'the verifier event is itself hash-linked');
    assert.equal(first.checkpoints.from, null, 'the first run verifies the whole lanes');
    assert.equal(first.checkpoints.to?.seq, 0);
    assert.equal(first.events, 7, 'six requests and the seal event');
    assert.equal(first.firstFailure, null);
    assert.deepEqual(w.state.peek()?.anchor, first.checkpoints.to);

    await w.requests('b', 3);
    await w.chain.seal(new Date(T0 + 60_000));
    // Not due yet: a tick inside the period does nothing.
    await w.chain.verify?.(new Date(T0 + 120_000));
    assert.equal(w.verifications().length, 1);
    await w.chain.verify?.(new Date(T0 + 1000 + PERIOD));
    const second = w.latest();
    assert.ok(second && second.run === 2, JSON.stringify(second));
    assert.equal(second.ok, true, JSON.stringify(second.firstFailure));
    assert.deepEqual(second.checkpoints.from, first.checkpoints.to);
    assert.equal(second.checkpoints.to?.seq, 1);
    assert.equal(second.checkpoints.count, 2, 'checkpoints from the anchor on: 0 and 1');
    assert.ok(second.events < 14, `only the window is read (${second.events} events)`);
    assert.deepEqual(w.logs, []);
  });

  const tampers: Array<{ kind: string; scope: string; tamper: (w: World) => Promise<void> }> = [
    {
      kind: 'modified',
      scope: 'lane',
      tamper: async (w) => {
        const { events } = await w.laneEvents();
        const victim = events.at(-2) as AuditEvent;
        w.events.replace({ ...victim, action: 'nothing.to.see' } as AuditEvent);
      },
    },
    {
      kind: 'missing',
      scope: 'lane',
      tamper: async (w) => {
        const { events } = await w.laneEvents();
        w.events.remove((events.at(-3) as AuditEvent).id);
      },
    },
    {
      kind: 'inserted',
      scope: 'lane',
      tamper: async (w) => {
        const { lane, events } = await w.laneEvents();
        const before = events.at(-3) as AuditEvent;
        const c = before.chain as NonNullable<AuditEvent['chain']>;
        w.events.replace(chainEvent(sampleEvent('forged', 0), { lane, index: c.index + 1, prev: c.hash }));
      },
    },
    {
      kind: 'reordered',
      scope: 'lane',
      tamper: async (w) => {
        const { events } = await w.laneEvents();
        const [a, b] = [events.at(-3) as AuditEvent, events.at(-2) as AuditEvent];
        const ac = a.chain as NonNullable<AuditEvent['chain']>;
        const bc = b.chain as NonNullable<AuditEvent['chain']>;
        w.events.replace({ ...a, chain: { ...ac, index: bc.index } } as AuditEvent);
        w.events.replace({ ...b, chain: { ...bc, index: ac.index } } as AuditEvent);
      },
    },
    {
      kind: 'truncated',
      scope: 'lane',
      tamper: async (w) => {
        const { lane, events } = await w.laneEvents();
        for (const e of events.slice(-2)) w.events.remove(e.id);
        const last = events.at(-3) as AuditEvent;
        w.heads.force(lane, { length: events.length - 2, hash: (last.chain as { hash: string }).hash });
      },
    },
    {
      kind: 'bad_signature',
      scope: 'checkpoint',
      tamper: async (w) => {
        const [stored] = await w.checkpoints.list(3, 1);
        assert.ok(stored);
        const forged = await signNote(
          checkpointText(parseCheckpoint(stored.note)),
          LocalEs256Signer.generate(),
        );
        w.checkpoints.replace({ ...stored, note: forged });
      },
    },
    {
      kind: 'rollback',
      scope: 'checkpoint',
      tamper: async (w) => {
        // Back to checkpoint 0: the one the verifier trusted and everything after it go.
        for (const seq of [1, 2, 3]) w.checkpoints.remove(seq);
      },
    },
    {
      kind: 'rollback',
      scope: 'checkpoint',
      tamper: async (w) => {
        // The same, with the verifier's state rolled back to match: its own event of run 2 still
        // names checkpoint 1.
        for (const seq of [1, 2, 3]) w.checkpoints.remove(seq);
        const [cp0] = await w.checkpoints.list(0, 1);
        assert.ok(cp0);
        w.state.force({ anchor: { seq: 0, hash: cp0.hash }, run: 1, ranAt: new Date(T0).toISOString() });
      },
    },
    {
      kind: 'state_unconfirmed',
      scope: 'state',
      tamper: async (w) => {
        // The state moved forward, past the window, with no run to vouch for it.
        const [cp3] = await w.checkpoints.list(3, 1);
        assert.ok(cp3);
        w.state.force({ anchor: { seq: 3, hash: cp3.hash }, run: 7, ranAt: new Date(T0).toISOString() });
      },
    },
    {
      kind: 'state_missing',
      scope: 'state',
      tamper: async (w) => {
        w.state.force(null);
      },
    },
  ];

  for (const t of tampers) {
    it(`a window with ${t.scope} tampering (${t.kind}) audits failed with that kind and logs an error`, async () => {
      const w = world();
      await twoCleanRuns(w);
      await w.requests('c', 6);
      await w.chain.seal(new Date(T0 + 2 * PERIOD));
      await w.chain.seal(new Date(T0 + 2 * PERIOD + 60_000));
      await t.tamper(w);
      const anchorBefore = w.state.peek()?.anchor ?? null;
      await w.chain.verify?.(new Date(T0 + 3 * PERIOD));
      const event = w.latest();
      assert.ok(event && event.time === new Date(T0 + 3 * PERIOD).toISOString(), 'the run was audited');
      assert.equal(event.ok, false);
      assert.equal(event.firstFailure?.scope, t.scope, JSON.stringify(event.firstFailure));
      assert.equal(event.firstFailure?.kind, t.kind);
      assert.ok(event.failures >= 1);
      assert.equal(event.checkpoints.to, null);
      const error = w.logs.find((l) => l.level === 'error' && l.code === 'audit_verification_failed');
      assert.ok(error, JSON.stringify(w.logs));
      assert.equal(error.requestId, event.requestId);
      assert.equal(error.reason, t.kind);
      if (t.scope !== 'state')
        assert.deepEqual(w.state.peek()?.anchor, anchorBefore, 'a failed run keeps its window');
    });
  }

  it('a store outage is logged and audited, and the next tick retries (mock timers)', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: T0 });
    const w = world();
    await w.requests('a', 4);
    await w.chain.seal(new Date());
    const row = TRIGGER_TABLE.find((r) => r.name === 'verifyAuditWindow');
    assert.ok(row && row.kind === 'timer');
    const run = row.pick({ ...(w.chain.verify ? { verifyAuditWindow: w.chain.verify } : {}) });
    let pending: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      pending = run(new Date());
    }, row.everyMs);
    const tick = async () => {
      t.mock.timers.tick(row.everyMs);
      await pending;
    };
    try {
      w.setReaderDown(true);
      await tick();
      const failed = w.latest();
      assert.ok(failed);
      assert.equal(failed.ok, false);
      assert.equal(failed.firstFailure?.scope, 'store');
      assert.match(failed.firstFailure?.detail ?? '', /outage/);
      assert.ok(w.logs.some((l) => l.level === 'error' && l.code === 'audit_unavailable'));
      assert.equal(w.state.peek(), null, 'nothing saved: the run does not count');

      w.setReaderDown(false);
      await tick();
      const retried = w.latest();
      assert.ok(retried);
      assert.equal(retried.ok, true, JSON.stringify(retried));
      assert.equal(retried.run, 1);
      assert.equal(w.verifications().length, 2);

      await tick();
      assert.equal(w.verifications().length, 2, 'not due again for 15 minutes');
      for (let i = 0; i < 14; i++) await tick();
      assert.equal(w.verifications().length, 3);
      assert.equal(w.latest()?.ok, true);
    } finally {
      clearInterval(timer);
    }
  });

  it('an outage of the state store itself is retried on the next tick as well', async () => {
    const w = world();
    await w.requests('a', 2);
    await w.chain.seal(new Date(T0));
    w.state.failNext(1);
    await w.chain.verify?.(new Date(T0 + 60_000));
    assert.equal(w.latest()?.firstFailure?.scope, 'store');
    await w.chain.verify?.(new Date(T0 + 120_000));
    assert.equal(w.latest()?.ok, true);
    assert.equal(w.state.peek()?.run, 1);
  });

  it('a forged verification event with a nonsense run number is ignored, not trusted', async () => {
    const w = world();
    await twoCleanRuns(w);
    const real = w.latest() as VerificationEvent;
    const c = real.chain as NonNullable<AuditEvent['chain']>;
    const { lane, events } = await w.laneEvents();
    const last = events.at(-1) as AuditEvent;
    const lc = last.chain as NonNullable<AuditEvent['chain']>;
    // Appended to the unsealed tail with the head moved on: what a data-plane attacker can do.
    const forged = chainEvent({ ...real, id: 'forged:0', requestId: 'forged', run: 1e300 } as AuditEvent, {
      lane,
      index: lc.index + 1,
      prev: lc.hash,
    });
    w.events.replace(forged);
    w.heads.force(lane, { length: lc.index + 2, hash: (forged.chain as { hash: string }).hash });
    assert.ok(c);
    await w.chain.verify?.(new Date(T0 + 3 * PERIOD));
    const event = w.latest();
    assert.equal(event?.ok, true, JSON.stringify(event?.firstFailure));
    assert.equal(event?.run, 3);
  });

  it('one lost state write is tolerated: the next run sees its own later event and passes', async () => {
    const w = world();
    await twoCleanRuns(w);
    const saved = w.state.peek();
    assert.ok(saved);
    await w.requests('c', 2);
    await w.chain.seal(new Date(T0 + 2 * PERIOD));
    await w.chain.verify?.(new Date(T0 + 2 * PERIOD + 3000));
    // As if that run's state write had been lost after its event was audited.
    w.state.force(saved);
    await w.chain.verify?.(new Date(T0 + 3 * PERIOD + 2000));
    const event = w.latest();
    assert.equal(event?.ok, true, JSON.stringify(event?.firstFailure));
    assert.equal(event?.run, 4);
  });
});

afterEach(() => {
  mock.timers.reset();
});
