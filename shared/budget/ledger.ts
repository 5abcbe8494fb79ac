import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.js';
import type { BudgetStore } from './budget-store.js';
import type { BudgetOutcome } from './spend-budget.js';
import { type BudgetAmount, type BudgetLimits, reserve } from './window.js';

/** What the use cases spend budgets through. */
export interface BudgetSpender {
  spend(key: string, amount: BudgetAmount, limits: BudgetLimits): Promise<BudgetOutcome>;
}

export interface BudgetLedgerOptions {
  now: () => Date;
  /** Share of a limit taken ahead per store write. Default 0.02; 0 spends exactly, per read. */
  reserveFraction?: number;
  /** Longest a process keeps what it took ahead, ms. Default 30 s (a quarter window at most). */
  holdMs?: number;
  /** Conditional writes tried before the store counts as too busy. Default 20. */
  maxAttempts?: number;
  /** Wait after the n-th lost race (another instance wrote first); injectable for tests. */
  backoff?: (attempt: number) => Promise<void>;
}

interface Held extends BudgetAmount {
  /** Epoch ms after which the remainder is dropped (still counted as used in the store). */
  until: number;
  /** What the store had left after the last write, for the figure answered to the agent. */
  storeLeft: BudgetAmount;
}

async function jitter(attempt: number): Promise<void> {
  await sleep(Math.random() * Math.min(20, 2 ** attempt));
}

/**
 * Budgets spent with one store write per reservation, not per read. A read that the local
 * reservation covers spends from it with no round trip; otherwise the ledger takes what the
 * read needs beyond it plus a small share of the limit ahead, in one conditional write, and
 * keeps the rest for the next reads.
 *
 * Why this is safe: what is held is already counted as used in the store before any read
 * spends it, so every instance together never releases more than the limit; what an
 * instance held and did not spend stays counted until its bucket leaves the window (errs on
 * the side of releasing less, by at most one share per instance). A reservation is dropped
 * well before its bucket can leave the window (`holdMs` is at most a quarter window), so
 * nothing is spent that the store no longer counts. An over-budget answer is exact for this
 * process: it is given only when what the store has left plus what is held cannot cover the
 * read. Spends of one key are serialised in this process, so its own reads never race.
 */
export class BudgetLedger implements BudgetSpender {
  readonly #store: BudgetStore;
  readonly #now: () => Date;
  readonly #fraction: number;
  readonly #holdMs: number;
  readonly #maxAttempts: number;
  readonly #backoff: (attempt: number) => Promise<void>;
  readonly #held = new Map<string, Held>();
  readonly #tails = new Map<string, Promise<unknown>>();

  constructor(store: BudgetStore, options: BudgetLedgerOptions) {
    const fraction = options.reserveFraction ?? 0.02;
    if (!(fraction >= 0 && fraction <= 0.5)) throw new RangeError('reserveFraction must be 0-0.5');
    this.#store = store;
    this.#now = options.now;
    this.#fraction = fraction;
    this.#holdMs = options.holdMs ?? 30_000;
    this.#maxAttempts = options.maxAttempts ?? 20;
    this.#backoff = options.backoff ?? jitter;
  }

  spend(key: string, amount: BudgetAmount, limits: BudgetLimits): Promise<BudgetOutcome> {
    // One spend per key at a time: the next waits for this one, failed or not.
    const run = (this.#tails.get(key) ?? Promise.resolve()).then(() => this.#spend(key, amount, limits));
    const tail = run.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }

  async #spend(key: string, amount: BudgetAmount, limits: BudgetLimits): Promise<BudgetOutcome> {
    const now = this.#now();
    const held = this.#live(key, now);
    if (held && amount.rows <= held.rows && amount.bytes <= held.bytes) {
      held.rows -= amount.rows;
      held.bytes -= amount.bytes;
      return { ok: true, left: sum(held.storeLeft, held) };
    }
    const need = {
      rows: Math.max(0, amount.rows - (held?.rows ?? 0)),
      bytes: Math.max(0, amount.bytes - (held?.bytes ?? 0)),
    };
    const extra = {
      rows: Math.ceil(limits.rows * this.#fraction),
      bytes: Math.ceil(limits.bytes * this.#fraction),
    };
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const stored = await this.#store.read(key);
      const outcome = reserve(stored?.doc ?? { buckets: {} }, need, extra, limits, now);
      if (!outcome.ok) return { ok: false, left: held ? sum(outcome.left, held) : outcome.left };
      if (await this.#store.write(key, outcome.doc, stored?.etag)) {
        // The old remainder went into this read; what is held now is all from this write.
        const rest = { rows: outcome.reserved.rows - need.rows, bytes: outcome.reserved.bytes - need.bytes };
        const hold = Math.min(this.#holdMs, (limits.windowSeconds * 1000) / 4);
        this.#held.set(key, { ...rest, until: now.getTime() + hold, storeLeft: outcome.left });
        return { ok: true, left: sum(outcome.left, rest) };
      }
      await this.#backoff(attempt);
    }
    throw new GatewayError('store_unavailable', 'The budget store is too busy; no data was released.');
  }

  #live(key: string, now: Date): Held | undefined {
    const held = this.#held.get(key);
    if (held && now.getTime() < held.until) return held;
    this.#held.delete(key);
    return undefined;
  }
}

function sum(a: BudgetAmount, b: BudgetAmount): BudgetAmount {
  return { rows: a.rows + b.rows, bytes: a.bytes + b.bytes };
}
