import type { MessageHandler, QueueName } from './ports/queue.js';

/**
 * What the composed gateway offers to triggers: one entry per scheduled or queued job. It
 * grows as capabilities land (the approval consumers and the expiry timer, the audit
 * checkpoint timer).
 */
export type TriggerHandlers = Record<string, never>;

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

export const TRIGGER_TABLE: readonly TriggerDefinition[] = [];
