/** The queues of the approval workflow (`callbacks`: signed notices to requesters). */
export const QUEUES = ['approval-requests', 'approval-decisions', 'callbacks'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface OutgoingMessage {
  /** Unique per logical message (request id, decision id): duplicates are detected by it. */
  messageId: string;
  body: Record<string, unknown>;
}

export interface IncomingMessage {
  messageId: string;
  body: unknown;
  /** 1 on the first delivery. */
  deliveryCount: number;
}

/**
 * A handler rejects with this when delivering the message again cannot help (say, no webhook
 * is configured for the approver group): the adapter dead-letters it at once instead of after
 * `maxDeliveries`. `reason` becomes the dead letter's description, so it must hold no secret
 * and no data. (A Functions trigger cannot dead-letter by itself: there the host's
 * maxDeliveryCount applies, or the trigger completes the message after auditing.)
 */
export class UnretryableMessageError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'UnretryableMessageError';
    this.reason = reason;
  }
}

/** Resolves when the message is handled; a rejection means "deliver it again". */
export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface Consumer {
  close(): Promise<void>;
}

/**
 * Port to a message queue with at-least-once delivery. `send` resolves once the broker has
 * the message. A consumer's handler that rejects gets the message again, up to
 * `maxDeliveries`, after which the message is dead-lettered. Consumers must be idempotent on
 * `messageId`.
 */
export interface Queue {
  send(queue: QueueName, message: OutgoingMessage): Promise<void>;
  consume(queue: QueueName, handler: MessageHandler, options?: { maxDeliveries?: number }): Consumer;
  close(): Promise<void>;
}
