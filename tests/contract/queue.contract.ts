import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type IncomingMessage,
  type Queue,
  type QueueName,
  UnretryableMessageError,
} from '../../shared/ports/queue.js';

export interface QueueFixture {
  queue: Queue;
  /** What the adapter dead-lettered on `queue`, read from the broker itself. */
  deadLetters(queue: QueueName): Promise<Array<{ messageId: string; body: unknown; reason?: string }>>;
  cleanup(): Promise<void>;
}

const REQUESTS: QueueName = 'approval-requests';
const DECISIONS: QueueName = 'approval-decisions';
/** A case waits at most this long for a delivery; a healthy run takes milliseconds. */
const WAIT_MS = 5_000;
/** How long "nothing more arrives" is watched for. */
const QUIET_MS = 300;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Records deliveries and lets a case wait until `n` have arrived. */
function recorder(behaviour: (m: IncomingMessage) => Promise<void> = async () => {}) {
  const seen: IncomingMessage[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const handler = async (m: IncomingMessage) => {
    seen.push(m);
    for (const w of waiters.filter((x) => seen.length >= x.n)) w.resolve();
    await behaviour(m);
  };
  const waitFor = (n: number) =>
    new Promise<void>((resolve, reject) => {
      if (seen.length >= n) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`waited for ${n} deliveries, got ${seen.length}`)),
        WAIT_MS,
      );
      waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  return { seen, handler, waitFor };
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** One suite for every adapter of the queue port. */
export function runQueueContract(name: string, make: () => Promise<QueueFixture>): void {
  describe(`queue contract: ${name}`, () => {
    async function withFixture(body: (f: QueueFixture) => Promise<void>): Promise<void> {
      const f = await make();
      try {
        await body(f);
      } finally {
        await f.queue.close().catch(() => {});
        await f.cleanup();
      }
    }

    it('delivers a message sent before the consumer starts, with its id, body and a first delivery count of 1', () =>
      withFixture(async ({ queue }) => {
        await queue.send(REQUESTS, {
          messageId: 'req-1',
          body: { requestId: 'req-1', n: 1, nested: { a: [1, 'x'] } },
        });
        const r = recorder();
        queue.consume(REQUESTS, r.handler);
        await r.waitFor(1);
        assert.equal(r.seen[0].messageId, 'req-1');
        assert.deepEqual(r.seen[0].body, { requestId: 'req-1', n: 1, nested: { a: [1, 'x'] } });
        assert.equal(r.seen[0].deliveryCount, 1);
      }));

    it('delivers messages sent while a consumer runs, only to the consumer of that queue', () =>
      withFixture(async ({ queue }) => {
        const requests = recorder();
        const decisions = recorder();
        queue.consume(REQUESTS, requests.handler);
        queue.consume(DECISIONS, decisions.handler);
        for (let i = 0; i < 10; i++) await queue.send(REQUESTS, { messageId: `r-${i}`, body: { i } });
        await queue.send(DECISIONS, { messageId: 'd-1', body: { decision: 'approve' } });
        await requests.waitFor(10);
        await decisions.waitFor(1);
        await sleep(QUIET_MS);
        assert.deepEqual(
          new Set(requests.seen.map((m) => m.messageId)),
          new Set(Array.from({ length: 10 }, (_, i) => `r-${i}`)),
        );
        assert.deepEqual(
          decisions.seen.map((m) => m.messageId),
          ['d-1'],
        );
      }));

    it('delivers a message again after the handler rejects, with the delivery count raised, and not after it succeeds', () =>
      withFixture(async (f) => {
        const r = recorder(async (m) => {
          if (m.deliveryCount < 3) throw new Error('transient');
        });
        f.queue.consume(REQUESTS, r.handler, { maxDeliveries: 5 });
        await f.queue.send(REQUESTS, { messageId: 'flaky', body: { v: 1 } });
        await r.waitFor(3);
        await sleep(QUIET_MS);
        assert.deepEqual(
          r.seen.map((m) => [m.messageId, m.deliveryCount]),
          [
            ['flaky', 1],
            ['flaky', 2],
            ['flaky', 3],
          ],
        );
        assert.deepEqual(r.seen[2].body, { v: 1 });
        assert.deepEqual(await f.deadLetters(REQUESTS), []);
      }));

    it('dead-letters a message after maxDeliveries failed deliveries, keeping its id and body', () =>
      withFixture(async (f) => {
        const r = recorder(async () => {
          throw new Error('always fails');
        });
        f.queue.consume(REQUESTS, r.handler, { maxDeliveries: 3 });
        await f.queue.send(REQUESTS, { messageId: 'poison', body: { requestId: 'poison' } });
        await r.waitFor(3);
        await eventually(async () => (await f.deadLetters(REQUESTS)).length === 1, 'the dead letter');
        await sleep(QUIET_MS);
        assert.deepEqual(
          r.seen.map((m) => m.deliveryCount),
          [1, 2, 3],
        );
        const dead = await f.deadLetters(REQUESTS);
        assert.equal(dead.length, 1);
        assert.equal(dead[0].messageId, 'poison');
        assert.deepEqual(dead[0].body, { requestId: 'poison' });
        assert.deepEqual(await f.deadLetters(DECISIONS), []);
      }));

    it('dead-letters at once a message whose handler says trying again cannot help', () =>
      withFixture(async (f) => {
        const r = recorder(async () => {
          throw new UnretryableMessageError('no Teams webhook for approver group "hr"');
        });
        f.queue.consume(REQUESTS, r.handler, { maxDeliveries: 5 });
        await f.queue.send(REQUESTS, { messageId: 'hopeless', body: { requestId: 'hopeless' } });
        await eventually(async () => (await f.deadLetters(REQUESTS)).length === 1, 'the dead letter');
        await sleep(QUIET_MS);
        assert.equal(r.seen.length, 1);
        const [dead] = await f.deadLetters(REQUESTS);
        assert.equal(dead.messageId, 'hopeless');
        assert.equal(dead.reason, 'Unretryable');
      }));

    it('drops a second message with the same id (duplicate detection), keeping the first body', () =>
      withFixture(async ({ queue }) => {
        await queue.send(DECISIONS, { messageId: 'decision-7', body: { decision: 'approve' } });
        await queue.send(DECISIONS, { messageId: 'decision-7', body: { decision: 'deny' } });
        await queue.send(DECISIONS, { messageId: 'decision-8', body: { decision: 'deny' } });
        const r = recorder();
        queue.consume(DECISIONS, r.handler);
        await r.waitFor(2);
        await sleep(QUIET_MS);
        assert.equal(r.seen.length, 2);
        const byId = new Map(r.seen.map((m) => [m.messageId, m.body]));
        assert.deepEqual(byId.get('decision-7'), { decision: 'approve' });
        assert.deepEqual(byId.get('decision-8'), { decision: 'deny' });
      }));

    it('refuses a message without an id or with an id longer than 128 characters', () =>
      withFixture(async ({ queue }) => {
        await assert.rejects(queue.send(REQUESTS, { messageId: '', body: {} }), TypeError);
        await assert.rejects(queue.send(REQUESTS, { messageId: 'x'.repeat(129), body: {} }), TypeError);
      }));

    it('a closed consumer waits for its running handler and takes nothing more', () =>
      withFixture(async ({ queue }) => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let finished = false;
        const r = recorder(async () => {
          await gate;
          finished = true;
        });
        const consumer = queue.consume(REQUESTS, r.handler);
        await queue.send(REQUESTS, { messageId: 'slow', body: {} });
        await r.waitFor(1);
        let closed = false;
        const closing = consumer.close().then(() => {
          closed = true;
        });
        await sleep(50);
        assert.equal(closed, false, 'close resolved while the handler still ran');
        release();
        await closing;
        assert.equal(finished, true);
        await queue.send(REQUESTS, { messageId: 'after-close', body: {} });
        await sleep(QUIET_MS);
        assert.deepEqual(
          r.seen.map((m) => m.messageId),
          ['slow'],
        );
        // The message is still there for the next consumer, and the completed one is not.
        const next = recorder();
        queue.consume(REQUESTS, next.handler);
        await next.waitFor(1);
        await sleep(QUIET_MS);
        assert.deepEqual(
          next.seen.map((m) => m.messageId),
          ['after-close'],
        );
      }));

    it('refuses to send once the queue is closed', () =>
      withFixture(async ({ queue }) => {
        await queue.close();
        await assert.rejects(queue.send(REQUESTS, { messageId: 'late', body: {} }));
      }));
  });
}
