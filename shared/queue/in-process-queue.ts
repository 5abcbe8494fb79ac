import type {
  Consumer,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  Queue,
  QueueName,
} from '../ports/queue.js';
import { backoffDelay, checkMaxDeliveries, checkOutgoing, deadLetterReason, failureName } from './message.js';

/** Timers the queue uses for redelivery, injectable so tests drive them (or use `mock.timers`). */
export interface QueueScheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface InProcessQueueOptions {
  /** Default for consumers that do not say (5). */
  maxDeliveries?: number;
  /** A message id seen within this window is dropped as a duplicate (10 minutes, as in infra). */
  duplicateWindowMs?: number;
  /** Backoff before a failed message is delivered again: base * 2^(n-1), capped (50 ms, 2 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Handlers running at once per consumer (4). */
  concurrency?: number;
  now?: () => number;
  scheduler?: QueueScheduler;
}

export interface DeadLetter {
  messageId: string;
  body: Record<string, unknown>;
  deliveryCount: number;
  reason: 'MaxDeliveriesExceeded' | 'Unretryable';
  /** The handler's last error class (not its message, which may hold data). */
  description: string;
  deadLetteredAt: string;
}

interface Stored {
  messageId: string;
  body: Record<string, unknown>;
  deliveries: number;
}

interface ConsumerState {
  queue: QueueName;
  handler: MessageHandler;
  maxDeliveries: number;
  running: Set<Promise<void>>;
  closed: boolean;
}

const DEFAULTS = { duplicateWindowMs: 10 * 60_000, retryBaseMs: 50, retryMaxMs: 2_000, concurrency: 4 };

/**
 * The queue port inside one process, used by the local host (and as the reference for the
 * contract suite): at-least-once delivery, redelivery with backoff when a handler rejects,
 * dead-letter after `maxDeliveries`, duplicate detection on message id within a window, as
 * Service Bus does with the settings in infra. Nothing survives a restart.
 */
export class InProcessQueue implements Queue {
  readonly #ready = new Map<QueueName, Stored[]>();
  readonly #dead = new Map<QueueName, DeadLetter[]>();
  readonly #seen = new Map<string, number>();
  readonly #consumers = new Set<ConsumerState>();
  readonly #timers = new Set<unknown>();
  readonly #options: Required<Omit<InProcessQueueOptions, 'scheduler' | 'now'>>;
  readonly #now: () => number;
  readonly #scheduler: QueueScheduler;
  #closed = false;
  #dispatching = false;

  constructor(options: InProcessQueueOptions = {}) {
    this.#options = {
      maxDeliveries: checkMaxDeliveries(options.maxDeliveries),
      duplicateWindowMs: options.duplicateWindowMs ?? DEFAULTS.duplicateWindowMs,
      retryBaseMs: options.retryBaseMs ?? DEFAULTS.retryBaseMs,
      retryMaxMs: options.retryMaxMs ?? DEFAULTS.retryMaxMs,
      concurrency: options.concurrency ?? DEFAULTS.concurrency,
    };
    if (!Number.isInteger(this.#options.concurrency) || this.#options.concurrency < 1) {
      throw new TypeError('concurrency must be a positive integer');
    }
    this.#now = options.now ?? Date.now;
    // Bound to globalThis at call time, so mock.timers installed after construction still apply.
    this.#scheduler = options.scheduler ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
  }

  async send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    if (this.#closed) throw new Error('the queue is closed');
    checkOutgoing(queue, message);
    if (this.#isDuplicate(queue, message.messageId)) return;
    // A copy, so the sender changing its object later changes nothing queued.
    this.#readyList(queue).push({
      messageId: message.messageId,
      body: structuredClone(message.body),
      deliveries: 0,
    });
    this.#schedule();
  }

  consume(queue: QueueName, handler: MessageHandler, options?: { maxDeliveries?: number }): Consumer {
    if (this.#closed) throw new Error('the queue is closed');
    const state: ConsumerState = {
      queue,
      handler,
      maxDeliveries: checkMaxDeliveries(options?.maxDeliveries ?? this.#options.maxDeliveries),
      running: new Set(),
      closed: false,
    };
    this.#consumers.add(state);
    this.#schedule();
    return {
      close: async () => {
        state.closed = true;
        this.#consumers.delete(state);
        await Promise.allSettled([...state.running]);
      },
    };
  }

  /** Stops taking messages, waits for running handlers, cancels pending redeliveries. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const handle of this.#timers) this.#scheduler.clearTimeout(handle);
    this.#timers.clear();
    const running = [...this.#consumers].flatMap((c) => [...c.running]);
    for (const c of this.#consumers) c.closed = true;
    this.#consumers.clear();
    await Promise.allSettled(running);
  }

  /** Messages that failed `maxDeliveries` times, oldest first (copies). */
  deadLetters(queue: QueueName): DeadLetter[] {
    return (this.#dead.get(queue) ?? []).map((d) => ({ ...d, body: structuredClone(d.body) }));
  }

  /** Messages waiting for a consumer (not counting those being handled or waiting to be retried). */
  depth(queue: QueueName): number {
    return this.#ready.get(queue)?.length ?? 0;
  }

  #isDuplicate(queue: QueueName, messageId: string): boolean {
    const now = this.#now();
    // Insertion order is time order, so expired ids are all at the front.
    for (const [key, at] of this.#seen) {
      if (now - at < this.#options.duplicateWindowMs) break;
      this.#seen.delete(key);
    }
    const key = `${queue}\u0000${messageId}`;
    if (this.#seen.has(key)) return true;
    this.#seen.set(key, now);
    return false;
  }

  #readyList(queue: QueueName): Stored[] {
    let list = this.#ready.get(queue);
    if (!list) {
      list = [];
      this.#ready.set(queue, list);
    }
    return list;
  }

  // Handlers always start from a microtask, never inside send(): a sender must not run the
  // consumer's work on its own stack.
  #schedule(): void {
    if (this.#dispatching) return;
    this.#dispatching = true;
    queueMicrotask(() => {
      this.#dispatching = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#closed) return;
    for (const consumer of this.#consumers) {
      const list = this.#ready.get(consumer.queue);
      while (
        list &&
        list.length > 0 &&
        !consumer.closed &&
        consumer.running.size < this.#options.concurrency
      ) {
        const stored = list.shift()!;
        this.#deliver(consumer, stored);
      }
    }
  }

  #deliver(consumer: ConsumerState, stored: Stored): void {
    stored.deliveries += 1;
    const incoming: IncomingMessage = {
      messageId: stored.messageId,
      body: structuredClone(stored.body),
      deliveryCount: stored.deliveries,
    };
    const run = (async () => {
      try {
        await consumer.handler(incoming);
      } catch (error) {
        this.#failed(consumer, stored, error);
      }
    })();
    consumer.running.add(run);
    void run.finally(() => {
      consumer.running.delete(run);
      this.#schedule();
    });
  }

  #failed(consumer: ConsumerState, stored: Stored, error: unknown): void {
    const reason = deadLetterReason(error, stored.deliveries, consumer.maxDeliveries);
    if (reason !== undefined) {
      const list = this.#dead.get(consumer.queue) ?? [];
      list.push({
        messageId: stored.messageId,
        body: stored.body,
        deliveryCount: stored.deliveries,
        reason: reason as DeadLetter['reason'],
        description: failureName(error),
        deadLetteredAt: new Date(this.#now()).toISOString(),
      });
      this.#dead.set(consumer.queue, list);
      return;
    }
    if (this.#closed) return;
    const delay = backoffDelay(stored.deliveries, this.#options.retryBaseMs, this.#options.retryMaxMs);
    const handle = this.#scheduler.setTimeout(() => {
      this.#timers.delete(handle);
      this.#readyList(consumer.queue).push(stored);
      this.#schedule();
    }, delay);
    this.#timers.add(handle);
  }
}
