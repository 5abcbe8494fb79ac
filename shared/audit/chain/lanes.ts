import { hash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../errors.js';
import type { AuditEvent } from '../event.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import { LaneWriter, type LeaseSettings } from './lane-writer.js';

export const DEFAULT_LANES = 16;

/**
 * The lane of a request: the first four bytes of SHA-256(requestId), modulo the lane count.
 * Hashing (rather than round-robin) keeps all of one request's events in one lane, so their
 * order in the lane is their `seq` order and a request can be replayed from one lane; with
 * request ids random, requests still spread evenly over the lanes.
 */
export function laneOf(requestId: string, lanes: number): number {
  return hash('sha256', requestId, 'buffer').readUInt32BE(0) % lanes;
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
  /**
   * Lane leases (see the comment above LaneWriter): with them a lane this log is the only
   * writer of appends first and moves its head after, off the latency path. Without them
   * every batch reserves its slots with a head write before its events are stored.
   */
  leases?: LaneLeaseOptions;
  /**
   * An append not answered within this long is refused (`audit_unavailable`). Every store call
   * has its own deadline; this bounds what they cannot (a lane left waiting by a fault in
   * this code), so a request is always answered. Default 60 s.
   */
  answerWithinMs?: number;
}

export interface LaneLeaseOptions {
  /** Reads what a previous owner stored beyond a lane's head, to catch up on taking it. */
  reader: AuditLaneReader;
  /** Lease length from the send of the head write that proves it. Default 10 s. */
  ttlMs?: number;
  /** The writer stops this long before its lease could run out. Default a quarter of ttlMs. */
  marginMs?: number;
  /** Renewal period. Default a quarter of ttlMs. */
  renewMs?: number;
  /** Least time between head writes of a busy leased lane (the head's lag). Default 500 ms. */
  flushMs?: number;
  /** After a hand-over, time this log leaves the lane to reserve-first. Default 5 min. */
  cooldownMs?: number;
  /** Between looks at a lane another writer holds. Default 50 ms. */
  pollMs?: number;
  /** Monotonic milliseconds; default performance.now (injectable for tests). */
  clock?: () => number;
  /** Wait used while another writer holds a lane; default a timer. */
  wait?: (ms: number) => Promise<void>;
  /** This writer's name in the lease; default a random UUID (one per log). */
  owner?: string;
}

async function defaultBackoff(attempt: number): Promise<void> {
  // Full jitter, capped: racing writers of another instance spread out instead of colliding again.
  await sleep(Math.random() * Math.min(50, 2 ** attempt));
}

function leaseSettings(options: LaneLeaseOptions): LeaseSettings {
  const ttlMs = options.ttlMs ?? 10_000;
  const marginMs = options.marginMs ?? ttlMs / 4;
  const renewMs = options.renewMs ?? ttlMs / 4;
  if (!(ttlMs > 0 && marginMs > 0 && marginMs < ttlMs && renewMs > 0 && renewMs < ttlMs - marginMs))
    throw new RangeError('lease timing must satisfy 0 < renewMs < ttlMs - marginMs, 0 < marginMs < ttlMs');
  return {
    reader: options.reader,
    owner: options.owner ?? randomUUID(),
    ttlMs,
    marginMs,
    renewMs,
    flushMs: options.flushMs ?? 500,
    cooldownMs: options.cooldownMs ?? 300_000,
    pollMs: options.pollMs ?? 50,
    clock: options.clock ?? (() => performance.now()),
    wait: options.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/**
 * An audit log whose events are hash-chained in lanes. `append` resolves with the event as
 * stored (its `chain` field set) once it is durable, and rejects when it is not; the caller
 * must then release nothing, as with the plain store.
 */
export class ChainedAuditLog implements AuditEventSink {
  readonly lanes: number;
  readonly #writers: LaneWriter[];
  readonly #answerWithinMs: number;

  constructor(options: ChainedAuditLogOptions) {
    const lanes = options.lanes ?? DEFAULT_LANES;
    if (!Number.isInteger(lanes) || lanes < 1 || lanes > 1024) throw new RangeError('lanes must be 1-1024');
    this.lanes = lanes;
    this.#answerWithinMs = options.answerWithinMs ?? 60_000;
    const resolved = {
      sink: options.sink,
      heads: options.heads,
      maxAttempts: options.maxAttempts ?? 64,
      maxBatch: options.maxBatch ?? 64,
      pipeline: options.pipeline ?? 4,
      backoff: options.backoff ?? defaultBackoff,
      ...(options.leases ? { leases: leaseSettings(options.leases) } : {}),
    };
    this.#writers = Array.from({ length: lanes }, (_, lane) => new LaneWriter(lane, resolved));
  }

  /**
   * Resolves once every lane's head covers the appends confirmed so far: a leased lane moves
   * its head a little after its appends (see LaneWriter), so a checkpoint sealed right after
   * this covers them.
   */
  async flush(): Promise<void> {
    await Promise.all(this.#writers.map((w) => w.flush()));
  }

  /** Hands every held lease back once its appends have settled (a clean shutdown). */
  async close(): Promise<void> {
    await Promise.all(this.#writers.map((w) => w.close()));
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
      const lane = this.laneOf(event.requestId);
      const writer = this.#writers[lane] as LaneWriter;
      // Refused once late; should the event still be stored after, the trail holds a record
      // of a request that released nothing, which is the safe side.
      const late = setTimeout(
        () => reject(new GatewayError('audit_unavailable', `Audit lane ${lane} did not answer in time.`)),
        this.#answerWithinMs,
      );
      late.unref?.();
      writer.enqueue({
        event,
        resolve: (stored) => {
          clearTimeout(late);
          resolve(stored);
        },
        reject: (e) => {
          clearTimeout(late);
          reject(e);
        },
      });
    });
  }
}
