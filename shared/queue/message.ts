import { z } from 'zod';
import { type OutgoingMessage, QUEUES, type QueueName, UnretryableMessageError } from '../ports/queue.js';

/** Service Bus refuses a message id longer than 128 characters; the in-process queue does too, so both fail alike. */
export const MAX_MESSAGE_ID_LENGTH = 128;

/** Both adapters dead-letter after this many deliveries unless the consumer says otherwise. */
export const DEFAULT_MAX_DELIVERIES = 5;

const outgoingSchema = z.object({
  messageId: z.string().min(1).max(MAX_MESSAGE_ID_LENGTH),
  body: z.record(z.string(), z.unknown()),
});

const queueNameSchema = z.enum(QUEUES);

/** A wrong queue name or message is a bug in our own code, hence a TypeError. */
export function checkOutgoing(queue: QueueName, message: OutgoingMessage): void {
  if (!queueNameSchema.safeParse(queue).success) throw new TypeError(`unknown queue ${String(queue)}`);
  if (!outgoingSchema.safeParse(message).success) {
    throw new TypeError('a queue message needs a messageId of 1 to 128 characters and an object body');
  }
}

export function checkMaxDeliveries(value: number | undefined): number {
  const n = value ?? DEFAULT_MAX_DELIVERIES;
  if (!Number.isInteger(n) || n < 1) throw new TypeError('maxDeliveries must be a positive integer');
  return n;
}

/** Exponential backoff before the next delivery: base, 2*base, 4*base... capped. */
export function backoffDelay(deliveryCount: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, deliveryCount - 1));
}

/** A short, fixed description for a dead letter: the handler's error class, never its message (it may hold data). */
export function failureName(error: unknown): string {
  if (error instanceof UnretryableMessageError) return `${error.name}: ${error.reason.slice(0, 200)}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? `${error.name}:${code}` : error.name;
  }
  return typeof error;
}

/** Whether a failed delivery goes to the dead letters now rather than back to the queue. */
export function deadLetterReason(
  error: unknown,
  deliveryCount: number,
  maxDeliveries: number,
): string | undefined {
  if (error instanceof UnretryableMessageError) return 'Unretryable';
  return deliveryCount >= maxDeliveries ? 'MaxDeliveriesExceeded' : undefined;
}
