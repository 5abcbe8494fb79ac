import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditLaneReader } from '../../shared/audit/chain/lane-reader.js';
import { byChainIndex } from '../../shared/audit/chain/lane-reader.js';
import type { AuditEventSink } from '../../shared/audit/chain/lanes.js';
import type { AuditEvent } from '../../shared/audit/event.js';
import { GatewayError } from '../../shared/errors.js';

/**
 * In-memory audit events: a TEST ADAPTER that is both the create-only sink ChainedAuditLog
 * writes to and the lane reader verify reads from, with the tampering an attacker with
 * data-plane rights could do (edit, delete, insert, re-index) and an injectable latency.
 */
export class MemoryChainEventStore implements AuditEventSink, AuditLaneReader {
  readonly #events = new Map<string, AuditEvent>();
  #latencyMs: number;
  #available = true;
  appends = 0;

  constructor(options: { latencyMs?: number } = {}) {
    this.#latencyMs = options.latencyMs ?? 0;
  }

  setAvailable(available: boolean): void {
    this.#available = available;
  }

  async append(event: AuditEvent): Promise<void> {
    if (this.#latencyMs > 0) await sleep(this.#latencyMs);
    if (!this.#available) throw new GatewayError('audit_unavailable', 'The audit store is unavailable.');
    if (this.#events.has(event.id))
      throw new GatewayError('conflict', 'An audit event with this id already exists.');
    this.#events.set(event.id, JSON.parse(JSON.stringify(event)) as AuditEvent);
    this.appends++;
  }

  async read(lane: number, from: number, to: number): Promise<AuditEvent[]> {
    return [...this.#events.values()]
      .filter((e) => e.chain?.lane === lane && e.chain.index >= from && e.chain.index < to)
      .sort(byChainIndex)
      .map((e) => JSON.parse(JSON.stringify(e)) as AuditEvent);
  }

  all(): AuditEvent[] {
    return [...this.#events.values()].map((e) => JSON.parse(JSON.stringify(e)) as AuditEvent);
  }

  get(id: string): AuditEvent | undefined {
    const e = this.#events.get(id);
    return e ? (JSON.parse(JSON.stringify(e)) as AuditEvent) : undefined;
  }

  /** Tamper: overwrite a stored event (no condition, as with data-plane rights). */
  replace(event: AuditEvent): void {
    this.#events.set(event.id, JSON.parse(JSON.stringify(event)) as AuditEvent);
  }

  /** Tamper: delete a stored event. */
  remove(id: string): void {
    this.#events.delete(id);
  }
}
