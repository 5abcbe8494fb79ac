import { randomInt } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { GatewayError } from '../../errors.js';

/**
 * A bound on the bytes the gateway takes from the target for one request: the pool's clients
 * count what their socket receives, from each checkout (and each step of a read session) on,
 * and a client past the bound has its socket destroyed with `result_too_large`, which every
 * statement waiting on it then fails with. Rows are held whole before masking, and masking
 * makes a huge cell small (`[REDACTED]`), so without this one allowed `select repeat('x',
 * 100000000) from generate_series(1, 8)` held 1.3 GB of the gateway's memory and a few more
 * would have ended the process; the response-size cap only sees what is left after masking.
 */

/** Default bytes of the target's answer one request may read (a step, for a streamed read). */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

/**
 * Where one request's bound trips: somewhere in the last eighth below the limit, drawn afresh
 * at each checkout. The raw answer holds masked values at their full length, so a bound at a
 * fixed byte let an agent pad a masked email with long numbers (which masking withholds, so
 * the response stayed small) and binary-search the padding that tips 200 into 422: the email's
 * exact length in 17 requests (red-team round 44). With the bound spread over limit/8 bytes, a
 * byte of the value moves the odds of tripping by 8/limit, and reading it back takes on the
 * order of (limit/8)^2 requests.
 */
export function drawThreshold(limit: number): number {
  const spread = Math.max(1, Math.floor(limit / 8));
  return limit - randomInt(spread);
}

interface Meter {
  received: number;
  readonly limit: number;
  /** This checkout's bound (drawThreshold). */
  threshold: number;
  /** Set when the bound destroyed the socket: what any later failure on this client means. */
  tripped?: GatewayError;
}

const meters = new WeakMap<PoolClient, Meter>();

interface Socketish {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  destroy(error?: Error): unknown;
}

function socketOf(client: PoolClient): Socketish | undefined {
  const stream = (client as unknown as { connection?: { stream?: Partial<Socketish> } }).connection?.stream;
  return typeof stream?.on === 'function' && typeof stream.destroy === 'function'
    ? (stream as Socketish)
    : undefined;
}

export function resultTooLarge(limit: number): GatewayError {
  return new GatewayError(
    'result_too_large',
    `The target's answer was more than this connection lets the gateway read for one request (maxReadBytes ${limit}; the bound falls at random in its last eighth); nothing was released.`,
  );
}

/** Meters every client the pool connects, restarted at each checkout. */
export function meterPool(pool: Pool, limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError('maxReadBytes must be a positive integer');
  pool.on('connect', (client) => {
    const socket = socketOf(client);
    if (socket === undefined) return;
    const meter: Meter = { received: 0, limit, threshold: drawThreshold(limit) };
    meters.set(client, meter);
    socket.on('data', (chunk) => {
      meter.received += chunk.length;
      if (meter.received > meter.threshold && meter.tripped === undefined) {
        meter.tripped = resultTooLarge(meter.limit);
        socket.destroy(meter.tripped);
      }
    });
  });
  pool.on('acquire', restartMeter);
}

/** Starts the client's count again: a new request, or the next step of one. */
export function restartMeter(client: PoolClient | undefined): void {
  const meter = client === undefined ? undefined : meters.get(client);
  if (meter === undefined) return;
  meter.received = 0;
  meter.threshold = drawThreshold(meter.limit);
}

/**
 * The bound's error when it destroyed this client's socket. A chunk that crosses the bound may
 * also complete the statement, so the destroyed socket fails the next one instead, with the
 * driver's "not queryable" error (red-team round 17: a 502 where 422 was meant).
 */
export function trippedMeter(client: PoolClient | undefined): GatewayError | undefined {
  return client === undefined ? undefined : meters.get(client)?.tripped;
}
