import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { InProcessQueue } from '../../../shared/queue/in-process-queue.js';

/** Lets queued microtasks and promise chains run (no timers involved). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('InProcessQueue', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('waits 50, 100, 200 ms (doubling) before delivering a failed message again', async () => {
    const queue = new InProcessQueue();
    const seen: number[] = [];
    queue.consume('approval-requests', async (m) => {
      seen.push(m.deliveryCount);
      throw new Error('no');
    });
    await queue.send('approval-requests', { messageId: 'm', body: {} });
    await flush();
    assert.deepEqual(seen, [1]);
    mock.timers.tick(49);
    await flush();
    assert.deepEqual(seen, [1], 'redelivered before the backoff');
    mock.timers.tick(1);
    await flush();
    assert.deepEqual(seen, [1, 2]);
    mock.timers.tick(99);
    await flush();
    assert.deepEqual(seen, [1, 2]);
    mock.timers.tick(1);
    await flush();
    assert.deepEqual(seen, [1, 2, 3]);
    mock.timers.tick(200);
    await flush();
    mock.timers.tick(400);
    await flush();
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    mock.timers.tick(10_000);
    await flush();
    assert.deepEqual(seen, [1, 2, 3, 4, 5], 'delivered more than the default 5 times');
    const dead = queue.deadLetters('approval-requests');
    assert.equal(dead.length, 1);
    assert.equal(dead[0].deliveryCount, 5);
    await queue.close();
  });

  it('keeps the error class, never the error message, in the dead letter', async () => {
    const queue = new InProcessQueue({ maxDeliveries: 1 });
    queue.consume('approval-decisions', async () => {
      throw new RangeError('row 4: alice@example.com');
    });
    await queue.send('approval-decisions', { messageId: 'm', body: { x: 1 } });
    await flush();
    const [dead] = queue.deadLetters('approval-decisions');
    assert.equal(dead.description, 'RangeError');
    assert.doesNotMatch(JSON.stringify(dead), /alice/);
  });

  it('accepts the same message id again once the duplicate window has passed', async () => {
    let now = 1_000_000;
    const queue = new InProcessQueue({ duplicateWindowMs: 60_000, now: () => now });
    await queue.send('approval-requests', { messageId: 'a', body: {} });
    await queue.send('approval-requests', { messageId: 'a', body: {} });
    assert.equal(queue.depth('approval-requests'), 1);
    now += 59_999;
    await queue.send('approval-requests', { messageId: 'a', body: {} });
    assert.equal(queue.depth('approval-requests'), 1);
    now += 60_001;
    await queue.send('approval-requests', { messageId: 'a', body: {} });
    assert.equal(queue.depth('approval-requests'), 2);
  });

  it('treats the same id on the two queues as two messages', async () => {
    const queue = new InProcessQueue();
    await queue.send('approval-requests', { messageId: 'same', body: {} });
    await queue.send('approval-decisions', { messageId: 'same', body: {} });
    assert.equal(queue.depth('approval-requests'), 1);
    assert.equal(queue.depth('approval-decisions'), 1);
  });

  it('hands each delivery its own copy of the body', async () => {
    const queue = new InProcessQueue();
    const body = { list: [1] };
    const atEntry: string[] = [];
    queue.consume('approval-requests', async (m) => {
      atEntry.push(JSON.stringify(m.body));
      (m.body as { list: number[] }).list.push(99);
      if (m.deliveryCount === 1) throw new Error('again');
    });
    await queue.send('approval-requests', { messageId: 'c', body });
    body.list.push(2);
    await flush();
    mock.timers.tick(50);
    await flush();
    assert.deepEqual(atEntry, ['{"list":[1]}', '{"list":[1]}']);
  });

  it('runs at most `concurrency` handlers at once per consumer', async () => {
    const queue = new InProcessQueue({ concurrency: 2 });
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    queue.consume('approval-requests', async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
    });
    for (let i = 0; i < 5; i++) await queue.send('approval-requests', { messageId: `m${i}`, body: {} });
    await flush();
    assert.equal(running, 2);
    while (gates.length > 0) {
      gates.shift()!();
      await flush();
    }
    await flush();
    assert.equal(peak, 2);
    assert.equal(queue.depth('approval-requests'), 0);
  });

  it('close() cancels pending redeliveries and refuses new consumers', async () => {
    const queue = new InProcessQueue();
    let calls = 0;
    queue.consume('approval-requests', async () => {
      calls++;
      throw new Error('no');
    });
    await queue.send('approval-requests', { messageId: 'm', body: {} });
    await flush();
    await queue.close();
    mock.timers.tick(60_000);
    await flush();
    assert.equal(calls, 1);
    assert.throws(() => queue.consume('approval-requests', async () => {}));
  });

  it('refuses an unknown queue name and a bad maxDeliveries', async () => {
    const queue = new InProcessQueue();
    await assert.rejects(
      queue.send('approval-other' as 'approval-requests', { messageId: 'm', body: {} }),
      TypeError,
    );
    assert.throws(() => queue.consume('approval-requests', async () => {}, { maxDeliveries: 0 }), TypeError);
  });
});
