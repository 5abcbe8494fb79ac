import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BudgetLedger, type BudgetStore } from '../../../shared/budget/index.js';
import type { BudgetDocument } from '../../../shared/budget/window.js';
import { usedIn } from '../../../shared/budget/window.js';
import { GatewayError } from '../../../shared/errors.js';
import { MemoryBudgetStore } from '../../support/memory-budget-store.js';

const LIMITS = { rows: 1000, bytes: 1_000_000, windowSeconds: 3600 };
const noWait = async () => undefined;

/** The memory store, counting calls and how many run at once. */
class CountingStore implements BudgetStore {
  readonly inner = new MemoryBudgetStore();
  reads = 0;
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  async read(key: string) {
    this.reads++;
    return this.#track(() => this.inner.read(key));
  }
  async write(key: string, doc: BudgetDocument, etag: string | undefined) {
    this.writes++;
    return this.#track(() => this.inner.write(key, doc, etag));
  }
  async #track<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setImmediate(r));
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
  async used(key: string, now: Date) {
    const stored = await this.inner.read(key);
    return usedIn(stored?.doc ?? { buckets: {} }, LIMITS, now).used;
  }
}

function clock(start = Date.UTC(2026, 11, 2, 12)) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

describe('budget ledger', () => {
  test('a single process is exact: refused only when the limit truly cannot cover the read', async () => {
    const c = clock();
    const ledger = new BudgetLedger(new CountingStore(), { now: c.now, backoff: noWait });
    let released = 0;
    for (let i = 0; i < 200; i++) {
      const out = await ledger.spend('k', { rows: 7, bytes: 10 }, LIMITS);
      if (!out.ok) {
        assert.equal(out.left.rows, LIMITS.rows - released);
        assert.ok(out.left.rows < 7);
        break;
      }
      released += 7;
      assert.equal(out.left.rows, LIMITS.rows - released, `left after ${released}`);
    }
    assert.equal(released, Math.floor(LIMITS.rows / 7) * 7);
  });

  test('point reads cost one store write per reserved share, not one each', async () => {
    const store = new CountingStore();
    const ledger = new BudgetLedger(store, { now: clock().now, backoff: noWait });
    for (let i = 0; i < 100; i++) assert.ok((await ledger.spend('k', { rows: 1, bytes: 100 }, LIMITS)).ok);
    // 2% of 1000 rows = 20 ahead per write: 100 reads take 5 writes.
    assert.equal(store.writes, 5);
    assert.equal(store.reads, 5);
  });

  test('reserveFraction 0 spends exactly, one write per read', async () => {
    const store = new CountingStore();
    const ledger = new BudgetLedger(store, { now: clock().now, reserveFraction: 0, backoff: noWait });
    for (let i = 0; i < 10; i++) await ledger.spend('k', { rows: 1, bytes: 1 }, LIMITS);
    assert.equal(store.writes, 10);
    assert.equal((await store.used('k', clock().now())).rows, 10);
  });

  test('two instances on one store never release more than the limit together', async () => {
    const store = new CountingStore();
    const c = clock();
    const a = new BudgetLedger(store, { now: c.now, reserveFraction: 0.1, backoff: noWait });
    const b = new BudgetLedger(store, { now: c.now, reserveFraction: 0.1, backoff: noWait });
    let released = 0;
    const worker = async (ledger: BudgetLedger, seed: number) => {
      for (let i = 0; i < 150; i++) {
        const rows = 1 + ((seed * 31 + i * 17) % 13);
        const out = await ledger.spend('k', { rows, bytes: rows }, LIMITS);
        if (out.ok) released += rows;
      }
    };
    await Promise.all([worker(a, 1), worker(b, 2), worker(a, 3), worker(b, 4)]);
    assert.ok(released <= LIMITS.rows, `released ${released}`);
    // What the store counts covers everything released (held shares included).
    assert.ok((await store.used('k', c.now())).rows >= released);
    // Near exhaustion each instance is refused only what the store plus its own share cannot
    // cover; the other's held share is the only slack: at most one share (100 rows) each.
    assert.ok(released >= LIMITS.rows - 2 * 100, `released ${released}`);
  });

  test("one process's spends of one key never race each other", async () => {
    const store = new CountingStore();
    const ledger = new BudgetLedger(store, { now: clock().now, reserveFraction: 0, backoff: noWait });
    const outs = await Promise.all(
      Array.from({ length: 40 }, () => ledger.spend('k', { rows: 30, bytes: 1 }, LIMITS)),
    );
    assert.equal(outs.filter((o) => o.ok).length, 33);
    assert.equal(store.maxInFlight, 1);
    // No lost races: one read and one write per accepted spend, one read per refused one.
    assert.equal(store.writes, 33);
  });

  test('a held share is dropped before its bucket can leave the window, and stays counted', async () => {
    const store = new CountingStore();
    const c = clock();
    const short = { rows: 1000, bytes: 1_000_000, windowSeconds: 60 };
    const ledger = new BudgetLedger(store, { now: c.now, backoff: noWait });
    await ledger.spend('k', { rows: 1, bytes: 1 }, short);
    assert.equal(store.writes, 1);
    c.advance(14_000);
    await ledger.spend('k', { rows: 1, bytes: 1 }, short);
    assert.equal(store.writes, 1, 'within a quarter window the share is spent locally');
    c.advance(1_001);
    await ledger.spend('k', { rows: 1, bytes: 1 }, short);
    assert.equal(store.writes, 2, 'after a quarter window (15 s) the ledger takes a new share');
    const used = (await store.used('k', c.now())).rows;
    assert.equal(used, 2 * 21, 'the dropped remainder is still counted as used (errs to less)');
  });

  test('a budget store that fails fails the spend closed', async () => {
    const broken: BudgetStore = {
      read: async () => {
        throw new GatewayError('store_unavailable', 'down');
      },
      write: async () => true,
    };
    const ledger = new BudgetLedger(broken, { now: clock().now, backoff: noWait });
    await assert.rejects(ledger.spend('k', { rows: 1, bytes: 1 }, LIMITS), { code: 'store_unavailable' });
    // The key's queue is not wedged by the failure.
    await assert.rejects(ledger.spend('k', { rows: 1, bytes: 1 }, LIMITS), { code: 'store_unavailable' });
  });

  test('a store that keeps losing races is too busy after maxAttempts, with backoff between', async () => {
    const inner = new MemoryBudgetStore();
    let waits = 0;
    const racing: BudgetStore = { read: (k) => inner.read(k), write: async () => false };
    const ledger = new BudgetLedger(racing, {
      now: clock().now,
      maxAttempts: 5,
      backoff: async () => {
        waits++;
      },
    });
    await assert.rejects(ledger.spend('k', { rows: 1, bytes: 1 }, LIMITS), /too busy/);
    assert.equal(waits, 5);
  });

  test('an over-budget read takes nothing and keeps the share held for smaller reads', async () => {
    const store = new CountingStore();
    const ledger = new BudgetLedger(store, { now: clock().now, backoff: noWait });
    assert.ok((await ledger.spend('k', { rows: 900, bytes: 1 }, LIMITS)).ok);
    const refused = await ledger.spend('k', { rows: 500, bytes: 1 }, LIMITS);
    assert.deepEqual(refused, { ok: false, left: { rows: 100, bytes: LIMITS.bytes - 1 } });
    const small = await ledger.spend('k', { rows: 100, bytes: 1 }, LIMITS);
    assert.ok(small.ok);
    assert.equal(small.left.rows, 0);
    assert.equal((await ledger.spend('k', { rows: 1, bytes: 1 }, LIMITS)).ok, false);
  });
});
