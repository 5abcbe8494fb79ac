import { GatewayError } from '../../errors.js';
import type { AuditEvent } from '../event.js';
import { chainEvent, GENESIS_PREV } from './hash.js';
import { catchUp } from './lane-catch-up.js';
import type { LaneHead, LaneHeadStore } from './lane-head-store.js';
import { LaneLease, type LeaseEnd, type LeaseTiming, type Pending } from './lane-lease.js';
import type { AuditLaneReader } from './lane-reader.js';
import type { AuditEventSink } from './lanes.js';

export interface LeaseSettings extends LeaseTiming {
  reader: AuditLaneReader;
  /** After a hand-over, how long this writer leaves the lane to reserve-first. */
  cooldownMs: number;
  /** Between looks at a lane another writer holds, while waiting for it. */
  pollMs: number;
  wait: (ms: number) => Promise<void>;
}

export interface WriterOptions {
  sink: AuditEventSink;
  heads: LaneHeadStore;
  maxAttempts: number;
  maxBatch: number;
  pipeline: number;
  backoff: (attempt: number) => Promise<void>;
  leases?: LeaseSettings;
}

interface Flight {
  reservation: Reservation;
  done: boolean;
  /** Every append of the batch failed. */
  failed: boolean;
}

interface Reservation {
  events: AuditEvent[];
  /** The head before this reservation (null: the lane was empty). */
  before: LaneHead | null;
  etag: string;
}

/** Another writer holds the lane's lease: reserve-first must not write to it. */
class LeasedElsewhere extends Error {}

function unavailable(message: string, cause?: unknown): GatewayError {
  return new GatewayError('audit_unavailable', message, cause === undefined ? undefined : { cause });
}

/**
 * Two ways to write a lane, and why both.
 *
 * LEASED (when the log has a lane reader): the writer takes the lane's lease, an `owner` in
 * the head item set by a conditional write, proven for `ttlMs` from that write's send and
 * renewed by every later head write (at least every `renewMs`). While it holds the lease it is
 * the lane's only writer, so it chains events from its in-memory tail, APPENDS them first and
 * moves the head after they are durable (one write at a time, covering all confirmed so far).
 * The head then never claims an event that is not stored, and an append pays no head round
 * trip. Taking the lease first catches up: events stored beyond the head by the last owner
 * (it died before moving the head) are taken into the head if they chain cleanly.
 *
 * RESERVE-FIRST (no reader, lease handed over, or in a cool-down): a batch RESERVES its slots
 * by advancing the head with a conditional write, and only then appends. The reverse order
 * cannot work without a lease: a writer that lost the head race would already have stored
 * its event at an index someone else took. Reserve-first never writes a head with an owner.
 *
 * Two writers on one lane: one that finds the lane leased by another sets `wanted` on the head
 * item (a conditional write) and waits. The owner's next head write then fails its condition;
 * it stops dispatching, lets its appends settle and answers them, writes the head over them
 * with no owner, and both use reserve-first for `cooldownMs`. If the owner does not answer,
 * the waiter takes over once it has seen the head item unchanged for `ttlMs` by its own clock
 * (the owner stopped `marginMs` before that by its clock), catching up as above.
 *
 * What each failure leaves, leased:
 * - an append fails: it and every later append of the lane reject (an earlier one may have
 *   landed, a later one would then link to nothing); the lease is dropped and retaken, which
 *   catches up over whatever did land. A later one that landed after a gap stays off-chain
 *   and verify reports it as `inserted` once its index is used again.
 * - an append answers after the proof ran out: it rejects (fail closed) even if stored; if it
 *   was stored after another writer caught up, verify reports `inserted` at its index.
 * - a crash after events, before the head moved: the events sit beyond the head, which live
 *   verify accepts when they chain onto it (offline verify reports `inserted` beyond the head)
 *   until the next writer of the lane takes over (at most `ttlMs` later) and moves the head.
 *   No checkpoint covers them before that, since checkpoints read the heads.
 * - the head write fails: events are still confirmed while the proof lasts; then the lane
 *   stops, rejects what answered late, and retakes the lease (or fails closed).
 * - a crash while taking the lease: nothing was written but the head; the next one redoes it.
 * Reserve-first:
 * - lost race on the head: nothing was written; re-read the head, recompute, retry.
 * - the head write fails: nothing was written; the append rejects (audit_unavailable).
 * - every append of the batch fails (store down): once the batches in flight have settled, the
 *   head is put back over the failed ones at the end of the lane (conditional writes), so the
 *   lane has no trace of them; the appends reject.
 * - a crash between head and event, or a failure the head cannot be put back after: the lane
 *   has a reserved slot with no event. Verify reports it as `missing` at that index (for an
 *   auditor it is indistinguishable from a deletion, and is never explained away).
 * - an append that failed ambiguously (it landed, yet the head was put back): the next event
 *   reuses the index, and verify reports the first as `inserted` (an off-chain event).
 */
export class LaneWriter {
  readonly #lane: number;
  readonly #options: WriterOptions;
  readonly #queue: Pending[] = [];
  #mode: 'unknown' | 'leased' | 'shared' = 'unknown';
  #lease: LaneLease | undefined;
  #cooldownUntil = Number.NEGATIVE_INFINITY;
  #closed = false;
  #closing: (() => void) | undefined;
  /** Reserved batches whose appends have not all settled, oldest first. */
  readonly #flights: Flight[] = [];
  #pumping = false;
  /** A pump was asked for while one ran (a lease that ended inside `dispatch`): run again. */
  #pumpAgain = false;
  /** Set when a batch failed wholly: no new reservation until the head is put back. */
  #halted = false;
  /** Last head this process wrote or read; undefined when it must be read again. */
  #head: LaneHead | null | undefined;

  constructor(lane: number, options: WriterOptions) {
    this.#lane = lane;
    this.#options = options;
  }

  enqueue(pending: Pending): void {
    this.#queue.push(pending);
    void this.#pump();
  }

  /** Resolves once the lane's head covers every append confirmed so far. */
  flush(): Promise<void> {
    return this.#lease?.flush() ?? Promise.resolve();
  }

  /** Gives the lease back (if held) once what is in flight has settled. */
  close(): Promise<void> {
    this.#closed = true;
    const lease = this.#lease;
    if (!lease) return Promise.resolve();
    return new Promise((resolve) => {
      this.#closing = resolve;
      lease.close();
    });
  }

  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    this.#pumpAgain = false;
    try {
      while (this.#queue.length > 0) {
        if (this.#mode === 'unknown') {
          if (this.#flights.length > 0 || this.#lease) break;
          await this.#choose();
        } else if (this.#mode === 'leased') {
          if (!this.#lease?.dispatch(this.#queue)) break;
        } else if (!(await this.#reserveNext())) break;
      }
    } finally {
      this.#pumping = false;
    }
    // A lease that found itself run out ends inside `dispatch`, and its end asks for a pump
    // while this one runs: without another pass, what is queued would wait for ever.
    if (this.#pumpAgain) void this.#pump();
  }

  #rejectQueue(error: unknown): void {
    for (const p of this.#queue.splice(0)) p.reject(error);
  }

  /** Decides how to write the lane: take its lease, wait for it, or reserve-first. */
  async #choose(): Promise<void> {
    const leases = this.#options.leases;
    if (!leases || this.#closed) {
      this.#mode = 'shared';
      return;
    }
    const { heads, maxAttempts, backoff } = this.#options;
    const giveUpAt = leases.clock() + 2 * leases.ttlMs + leases.renewMs;
    let seen: { etag: string; since: number } | undefined;
    for (let attempt = 1; ; ) {
      try {
        const head = await heads.get(this.#lane);
        if (head?.owner && head.owner !== leases.owner) {
          seen = seen?.etag === head.etag ? seen : { etag: head.etag, since: leases.clock() };
          if (leases.clock() - seen.since < leases.ttlMs) {
            if (leases.clock() >= giveUpAt)
              return void this.#rejectQueue(
                unavailable(`Audit lane ${this.#lane} is held by another writer.`),
              );
            this.#cooldownUntil = leases.clock() + leases.cooldownMs;
            seen = await this.#ask(head, seen);
            await leases.wait(leases.pollMs);
            continue;
          }
        }
        if (await this.#settle(head, leases)) return;
      } catch (e) {
        this.#head = undefined;
        return this.#rejectQueue(
          e instanceof GatewayError ? e : unavailable('The audit lane head is unavailable.', e),
        );
      }
      if (attempt++ >= maxAttempts)
        return this.#rejectQueue(
          unavailable(`Audit lane ${this.#lane} stayed contended for ${maxAttempts} attempts.`),
        );
      await backoff(attempt);
    }
  }

  /** Asks the lane's owner to hand it over (once per head version); answers what to watch. */
  async #ask(
    head: LaneHead,
    seen: { etag: string; since: number },
  ): Promise<{ etag: string; since: number }> {
    if (head.wanted) return seen;
    const write = await this.#options.heads.set(
      this.#lane,
      { length: head.length, hash: head.hash, owner: head.owner ?? null, wanted: true },
      head.etag,
    );
    return write.ok ? { etag: write.etag, since: (this.#options.leases as LeaseSettings).clock() } : seen;
  }

  /**
   * With the lane free, ours from before, or its owner silent for a whole lease: catches up
   * and takes the lease, or (in a cool-down, or asked for) clears it and goes reserve-first.
   * False when the head moved meanwhile.
   */
  async #settle(head: LaneHead | null, leases: LeaseSettings): Promise<boolean> {
    const take = leases.clock() >= this.#cooldownUntil && !head?.wanted;
    // Asked for: leave the lane to reserve-first for a while rather than retake it at once.
    if (!take) this.#cooldownUntil = Math.max(this.#cooldownUntil, leases.clock() + leases.cooldownMs);
    if (!take && !head?.owner) {
      this.#mode = 'shared';
      this.#head = head;
      return true;
    }
    // Only a leased lane can hold events beyond its head; anywhere else they stay for verify.
    const end = head?.owner
      ? await catchUp(this.#lane, head, leases.reader)
      : { length: head?.length ?? 0, hash: head?.hash ?? GENESIS_PREV };
    const sentAt = leases.clock();
    const write = await this.#options.heads.set(
      this.#lane,
      { ...end, owner: take ? leases.owner : null, wanted: false },
      head?.etag ?? null,
    );
    if (!write.ok) return false;
    if (!take) {
      this.#mode = 'shared';
      this.#head = { lane: this.#lane, ...end, etag: write.etag, owner: null, wanted: false };
      return true;
    }
    this.#lease = new LaneLease(
      { ...this.#options, lane: this.#lane, timing: leases },
      { ...end, etag: write.etag, sentAt },
      { onEnd: (e) => this.#leaseEnded(e), onProgress: () => void this.#pump() },
    );
    this.#mode = 'leased';
    return true;
  }

  #leaseEnded(end: LeaseEnd): void {
    this.#lease = undefined;
    this.#mode = 'unknown';
    this.#head = undefined;
    const leases = this.#options.leases;
    if (end.cooldown && leases) this.#cooldownUntil = leases.clock() + leases.cooldownMs;
    this.#closing?.();
    this.#closing = undefined;
    void this.#pump();
  }

  /**
   * Reserve-first: reserves one batch (up to `pipeline` in flight); false when it must wait.
   * Back to choosing once a cool-down is over, or when another writer leased the lane.
   */
  async #reserveNext(): Promise<boolean> {
    if (this.#halted || this.#flights.length >= this.#options.pipeline) return false;
    const leases = this.#options.leases;
    if (leases && !this.#closed && leases.clock() >= this.#cooldownUntil) {
      if (this.#flights.length > 0) return false;
      this.#mode = 'unknown';
      return true;
    }
    const batch = this.#queue.splice(0, this.#options.maxBatch);
    let reservation: Reservation;
    try {
      reservation = await this.#reserve(batch.map((p) => p.event));
    } catch (e) {
      if (e instanceof LeasedElsewhere) {
        this.#queue.unshift(...batch);
        this.#mode = 'unknown';
        return true;
      }
      const error = e instanceof GatewayError ? e : unavailable('The audit lane head is unavailable.', e);
      for (const p of batch) p.reject(error);
      return true;
    }
    const flight: Flight = { reservation, done: false, failed: false };
    this.#flights.push(flight);
    void this.#fly(flight, batch);
    return true;
  }

  async #fly(flight: Flight, batch: Pending[]): Promise<void> {
    const { events } = flight.reservation;
    const results = await Promise.allSettled(events.map((e) => this.#options.sink.append(e)));
    flight.done = true;
    flight.failed = results.every((r) => r.status === 'rejected');
    if (flight.failed) this.#halted = true;
    results.forEach((r, i) => {
      const p = batch[i] as Pending;
      if (r.status === 'fulfilled') p.resolve(events[i] as AuditEvent);
      else p.reject(r.reason);
    });
    if (this.#halted) {
      if (this.#flights.every((f) => f.done)) await this.#restore();
    } else {
      while (this.#flights[0]?.done) this.#flights.shift();
    }
    void this.#pump();
  }

  /**
   * Once every batch in flight has settled: puts the head back over the wholly failed batches
   * at the end of the lane, newest first, each with a conditional write on the etag the one
   * after it left. A failed batch with a stored one after it cannot be taken back: its slots
   * stay empty and verify reports them.
   */
  async #restore(): Promise<void> {
    const flights = this.#flights.splice(0);
    let etag = flights.at(-1)?.reservation.etag;
    for (let f = flights.pop(); f?.failed && etag !== undefined; f = flights.pop()) {
      const before = f.reservation.before;
      const target = { length: before?.length ?? 0, hash: before?.hash ?? GENESIS_PREV };
      try {
        const write = await this.#options.heads.set(this.#lane, target, etag);
        etag = write.ok ? write.etag : undefined;
        this.#head = write.ok ? { lane: this.#lane, ...target, etag: write.etag } : undefined;
      } catch {
        etag = undefined;
        this.#head = undefined;
      }
    }
    // Only now may new batches reserve: they must build on the head as put back.
    this.#halted = false;
  }

  async #reserve(events: AuditEvent[]): Promise<Reservation> {
    const { heads, maxAttempts, backoff } = this.#options;
    for (let attempt = 1; ; attempt++) {
      try {
        const head = this.#head !== undefined ? this.#head : await heads.get(this.#lane);
        if (head?.owner) {
          this.#head = undefined;
          throw new LeasedElsewhere();
        }
        const start = head?.length ?? 0;
        let prev = head?.hash ?? GENESIS_PREV;
        const chained = events.map((event, i) => {
          const c = chainEvent(event, { lane: this.#lane, index: start + i, prev });
          prev = (c.chain as { hash: string }).hash;
          return c;
        });
        const next = { length: start + events.length, hash: prev };
        const write = await heads.set(this.#lane, next, head?.etag ?? null);
        if (write.ok) {
          this.#head = { lane: this.#lane, ...next, etag: write.etag };
          return { events: chained, before: head, etag: write.etag };
        }
      } catch (e) {
        this.#head = undefined;
        throw e;
      }
      this.#head = undefined;
      if (attempt >= maxAttempts) {
        throw unavailable(`Audit lane ${this.#lane} stayed contended for ${maxAttempts} attempts.`);
      }
      await backoff(attempt);
    }
  }
}
