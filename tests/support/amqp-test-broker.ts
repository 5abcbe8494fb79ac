import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Server, Socket } from 'node:net';
import rhea, { type Connection, type Delivery, type EventContext, type Message, type Sender } from 'rhea';

/**
 * TEST BROKER, not a Service Bus: a loopback AMQP 1.0 broker built on `rhea` that speaks just
 * enough of Service Bus for the real `@azure/service-bus` client to send to and receive from
 * queues. It exists so the Service Bus adapter is tested through the real SDK over real AMQP
 * here, where Azure cannot be reached.
 *
 * What it does, as Service Bus does (with the queue settings in infra/bicep/modules/servicebus.bicep):
 * - plain TCP on 127.0.0.1 and a port chosen by the OS: the SDK takes a connection string
 *   ending in `UseDevelopmentEmulator=true` as "no TLS" (core-amqp picks the TCP transport
 *   for it) and honours the port in `Endpoint=sb://127.0.0.1:PORT`;
 * - the CBS handshake: a `put-token` request on the `$cbs` node is answered 202 only for a
 *   SAS token signed with this broker's key, and a link may attach only to an entity whose
 *   audience was authorised on that connection;
 * - queues hold messages; a receiver in peekLock mode gets each with a lock (the delivery tag
 *   is the lock token), the header delivery-count (0 on the first delivery, as the service
 *   puts it on the wire) and `x-opt-enqueued-time`, `x-opt-sequence-number`,
 *   `x-opt-locked-until` annotations;
 * - dispositions: accepted removes the message; released or modified (abandon) makes it
 *   available again with the delivery count raised; rejected with `com.microsoft:dead-letter`
 *   moves it to `<queue>/$deadletterqueue` with `DeadLetterReason` and
 *   `DeadLetterErrorDescription` application properties; a lock that expires, or a receiver
 *   link that closes holding locks, counts as a failed delivery; after `maxDeliveryCount`
 *   failed deliveries the broker dead-letters with `MaxDeliveryCountExceeded`;
 * - duplicate detection: a message id seen on a queue within the window is accepted and dropped.
 *
 * What it does not do: the `$management` node (lock renewal, peek, deferral, scheduling),
 * sessions, topics, transactions, TTL. The adapter does not use them.
 */

export interface AmqpTestBrokerOptions {
  queues?: readonly string[];
  keyName?: string;
  key?: string;
  lockDurationMs?: number;
  maxDeliveryCount?: number;
  duplicateWindowMs?: number;
}

export interface BrokerMessage {
  messageId: string | undefined;
  /** The body as the SDK reads it: JSON when the bytes parse, else the raw section content. */
  body: unknown;
  /** Failed deliveries so far (the wire header value). */
  deliveryCount: number;
  deadLetterReason?: string;
  deadLetterErrorDescription?: string;
}

export interface AmqpTestBroker {
  readonly port: number;
  /** A connection string for the real SDK (TLS off, this broker's key). */
  readonly connectionString: string;
  /** Messages available or locked on a queue, oldest first. */
  messages(queue: string): BrokerMessage[];
  deadLetters(queue: string): BrokerMessage[];
  readonly stats: BrokerStats;
  stop(): Promise<void>;
}

export interface BrokerStats {
  connectionsOpened: number;
  putTokenAccepted: number;
  putTokenRefused: number;
  linksRefused: number;
  /** Links the clients opened to send to a queue, and to receive from one. */
  sendLinks: number;
  receiveLinks: number;
}

interface Stored {
  message: Message;
  deliveryCount: number;
  sequenceNumber: number;
  enqueuedAt: Date;
}

interface Lock {
  stored: Stored;
  queue: QueueState;
  sender: Sender;
  timer: NodeJS.Timeout;
}

interface QueueState {
  name: string;
  available: Stored[];
  dead: Stored[];
  seen: Map<string, number>;
  links: Set<Sender>;
  deadLinks: Set<Sender>;
}

const DEAD_LETTER_SUFFIX = '/$deadletterqueue';
const CBS = '$cbs';

type OutcomeFactory = (fields?: Record<string, unknown>) => { described(): unknown };
const outcomes = rhea.message as unknown as {
  accepted: OutcomeFactory;
  released: OutcomeFactory;
  rejected: OutcomeFactory;
};

export async function startAmqpTestBroker(options: AmqpTestBrokerOptions = {}): Promise<AmqpTestBroker> {
  const keyName = options.keyName ?? 'RootManageSharedAccessKey';
  const key = options.key ?? randomUUID();
  const lockDurationMs = options.lockDurationMs ?? 60_000;
  const maxDeliveryCount = options.maxDeliveryCount ?? 10;
  const duplicateWindowMs = options.duplicateWindowMs ?? 10 * 60_000;
  const queues = new Map<string, QueueState>();
  for (const name of options.queues ?? ['approval-requests', 'approval-decisions']) {
    queues.set(name.toLowerCase(), {
      name,
      available: [],
      dead: [],
      seen: new Map(),
      links: new Set(),
      deadLinks: new Set(),
    });
  }
  const locks = new Map<Delivery, Lock>();
  const authorised = new WeakMap<Connection, Set<string>>();
  const stats: BrokerStats = {
    connectionsOpened: 0,
    putTokenAccepted: 0,
    putTokenRefused: 0,
    linksRefused: 0,
    sendLinks: 0,
    receiveLinks: 0,
  };
  let sequence = 0;

  const container = rhea.create_container({ id: 'agentgate-amqp-test-broker' });
  container.sasl_server_mechanisms.enable_anonymous();

  /** `approval-requests` or `approval-requests/$DeadLetterQueue` -> the queue and which part. */
  function resolve(address: string | undefined): { queue: QueueState; dead: boolean } | undefined {
    if (!address) return undefined;
    const lower = address.toLowerCase();
    const dead = lower.endsWith(DEAD_LETTER_SUFFIX);
    const queue = queues.get(dead ? lower.slice(0, -DEAD_LETTER_SUFFIX.length) : lower);
    return queue ? { queue, dead } : undefined;
  }

  function isAuthorised(connection: Connection, address: string): boolean {
    const entities = authorised.get(connection);
    if (!entities) return false;
    const lower = address.toLowerCase();
    for (const entity of entities) {
      if (lower === entity || lower.startsWith(`${entity}/`)) return true;
    }
    return false;
  }

  /** Checks a `SharedAccessSignature sr=..&sig=..&se=..&skn=..` token as the service would. */
  function verifySas(token: unknown, audience: string): boolean {
    if (typeof token !== 'string' || !token.startsWith('SharedAccessSignature ')) return false;
    const fields = new Map<string, string>();
    for (const part of token.slice('SharedAccessSignature '.length).split('&')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
    }
    const sr = fields.get('sr');
    const se = fields.get('se');
    const sig = fields.get('sig');
    const skn = fields.get('skn');
    if (!sr || !se || !sig || !skn) return false;
    if (decodeURIComponent(skn) !== keyName) return false;
    if (!/^\d+$/.test(se) || Number(se) * 1000 < Date.now()) return false;
    const resource = decodeURIComponent(sr).toLowerCase();
    if (audience.toLowerCase() !== resource && !audience.toLowerCase().startsWith(`${resource}/`))
      return false;
    const expected = createHmac('sha256', key).update(`${sr}\n${se}`).digest();
    const given = Buffer.from(decodeURIComponent(sig), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function answerCbs(context: EventContext, request: Message): void {
    const props = (request.application_properties ?? {}) as Record<string, unknown>;
    const audience = typeof props.name === 'string' ? props.name : '';
    let status = 202;
    let description = 'Accepted';
    if (props.operation !== 'put-token') {
      status = 400;
      description = 'Only put-token is supported by the test broker';
    } else if (!verifySas(request.body, audience)) {
      status = 401;
      description = 'InvalidSignature: the token is not signed with the key of this broker';
    }
    if (status === 202) {
      let entity: string;
      try {
        entity = decodeURIComponent(new URL(audience).pathname.slice(1)).toLowerCase();
      } catch {
        entity = '';
      }
      const set = authorised.get(context.connection) ?? new Set<string>();
      set.add(entity);
      authorised.set(context.connection, set);
      stats.putTokenAccepted++;
    } else {
      stats.putTokenRefused++;
    }
    const replyTo = request.reply_to;
    const reply = context.connection.find_sender((s: Sender) => s.name === replyTo);
    reply?.send({
      body: undefined,
      correlation_id: request.message_id,
      application_properties: { 'status-code': status, 'status-description': description },
    });
  }

  function annotate(stored: Stored, lockedUntil: Date): Message {
    const m = stored.message;
    return {
      ...m,
      delivery_count: stored.deliveryCount,
      message_annotations: {
        ...(m.message_annotations ?? {}),
        'x-opt-enqueued-time': stored.enqueuedAt,
        'x-opt-sequence-number': stored.sequenceNumber,
        'x-opt-locked-until': lockedUntil,
      },
    } as Message;
  }

  function deadLetter(queue: QueueState, stored: Stored, reason: string, description: string): void {
    stored.message = {
      ...stored.message,
      application_properties: {
        ...(stored.message.application_properties ?? {}),
        DeadLetterReason: reason,
        DeadLetterErrorDescription: description,
      },
    } as Message;
    queue.dead.push(stored);
    pump(queue);
  }

  /** A delivery that did not complete: count it, then make it available again or dead-letter it. */
  function failed(queue: QueueState, stored: Stored): void {
    stored.deliveryCount++;
    if (stored.deliveryCount >= maxDeliveryCount) {
      deadLetter(queue, stored, 'MaxDeliveryCountExceeded', `delivered ${stored.deliveryCount} times`);
      return;
    }
    queue.available.unshift(stored);
    pump(queue);
  }

  function pumpPart(queue: QueueState, list: Stored[], links: Set<Sender>): void {
    let progress = true;
    while (list.length > 0 && progress) {
      progress = false;
      for (const sender of links) {
        if (list.length === 0) break;
        if (!sender.is_open() || !sender.sendable() || isDraining(sender)) continue;
        const stored = list.shift()!;
        const lockedUntil = new Date(Date.now() + lockDurationMs);
        const tag = Buffer.from(randomUUID().replaceAll('-', ''), 'hex');
        const delivery = sender.send(annotate(stored, lockedUntil), tag);
        progress = true;
        // receiveAndDelete: the receiver asked for settled deliveries; nothing to lock.
        if (sender.snd_settle_mode === 1) continue;
        const timer = setTimeout(() => {
          if (!locks.delete(delivery)) return;
          failed(queue, stored);
        }, lockDurationMs);
        timer.unref();
        locks.set(delivery, { stored, queue, sender, timer });
      }
    }
  }

  function pump(queue: QueueState): void {
    pumpPart(queue, queue.available, queue.links);
    pumpPart(queue, queue.dead, queue.deadLinks);
  }

  function settle(context: EventContext, outcome: 'accepted' | 'abandoned' | 'rejected'): void {
    const delivery = context.delivery;
    if (!delivery) return;
    const lock = locks.get(delivery);
    // Answers on $cbs are not queue messages; their dispositions need nothing.
    if (!lock && (delivery.link as Sender).source?.address === CBS) return;
    if (!lock) {
      // The lock expired (or the link closed) before this disposition: refuse it, as the service does.
      if (!delivery.remote_settled) {
        delivery.update(
          true,
          outcomes
            .rejected({
              error: { condition: 'com.microsoft:message-lock-lost', description: 'The lock was lost.' },
            })
            .described(),
        );
      }
      return;
    }
    locks.delete(delivery);
    clearTimeout(lock.timer);
    // Settle with an outcome that carries no error: the SDK takes an error in the broker's
    // answer as a failed settlement.
    const final =
      outcome === 'accepted'
        ? outcomes.accepted()
        : outcome === 'abandoned'
          ? outcomes.released()
          : outcomes.rejected();
    delivery.update(true, final.described());
    if (outcome === 'accepted') {
      pump(lock.queue);
      return;
    }
    if (outcome === 'abandoned') {
      failed(lock.queue, lock.stored);
      return;
    }
    const state = (delivery.remote_state ?? {}) as {
      error?: { condition?: string; description?: string; info?: Record<string, unknown> };
    };
    const info = state.error?.info ?? {};
    const isDeadLetter = state.error?.condition === 'com.microsoft:dead-letter';
    const reason =
      isDeadLetter && typeof info.DeadLetterReason === 'string' ? info.DeadLetterReason : 'Rejected';
    const description =
      isDeadLetter && typeof info.DeadLetterErrorDescription === 'string'
        ? info.DeadLetterErrorDescription
        : (state.error?.description ?? '');
    deadLetter(lock.queue, lock.stored, reason, description);
  }

  function releaseLocksOf(sender: Sender): void {
    for (const [delivery, lock] of locks) {
      if (lock.sender !== sender) continue;
      locks.delete(delivery);
      clearTimeout(lock.timer);
      failed(lock.queue, lock.stored);
    }
  }

  function refuseLink(
    link: { close(error?: { condition: string; description: string }): void },
    why: string,
    condition = 'amqp:unauthorized-access',
  ) {
    stats.linksRefused++;
    link.close({ condition, description: why });
  }

  container.on('sender_open', (context: EventContext) => {
    const sender = context.sender!;
    const address = (sender.source?.address as string | undefined) ?? '';
    sender.set_source({ address });
    // Mirror the receiver's settle mode: 1 (settled) means receiveAndDelete.
    const local = (sender as unknown as { local: { attach: { snd_settle_mode: number } } }).local;
    local.attach.snd_settle_mode =
      (sender as unknown as { remote: { attach: { snd_settle_mode: number } } }).remote.attach
        .snd_settle_mode ?? 0;
    if (address === CBS) return;
    const target = resolve(address);
    if (!target) return refuseLink(sender, `no entity ${String(address)}`, 'amqp:not-found');
    if (!isAuthorised(context.connection, address)) return refuseLink(sender, 'no token for this entity');
    (target.dead ? target.queue.deadLinks : target.queue.links).add(sender);
    stats.receiveLinks++;
    pump(target.queue);
  });

  container.on('receiver_open', (context: EventContext) => {
    const receiver = context.receiver!;
    const address = (receiver.target?.address as string | undefined) ?? '';
    receiver.set_target({ address });
    (
      receiver as unknown as { local: { attach: { max_message_size: number } } }
    ).local.attach.max_message_size = 256 * 1024;
    if (address === CBS) return;
    const target = resolve(address);
    if (!target || target.dead)
      return refuseLink(receiver, `cannot send to ${String(address)}`, 'amqp:not-found');
    if (!isAuthorised(context.connection, address)) return refuseLink(receiver, 'no token for this entity');
    stats.sendLinks++;
  });

  container.on('connection_open', () => {
    stats.connectionsOpened++;
  });

  container.on('message', (context: EventContext) => {
    const message = context.message!;
    const address = context.receiver?.target?.address as string | undefined;
    if (address === CBS) {
      answerCbs(context, message);
      return;
    }
    const target = resolve(address);
    if (!target) return;
    const queue = target.queue;
    const id = message.message_id === undefined ? undefined : String(message.message_id);
    const now = Date.now();
    if (id !== undefined) {
      for (const [seenId, at] of queue.seen) {
        if (now - at < duplicateWindowMs) break;
        queue.seen.delete(seenId);
      }
      // Accepted (rhea's autoaccept) and dropped, as duplicate detection does.
      if (queue.seen.has(id)) return;
      queue.seen.set(id, now);
    }
    const { delivery_count: _ignored, ...rest } = message;
    queue.available.push({
      message: rest as Message,
      deliveryCount: 0,
      sequenceNumber: ++sequence,
      enqueuedAt: new Date(now),
    });
    pump(queue);
  });

  container.on('sendable', (context: EventContext) => {
    const target = resolve(context.sender?.source?.address as string | undefined);
    if (target) pump(target.queue);
  });

  // A receiver that stops asks the broker to use up its credit (drain): answer at once, sending
  // nothing more, so the client's stop does not wait for its drain timeout.
  container.on('sender_draining', (context: EventContext) => {
    context.sender?.set_drained(true);
  });

  container.on('accepted', (context: EventContext) => settle(context, 'accepted'));
  container.on('released', (context: EventContext) => settle(context, 'abandoned'));
  container.on('modified', (context: EventContext) => settle(context, 'abandoned'));
  container.on('rejected', (context: EventContext) => settle(context, 'rejected'));

  const detach = (context: EventContext) => {
    const sender = context.sender;
    if (!sender) return;
    for (const queue of queues.values()) {
      queue.links.delete(sender);
      queue.deadLinks.delete(sender);
    }
    releaseLocksOf(sender);
  };
  container.on('sender_close', detach);
  const dropConnection = (context: EventContext) => {
    for (const [, lock] of locks) {
      if (lock.sender.connection === context.connection) detach({ ...context, sender: lock.sender });
    }
    for (const queue of queues.values()) {
      for (const s of [...queue.links, ...queue.deadLinks]) {
        if (s.connection === context.connection) {
          queue.links.delete(s);
          queue.deadLinks.delete(s);
        }
      }
    }
  };
  container.on('connection_close', dropConnection);
  container.on('disconnected', dropConnection);
  // A client error must not take the test process down.
  container.on('error', () => {});

  const server: Server = container.listen({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolveListen, reject) => {
    server.once('listening', resolveListen);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const view = (s: Stored): BrokerMessage => {
    const props = (s.message.application_properties ?? {}) as Record<string, unknown>;
    return {
      messageId: s.message.message_id === undefined ? undefined : String(s.message.message_id),
      body: readBody(s.message.body),
      deliveryCount: s.deliveryCount,
      ...(typeof props.DeadLetterReason === 'string' ? { deadLetterReason: props.DeadLetterReason } : {}),
      ...(typeof props.DeadLetterErrorDescription === 'string'
        ? { deadLetterErrorDescription: props.DeadLetterErrorDescription }
        : {}),
    };
  };

  return {
    port,
    connectionString: `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${keyName};SharedAccessKey=${key};UseDevelopmentEmulator=true`,
    messages(queue) {
      const q = queues.get(queue.toLowerCase());
      if (!q) return [];
      const locked = [...locks.values()].filter((l) => l.queue === q).map((l) => l.stored);
      return [...locked, ...q.available].sort((a, b) => a.sequenceNumber - b.sequenceNumber).map(view);
    },
    deadLetters(queue) {
      return (queues.get(queue.toLowerCase())?.dead ?? []).map(view);
    },
    stats,
    async stop() {
      for (const lock of locks.values()) clearTimeout(lock.timer);
      locks.clear();
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        // Connections still open would keep close() waiting.
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function isDraining(sender: Sender): boolean {
  return (sender as unknown as { _draining?: boolean })._draining === true;
}

function readBody(body: unknown): unknown {
  const content = (body as { content?: unknown } | undefined)?.content;
  const bytes = Buffer.isBuffer(content) ? content : Buffer.isBuffer(body) ? body : undefined;
  if (!bytes) return body;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return bytes;
  }
}
