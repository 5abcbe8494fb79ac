import { GatewayError } from '../../errors.js';
import type { AuditEvent } from '../event.js';
import { chainEvent } from './hash.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditEventSink } from './lanes.js';

/** One append waiting for its lane. */
export interface Pending {
  event: AuditEvent;
  resolve: (chained: AuditEvent) => void;
  reject: (e: unknown) => void;
}

export interface LeaseTiming {
  /** Who this writer is in the head's `owner` field. */
  owner: string;
  /** How long a lease lasts after the send of the head write that last proved it. */
  ttlMs: number;
  /** Safety margin: the writer stops this long before the lease could have run out. */
  marginMs: number;
  /** Period of the renewing head write. */
  renewMs: number;
  /**
   * Least time between two head writes that only move the head: the head lags the stored
   * events by about this much, and a busy lane pays one head write per `flushMs`, not per batch.
   */
  flushMs: number;
  /** Monotonic milliseconds. */
  clock: () => number;
}

interface LeaseParts {
  lane: number;
  sink: AuditEventSink;
  heads: LaneHeadStore;
  timing: LeaseTiming;
  maxBatch: number;
  pipeline: number;
}

interface Flight {
  batch: Pending[];
  events: AuditEvent[];
  results?: PromiseSettledResult<void>[];
  /** When the last append of the flight answered (clock). */
  settledAt?: number;
}

type End = 'expired' | 'lost' | 'failed' | 'wanted' | 'closed';

export interface LeaseEnd {
  reason: End;
  /** The lease was handed over (or closed): leave the lane to reserve-first for a while. */
  cooldown: boolean;
}

function unavailable(message: string): GatewayError {
  return new GatewayError('audit_unavailable', message);
}

/**
 * One held lease on one lane (see the comment above LaneWriter): the only writer of the lane
 * while it lasts, so it chains from its in-memory tail, appends first and moves the head
 * after, coalesced and off the latency path. Each head write is conditional on the etag of
 * the one before and names this writer as owner; its success proves the lease for `ttlMs`
 * from its send, less the margin. An append is confirmed only if it answered within that
 * proof, and only in index order, so a confirmed event is never orphaned by a failed one
 * before it.
 */
export class LaneLease {
  readonly #p: LeaseParts;
  #etag: string;
  #validUntil: number;
  /** Chain end as dispatched: the next event links here. */
  #tail: { length: number; hash: string };
  /** Chain end as confirmed: every event before it is durable and answered for. */
  #durable: { length: number; hash: string };
  /** Length the head was last written with. */
  #written: number;
  readonly #flights: Flight[] = [];
  #headBusy = false;
  /** Send time of the last head write that succeeded: the lane was ours at least until then. */
  #provenAt: number;
  /** A settled flight waits for a head write sent after it answered. */
  #proofWanted = false;
  /** Send time of the last head write (clock). */
  #lastWrite: number;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Callers of `flush`, each waiting for the head to reach a length. */
  #waiters: Array<{ length: number; resolve: () => void }> = [];
  /** Why no new batch is dispatched; set once. */
  #stop: End | undefined;
  /** Completions can no longer be confirmed (the lease may have been lost). */
  #broken = false;
  #ending = false;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #onEnd: (end: LeaseEnd) => void;
  readonly #onProgress: () => void;

  constructor(
    parts: LeaseParts,
    start: { length: number; hash: string; etag: string; sentAt: number },
    callbacks: { onEnd: (end: LeaseEnd) => void; onProgress: () => void },
  ) {
    this.#p = parts;
    this.#etag = start.etag;
    this.#validUntil = start.sentAt + parts.timing.ttlMs - parts.timing.marginMs;
    this.#tail = { length: start.length, hash: start.hash };
    this.#durable = this.#tail;
    this.#written = start.length;
    this.#lastWrite = start.sentAt;
    this.#provenAt = start.sentAt;
    this.#onEnd = callbacks.onEnd;
    this.#onProgress = callbacks.onProgress;
    this.#timer = setInterval(() => void this.#writeHead(true), parts.timing.renewMs);
    this.#timer.unref?.();
  }

  /** Takes the next batch off `queue` when the lease may still write; false when it may not. */
  dispatch(queue: Pending[]): boolean {
    if (this.#stop) return false;
    if (this.#p.timing.clock() >= this.#validUntil) {
      // Not renewed in time: stop before anyone else may take the lane.
      this.#end('expired');
      this.#settle();
      return false;
    }
    if (this.#flights.length >= this.#p.pipeline || queue.length === 0) return false;
    const batch = queue.splice(0, this.#p.maxBatch);
    const start = this.#tail.length;
    let prev = this.#tail.hash;
    const events = batch.map((pending, i) => {
      const chained = chainEvent(pending.event, { lane: this.#p.lane, index: start + i, prev });
      prev = (chained.chain as { hash: string }).hash;
      return chained;
    });
    this.#tail = { length: start + events.length, hash: prev };
    const flight: Flight = { batch, events };
    this.#flights.push(flight);
    void this.#fly(flight);
    return true;
  }

  /** Resolves once the head covers every append confirmed so far (or the lease has ended). */
  flush(): Promise<void> {
    const length = this.#durable.length;
    if (this.#written >= length || this.#ending) return Promise.resolve();
    const flushed = new Promise<void>((resolve) => this.#waiters.push({ length, resolve }));
    void this.#writeHead(true);
    return flushed;
  }

  #wake(all: boolean): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (all || w.length <= this.#written) w.resolve();
      else this.#waiters.push(w);
    }
  }

  /** Stops writing, lets what is in flight settle, moves the head and clears the owner. */
  close(): void {
    this.#end('closed');
    this.#settle();
  }

  /** Answers what can be answered; once stopped and drained, ends the lease. */
  #settle(): void {
    this.#confirm();
    if (this.#stop) this.#finish();
  }

  async #fly(flight: Flight): Promise<void> {
    flight.results = await Promise.allSettled(flight.events.map((e) => this.#p.sink.append(e)));
    flight.settledAt = this.#p.timing.clock();
    this.#settle();
    if (!this.#stop) void this.#writeHead(this.#proofWanted);
    this.#onProgress();
  }

  /** Answers settled flights in index order; from the first failure on, everything rejects. */
  #confirm(): void {
    for (let f = this.#flights[0]; f?.results; f = this.#flights[0]) {
      // Answered after the proof ran out: another writer may own the lane by now, unless a head
      // write sent after the answer still finds the head as this lease left it (then nobody
      // else has written the lane meanwhile). Without that proof, it rejects.
      const settledAt = f.settledAt as number;
      if (!this.#broken && settledAt >= this.#validUntil && this.#provenAt < settledAt) {
        if (!this.#stop) {
          this.#proofWanted = true;
          return;
        }
        this.#break('expired');
      }
      this.#flights.shift();
      f.results.forEach((r, i) => {
        const pending = f.batch[i] as Pending;
        const event = f.events[i] as AuditEvent;
        if (r.status === 'fulfilled' && !this.#broken) {
          const c = event.chain as { index: number; hash: string };
          this.#durable = { length: c.index + 1, hash: c.hash };
          pending.resolve(event);
          return;
        }
        const first = !this.#broken;
        this.#break('failed');
        pending.reject(
          r.status === 'rejected' && first
            ? r.reason
            : unavailable(`Audit lane ${this.#p.lane}: an earlier append failed or the lease ran out.`),
        );
      });
    }
  }

  #break(reason: End): void {
    this.#broken = true;
    this.#end(reason);
  }

  #end(reason: End): void {
    this.#stop ??= reason;
    this.#finish();
  }

  /**
   * Moves the head to what is confirmed, which also renews the lease. A lost condition means
   * the head item changed under the lease: either another writer asks for the lane (hand it
   * over) or the lease is gone (stop; what answers later is rejected).
   */
  async #writeHead(renew: boolean): Promise<void> {
    if (this.#headBusy || this.#stop) return;
    if (!renew && this.#durable.length === this.#written) return;
    const { heads, lane, timing } = this.#p;
    const wait = this.#lastWrite + timing.flushMs - timing.clock();
    if (!renew && wait > 0) {
      this.#flushTimer ??= setTimeout(() => {
        this.#flushTimer = undefined;
        void this.#writeHead(false);
      }, wait);
      this.#flushTimer.unref?.();
      return;
    }
    this.#headBusy = true;
    this.#proofWanted = false;
    let failed = false;
    const target = this.#durable;
    const sentAt = timing.clock();
    this.#lastWrite = sentAt;
    try {
      const write = await heads.set(lane, { ...target, owner: timing.owner, wanted: false }, this.#etag);
      if (write.ok) {
        this.#etag = write.etag;
        this.#validUntil = Math.max(this.#validUntil, sentAt + timing.ttlMs - timing.marginMs);
        this.#written = target.length;
        this.#provenAt = sentAt;
        this.#wake(false);
      } else {
        const head = await heads.get(lane);
        if (head?.owner === timing.owner && head.wanted) {
          this.#etag = head.etag;
          this.#stop ??= 'wanted';
        } else this.#break('lost');
      }
    } catch {
      // The head store failed: the lease runs out unless a later write (the renewal) succeeds.
      // Flushing is best effort: a checkpoint reads whatever head there is, a true prefix.
      failed = true;
      this.#wake(true);
    } finally {
      this.#headBusy = false;
    }
    this.#confirm();
    // Past the proof with none to be had: stop (a flight waiting for proof then rejects).
    if ((failed || !this.#proofWanted) && timing.clock() >= this.#validUntil) this.#end('expired');
    if (this.#stop) this.#settle();
    else if (!failed && (this.#proofWanted || this.#durable.length !== this.#written))
      void this.#writeHead(this.#proofWanted || this.#waiters.length > 0);
    this.#onProgress();
  }

  /** Once nothing is in flight: for a hand-over or close, a last head write clearing the owner. */
  #finish(): void {
    if (this.#ending || this.#headBusy || this.#flights.length > 0 || !this.#stop) return;
    this.#ending = true;
    clearInterval(this.#timer);
    clearTimeout(this.#flushTimer);
    const reason = this.#stop;
    const release = reason === 'wanted' || reason === 'closed';
    const done = () => {
      this.#wake(true);
      this.#onEnd({ reason, cooldown: release });
    };
    if (!release) {
      done();
      return;
    }
    const { heads, lane } = this.#p;
    // Conditional on the lease's last etag: if it is gone, so is the right to move the head.
    heads
      .set(lane, { ...this.#durable, owner: null, wanted: false }, this.#etag)
      .catch(() => undefined)
      .finally(done);
  }
}
