import type { MessageHandler, QueueName } from './ports/queue.js';

/**
 * What the composed gateway offers to triggers: one entry per scheduled or queued job. It
 * grows as capabilities land (the approval consumers and the expiry timer, the audit
 * checkpoint timer).
 */
export interface TriggerHandlers {
  notifyApprovers?: MessageHandler;
  applyDecisions?: MessageHandler;
  expireApprovals?: (now: Date) => Promise<void>;
  deliverCallbacks?: MessageHandler;
  sealAuditCheckpoint?: (now: Date) => Promise<void>;
  verifyAuditWindow?: (now: Date) => Promise<void>;
}

/** A trigger whose capability is not configured: a message cannot be handled, so it is retried. */
function missing(name: string): never {
  throw new Error(`agentgate: ${name} is not configured on this gateway`);
}

/** Deliveries of a callback notice before it is dead-lettered: the maxDeliveryCount of the Service Bus queues. */
export const CALLBACK_MAX_DELIVERIES = 5;

/** Deliveries of an approval message before it goes to the dead-letter queue. */
export const APPROVAL_MAX_DELIVERIES = 5;

/**
 * Every non-HTTP entry point of the gateway, in one declarative table beside the route
 * table. The rows are static (names, schedules, queues) because the Functions host needs
 * them at load, before any setting is read; the handler is picked from the composed gateway
 * when the trigger fires. The Functions entry registers timers with `app.timer` and
 * consumers with `app.serviceBusQueue`; the local host runs the same rows (timers on
 * intervals, consumers on the in-process queue).
 */
export type TriggerDefinition =
  | {
      name: string;
      kind: 'timer';
      /** NCRONTAB (six fields, seconds first) for Azure Functions. */
      schedule: string;
      /** The same period for the local host's interval. */
      everyMs: number;
      pick: (handlers: TriggerHandlers) => (now: Date) => Promise<void>;
    }
  | {
      name: string;
      kind: 'queue';
      queue: QueueName;
      /** Deliveries after which the message is dead-lettered. */
      maxDeliveries: number;
      pick: (handlers: TriggerHandlers) => MessageHandler;
    };

export const TRIGGER_TABLE: readonly TriggerDefinition[] = [
  {
    name: 'notifyApprovers',
    kind: 'queue',
    queue: 'approval-requests',
    maxDeliveries: APPROVAL_MAX_DELIVERIES,
    pick: (h) => h.notifyApprovers ?? (() => missing('the approval workflow')),
  },
  {
    name: 'applyDecisions',
    kind: 'queue',
    queue: 'approval-decisions',
    maxDeliveries: APPROVAL_MAX_DELIVERIES,
    pick: (h) => h.applyDecisions ?? (() => missing('the approval workflow')),
  },
  {
    name: 'deliverCallbacks',
    kind: 'queue',
    queue: 'callbacks',
    maxDeliveries: CALLBACK_MAX_DELIVERIES,
    pick: (h) => h.deliverCallbacks ?? (() => missing('callbacks')),
  },
  {
    name: 'expireApprovals',
    kind: 'timer',
    schedule: '0 * * * * *',
    everyMs: 60_000,
    pick: (h) => h.expireApprovals ?? (async () => {}),
  },
  {
    name: 'sealAuditCheckpoint',
    kind: 'timer',
    schedule: '30 * * * * *',
    everyMs: 60_000,
    pick: (h) => h.sealAuditCheckpoint ?? (async () => {}),
  },
  {
    // Ticks every minute; a run happens when AGENTGATE_AUDIT_VERIFY_MINUTES (default 15) have
    // passed since the last completed one, so a run the store interrupted is retried a minute on.
    name: 'verifyAuditWindow',
    kind: 'timer',
    schedule: '45 * * * * *',
    everyMs: 60_000,
    pick: (h) => h.verifyAuditWindow ?? (async () => {}),
  },
];
