import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import {
  parseServiceBusConnectionString,
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
} from '@azure/service-bus';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import type {
  Consumer,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  Queue,
  QueueName,
} from '../ports/queue.js';
import { backoffDelay, checkMaxDeliveries, checkOutgoing, deadLetterReason, failureName } from './message.js';

/**
 * How to reach Service Bus. In Azure: the namespace host and the managed identity
 * (`DefaultAzureCredential`, with the user-assigned identity's client id when there is one).
 * For the emulator or the test broker: a connection string; one that ends in
 * `UseDevelopmentEmulator=true` turns TLS off in the SDK, so it is accepted for a loopback
 * host only.
 */
export type ServiceBusQueueConfig =
  | { fullyQualifiedNamespace: string; clientId?: string; credential?: TokenCredential }
  | { connectionString: string };

export interface ServiceBusQueueOptions {
  /** Handlers running at once per consumer (4). */
  concurrency?: number;
  /** A failed message is held this long (doubling, capped) before it is abandoned, so retries are spaced. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** SDK-level retries of a send or a settlement before giving up (3). */
  sdkRetries?: number;
  /**
   * How long the SDK keeps renewing the lock of a message whose handler still runs (5 minutes,
   * the SDK default; 0 turns renewal off). The SDK cannot settle a message without a message id
   * while renewal is on, so such a message goes back until the queue's maxDeliveryCount
   * dead-letters it; with renewal off the adapter dead-letters it at once.
   */
  lockRenewalMs?: number;
  /** Told about receive and settlement errors (never message bodies); the default ignores them. */
  onError?: (what: string, error: unknown) => void;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const namespaceHost = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{4,48}[a-z0-9]\.servicebus\.(windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i,
  );

function hostOf(endpoint: string): string {
  const match = /^sb:\/\/([^/;]+)/i.exec(endpoint);
  if (!match) throw new TypeError('the Service Bus endpoint must be sb://host');
  return match[1].replace(/:\d+$/, '').toLowerCase();
}

/** Refuses a configuration that would send credentials in clear or to an unexpected host. */
export function checkServiceBusConfig(config: ServiceBusQueueConfig): void {
  if ('connectionString' in config) {
    const parsed = parseServiceBusConnectionString(config.connectionString);
    const host = hostOf(parsed.endpoint);
    const emulator = /(^|;)\s*UseDevelopmentEmulator\s*=\s*true\s*(;|$)/i.test(config.connectionString);
    if (emulator ? !LOOPBACK.has(host) : !namespaceHost.safeParse(host).success) {
      throw new TypeError(
        emulator
          ? 'UseDevelopmentEmulator=true (no TLS) is accepted for a loopback host only'
          : 'the Service Bus connection string must name a *.servicebus namespace',
      );
    }
    return;
  }
  if (!namespaceHost.safeParse(config.fullyQualifiedNamespace).success) {
    throw new TypeError('fullyQualifiedNamespace must be <name>.servicebus.windows.net');
  }
}

/**
 * The queue port on Azure Service Bus. One `ServiceBusClient` per adapter (the composition
 * root builds the adapter once, at module scope in the Functions entry), one sender per queue
 * created on first use and reused. Every message carries its `messageId`, so the queue's
 * duplicate detection drops a resend. Consumers receive in peekLock mode: complete on
 * success, abandon (after a backoff) on failure, dead-letter when the delivery count reaches
 * `maxDeliveries`.
 */
export class ServiceBusQueue implements Queue {
  readonly #client: ServiceBusClient;
  readonly #senders = new Map<QueueName, ServiceBusSender>();
  readonly #consumers = new Set<Consumer>();
  readonly #options: Required<Omit<ServiceBusQueueOptions, 'onError'>> &
    Pick<ServiceBusQueueOptions, 'onError'>;
  #closed = false;

  constructor(config: ServiceBusQueueConfig, options: ServiceBusQueueOptions = {}) {
    checkServiceBusConfig(config);
    this.#options = {
      concurrency: options.concurrency ?? 4,
      retryBaseMs: options.retryBaseMs ?? 500,
      retryMaxMs: options.retryMaxMs ?? 10_000,
      sdkRetries: options.sdkRetries ?? 3,
      lockRenewalMs: options.lockRenewalMs ?? 5 * 60_000,
      onError: options.onError,
    };
    if (!Number.isInteger(this.#options.concurrency) || this.#options.concurrency < 1) {
      throw new TypeError('concurrency must be a positive integer');
    }
    const clientOptions = { retryOptions: { maxRetries: this.#options.sdkRetries } };
    this.#client =
      'connectionString' in config
        ? new ServiceBusClient(config.connectionString, clientOptions)
        : new ServiceBusClient(
            config.fullyQualifiedNamespace,
            config.credential ??
              new DefaultAzureCredential(config.clientId ? { managedIdentityClientId: config.clientId } : {}),
            clientOptions,
          );
  }

  async send(queue: QueueName, message: OutgoingMessage): Promise<void> {
    if (this.#closed) throw new Error('the queue is closed');
    checkOutgoing(queue, message);
    let sender = this.#senders.get(queue);
    if (!sender) {
      sender = this.#client.createSender(queue);
      this.#senders.set(queue, sender);
    }
    try {
      await sender.sendMessages({
        messageId: message.messageId,
        body: message.body,
        contentType: 'application/json',
      });
    } catch (cause) {
      throw new GatewayError('store_unavailable', 'The approval queue is unavailable.', { cause });
    }
  }

  consume(queue: QueueName, handler: MessageHandler, options?: { maxDeliveries?: number }): Consumer {
    if (this.#closed) throw new Error('the queue is closed');
    const maxDeliveries = checkMaxDeliveries(options?.maxDeliveries);
    const receiver = this.#client.createReceiver(queue, {
      receiveMode: 'peekLock',
      maxAutoLockRenewalDurationInMs: this.#options.lockRenewalMs,
    });
    const running = new Set<Promise<void>>();
    let stopping = false;
    const subscription = receiver.subscribe(
      {
        processMessage: async (received) => {
          if (stopping) return;
          const run = this.#handle(receiver, received, handler, maxDeliveries);
          running.add(run);
          try {
            await run;
          } finally {
            running.delete(run);
          }
        },
        processError: async (args) => {
          this.#options.onError?.(`receive from ${queue}`, args.error);
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: this.#options.concurrency },
    );
    let closing: Promise<void> | undefined;
    const consumer: Consumer = {
      close: () => {
        closing ??= (async () => {
          stopping = true;
          this.#consumers.delete(consumer);
          // Stop the flow first, let running handlers settle over the still-open link, then detach.
          await subscription.close().catch((e) => this.#options.onError?.('stop receiving', e));
          await Promise.allSettled([...running]);
          await receiver.close().catch((e) => this.#options.onError?.('close receiver', e));
        })();
        return closing;
      },
    };
    this.#consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#consumers].map((c) => c.close()));
    await Promise.allSettled([...this.#senders.values()].map((s) => s.close()));
    this.#senders.clear();
    await this.#client.close().catch((e) => this.#options.onError?.('close client', e));
  }

  async #handle(
    receiver: ServiceBusReceiver,
    received: ServiceBusReceivedMessage,
    handler: MessageHandler,
    maxDeliveries: number,
  ): Promise<void> {
    const incoming = toIncomingMessage(received);
    if (!incoming) {
      // Without an id nothing downstream can be idempotent: it never reaches the handler.
      await this.#settle('dead-letter', () =>
        receiver.deadLetterMessage(received, {
          deadLetterReason: 'MissingMessageId',
          deadLetterErrorDescription: 'a message without a messageId cannot be handled idempotently',
        }),
      );
      return;
    }
    try {
      await handler(incoming);
    } catch (error) {
      const reason = deadLetterReason(error, incoming.deliveryCount, maxDeliveries);
      if (reason !== undefined) {
        await this.#settle('dead-letter', () =>
          receiver.deadLetterMessage(received, {
            deadLetterReason: reason,
            deadLetterErrorDescription: failureName(error),
          }),
        );
        return;
      }
      await new Promise((resolve) =>
        setTimeout(
          resolve,
          backoffDelay(incoming.deliveryCount, this.#options.retryBaseMs, this.#options.retryMaxMs),
        ),
      );
      await this.#settle('abandon', () => receiver.abandonMessage(received));
      return;
    }
    await this.#settle('complete', () => receiver.completeMessage(received));
  }

  // A settlement that fails (lock lost, link gone) is not fatal: the broker delivers the
  // message again when the lock lapses, and consumers are idempotent on the message id.
  async #settle(what: string, settle: () => Promise<void>): Promise<void> {
    try {
      await settle();
    } catch (error) {
      this.#options.onError?.(what, error);
    }
  }
}

/**
 * The SDK reports the wire delivery-count (0 on the first delivery, as Service Bus puts it in
 * the AMQP header); the port counts from 1.
 */
export function toIncomingMessage(received: ServiceBusReceivedMessage): IncomingMessage | undefined {
  const id = received.messageId;
  if (id === undefined || id === null || String(id).length === 0) return undefined;
  return {
    messageId: typeof id === 'string' ? id : Buffer.isBuffer(id) ? id.toString('hex') : String(id),
    body: received.body,
    deliveryCount: (received.deliveryCount ?? 0) + 1,
  };
}

const triggerMetadataSchema = z.object({
  messageId: z.string().min(1).max(128),
  // The Functions host reads messages with the .NET SDK, whose DeliveryCount starts at 1.
  deliveryCount: z.coerce.number().int().min(1),
});

/**
 * Turns an `app.serviceBusQueue` trigger invocation (the message, and
 * `context.triggerMetadata` with `messageId` and `deliveryCount`) into the port's
 * `IncomingMessage`, so the Functions trigger calls the same handler as a local consumer.
 * The host settles the message itself (complete on return, abandon on a throw, dead-letter
 * at the queue's maxDeliveryCount). A JSON body may arrive parsed, as a string or as bytes.
 */
export function fromServiceBusTrigger(message: unknown, triggerMetadata: unknown): IncomingMessage {
  const meta = triggerMetadataSchema.safeParse(triggerMetadata);
  if (!meta.success) throw new TypeError('the Service Bus trigger gave no usable messageId/deliveryCount');
  return {
    messageId: meta.data.messageId,
    body: decodeTriggerBody(message),
    deliveryCount: meta.data.deliveryCount,
  };
}

function decodeTriggerBody(message: unknown): unknown {
  const text =
    typeof message === 'string'
      ? message
      : message instanceof Uint8Array
        ? Buffer.from(message).toString('utf8')
        : undefined;
  if (text === undefined) return message;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
