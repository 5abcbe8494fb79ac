import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../errors.js';
import type { AuditEvent } from '../event.js';
import { chainEvent, GENESIS_PREV } from './hash.js';
import type { LaneHead, LaneHeadStore } from './lane-head-store.js';

export const DEFAULT_LANES = 16;

/**
 * The lane of a request: the first four bytes of SHA-256(requestId), modulo the lane count.
 * Hashing (rather than round-robin) keeps all of one request's events in one lane, so their
 * order in the lane is their `seq` order and a request can be replayed from one lane; with
 * request ids random, requests still spread evenly over the lanes.
 */
export function laneOf(requestId: string, lanes: number): number {
  return createHash('sha256').update(requestId, 'utf8').digest().readUInt32BE(0) % lanes;
}

/** Whatever durably stores events, create-only (the audit store port). */
export interface AuditEventSink {
  append(event: AuditEvent): Promise<void>;
}

export interface ChainedAuditLogOptions {
  sink: AuditEventSink;
  heads: LaneHeadStore;
  /** Fixed for the life of the data: changing it moves requests to other lanes. Default 16. */
  lanes?: number;
  /** Conditional head writes tried per batch before giving up (fail closed). Default 64. */
  maxAttempts?: number;
  /** Events reserved with one head write at most. Default 64. */
  maxBatch?: number;
  /** Batches of one lane whose appends may be in flight at once. Default 4. */
  pipeline?: number;
  /** Wait after the n-th lost race; injectable so tests need no wall clock. */
  backoff?: (attempt: number) => Promise<void>;
}

interface Pending {
  event: AuditEvent;
  resolve: (chained: AuditEvent) => void;
  reject: (e: unknown) => void;
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

function unavailable(message: string, cause?: unknown): GatewayError {
  return new GatewayError('audit_unavailable', message, cause === undefined ? undefined : { cause });
}

async function defaultBackoff(attempt: number): Promise<void> {
  // Full jitter, capped: racing writers of another instance spread out instead of colliding again.
  await sleep(Math.random() * Math.min(50, 2 ** attempt));
}

/**
 * Order of writes, and why: a batch first RESERVES its slots by advancing the lane head with a
 * conditional write, and only then appends its events. The reverse order cannot work with a
 * create-only store: a writer that lost the head race would already have stored its event at
 * an index someone else took, and could never move it. So:
 *
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
 *
 * One process serialises each lane's head writes through a queue (batching what waits), so
 * its own appends never race; different lanes proceed in parallel; other processes race only
 * on the head. While a batch's events are being stored the next batch may already reserve.
 */
class LaneWriter {
  readonly #lane: number;
  readonly #options: Required<Omit<ChainedAuditLogOptions, 'lanes'>>;
  readonly #queue: Pending[] = [];
  /** Reserved batches whose appends have not all settled, oldest first. */
  readonly #flights: Flight[] = [];
  #pumping = false;
  /** Set when a batch failed wholly: no new reservation until the head is put back. */
  #halted = false;
  /** Last head this process wrote or read; undefined when it must be read again. */
  #head: LaneHead | null | undefined;

  constructor(lane: number, options: Required<Omit<ChainedAuditLogOptions, 'lanes'>>) {
    this.#lane = lane;
    this.#options = options;
  }

  enqueue(pending: Pending): void {
    this.#queue.push(pending);
    void this.#pump();
  }

  /**
   * Reserves batch after batch; a batch's appends run while the next batch reserves (up to
   * `pipeline` batches in flight), so a lane pays one head write per batch, not per append.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#halted && this.#flights.length < this.#options.pipeline) {
        const batch = this.#queue.splice(0, this.#options.maxBatch);
        let reservation: Reservation;
        try {
          reservation = await this.#reserve(batch.map((p) => p.event));
        } catch (e) {
          const error = e instanceof GatewayError ? e : unavailable('The audit lane head is unavailable.', e);
          for (const p of batch) p.reject(error);
          continue;
        }
        const flight: Flight = { reservation, done: false, failed: false };
        this.#flights.push(flight);
        void this.#fly(flight, batch);
      }
    } finally {
      this.#pumping = false;
    }
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

/**
 * An audit log whose events are hash-chained in lanes. `append` resolves with the event as
 * stored (its `chain` field set) once it is durable, and rejects when it is not; the caller
 * must then release nothing, as with the plain store.
 */
export class ChainedAuditLog implements AuditEventSink {
  readonly lanes: number;
  readonly #writers: LaneWriter[];

  constructor(options: ChainedAuditLogOptions) {
    const lanes = options.lanes ?? DEFAULT_LANES;
    if (!Number.isInteger(lanes) || lanes < 1 || lanes > 1024) throw new RangeError('lanes must be 1-1024');
    this.lanes = lanes;
    const resolved = {
      sink: options.sink,
      heads: options.heads,
      maxAttempts: options.maxAttempts ?? 64,
      maxBatch: options.maxBatch ?? 64,
      pipeline: options.pipeline ?? 4,
      backoff: options.backoff ?? defaultBackoff,
    };
    this.#writers = Array.from({ length: lanes }, (_, lane) => new LaneWriter(lane, resolved));
  }

  laneOf(requestId: string): number {
    return laneOf(requestId, this.lanes);
  }

  async append(event: AuditEvent): Promise<void> {
    await this.appendChained(event);
  }

  /** Like `append`, answering the event as stored (with its `chain` field). */
  appendChained(event: AuditEvent): Promise<AuditEvent> {
    return new Promise((resolve, reject) => {
      const writer = this.#writers[this.laneOf(event.requestId)] as LaneWriter;
      writer.enqueue({ event, resolve, reject });
    });
  }
}
