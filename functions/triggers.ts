import type { InvocationContext, Timer } from '@azure/functions';
import type { Gateway } from '../shared/compose.js';
import { UnretryableMessageError } from '../shared/ports/queue.js';
import type { TriggerDefinition } from '../shared/triggers.js';
import { app } from './sdk.js';

/** The Service Bus connection setting prefix (identity-based: `SERVICEBUS__fullyQualifiedNamespace`). */
export const SERVICE_BUS_CONNECTION = 'SERVICEBUS';

export interface RegisteredTrigger {
  name: string;
  kind: TriggerDefinition['kind'];
  schedule?: string;
  queue?: string;
}

/**
 * Registers the trigger table with the Functions host: timers with `app.timer`, queue
 * consumers with `app.serviceBusQueue`. Handlers resolve the gateway lazily, like routes;
 * a message whose handler throws is abandoned, so Service Bus delivers it again.
 */
export function registerTriggers(
  table: readonly TriggerDefinition[],
  getGateway: () => Promise<Gateway>,
): RegisteredTrigger[] {
  return table.map((t) => {
    if (t.kind === 'timer') {
      app.timer(t.name, {
        schedule: t.schedule,
        handler: async (_timer: Timer) => t.pick((await getGateway()).triggerHandlers)(new Date()),
      });
      return { name: t.name, kind: t.kind, schedule: t.schedule };
    }
    app.serviceBusQueue(t.name, {
      connection: SERVICE_BUS_CONNECTION,
      queueName: t.queue,
      handler: async (message: unknown, ctx: InvocationContext) => {
        // Loaded on the first message: the Service Bus SDK is not needed to start the worker.
        const { fromServiceBusTrigger } = await import('../shared/queue/service-bus-queue.js');
        const incoming = fromServiceBusTrigger(message, ctx.triggerMetadata);
        try {
          await t.pick((await getGateway()).triggerHandlers)(incoming);
        } catch (e) {
          // A trigger cannot dead-letter on its own: a message that can never succeed is
          // logged and completed; anything else is rethrown and Service Bus delivers it again
          // until the queue's maxDeliveryCount dead-letters it.
          if (e instanceof UnretryableMessageError) {
            ctx.error(`agentgate: ${t.name} gave up on message ${incoming.messageId}: ${e.reason}`);
            return;
          }
          throw e;
        }
      },
    });
    return { name: t.name, kind: t.kind, queue: t.queue };
  });
}
