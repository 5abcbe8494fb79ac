import { InProcessQueue } from '../../shared/queue/in-process-queue.js';
import { runQueueContract } from './queue.contract.js';

runQueueContract('InProcessQueue', async () => {
  const queue = new InProcessQueue({ retryBaseMs: 5, retryMaxMs: 20 });
  return { queue, deadLetters: async (q) => queue.deadLetters(q), cleanup: async () => {} };
});
