import { describe } from 'node:test';
import { InProcessQueue } from '../../shared/queue/in-process-queue.js';
import { ServiceBusQueue } from '../../shared/queue/service-bus-queue.js';
import { startAmqpTestBroker } from '../support/amqp-test-broker.js';
import { runQueueContract } from './queue.contract.js';

runQueueContract('InProcessQueue', async () => {
  const queue = new InProcessQueue({ retryBaseMs: 5, retryMaxMs: 20 });
  return {
    queue,
    deadLetters: async (q) =>
      queue.deadLetters(q).map((d) => ({ messageId: d.messageId, body: d.body, reason: d.reason })),
    cleanup: async () => {},
  };
});

describe('ServiceBusQueue through the real @azure/service-bus client over AMQP', () => {
  runQueueContract('ServiceBusQueue (test broker)', async () => {
    const broker = await startAmqpTestBroker();
    const queue = new ServiceBusQueue(
      { connectionString: broker.connectionString },
      { retryBaseMs: 5, retryMaxMs: 20, sdkRetries: 0 },
    );
    return {
      queue,
      deadLetters: async (q) =>
        broker
          .deadLetters(q)
          .map((d) => ({ messageId: d.messageId ?? '', body: d.body, reason: d.deadLetterReason })),
      cleanup: () => broker.stop(),
    };
  });
});
