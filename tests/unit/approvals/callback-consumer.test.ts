import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditRecord } from '../../../shared/audit/record.js';
import { createCallbackPorts } from '../../../shared/callbacks/ports.js';
import { verifyCallback } from '../../../shared/callbacks/signature.js';
import type { CallbackAttempt, CallbackSender } from '../../../shared/ports/callback.js';
import { UnretryableMessageError } from '../../../shared/ports/queue.js';
import type { WorkflowDeps } from '../../../shared/use-cases/approval-workflow.js';
import { deliverCallback } from '../../../shared/use-cases/callbacks.js';
import { MemoryAuditStore } from '../../support/memory-audit-store.js';
import { bob, world } from './world.js';

const KEY = 'consumer-test-callback-key-0123456789';

/** A sender that records what it was asked to POST and answers as told (a stand-in for the receiver). */
class RecordingSender implements CallbackSender {
  readonly posts: Array<{ url: string; body: string; headers: Record<string, string> }> = [];
  answer: CallbackAttempt = { kind: 'delivered', status: 204 };
  async post(url: URL, body: string, headers: Readonly<Record<string, string>>): Promise<CallbackAttempt> {
    this.posts.push({ url: url.toString(), body, headers: { ...headers } });
    return this.answer;
  }
}

function setup(allowedHosts = ['hooks.example.com']) {
  const w = world();
  const sender = new RecordingSender();
  const pauses: number[] = [];
  const audit = new MemoryAuditStore();
  const callbacks = createCallbackPorts({
    config: { allowedHosts, allowedPorts: [443] },
    key: KEY,
    allowLoopback: false,
    publicUrl: (p) => `https://gw.example.com${p}`,
    sender,
    sleep: async (ms) => {
      pauses.push(ms);
    },
  });
  // Only what the consumer touches: the request store, the callbacks, the clock and the audit.
  const deps = {
    approvals: { requests: w.requests, callbacks },
    now: w.now,
    audit,
    log: () => {},
  } as unknown as WorkflowDeps;
  const callbackEvents = () =>
    audit
      .events()
      .filter((e: AuditRecord) => e.kind === 'approval.notified')
      .map((e) => e as AuditRecord & { ok: boolean; reason?: string; attempts: number });
  return { w, sender, pauses, deps, callbackEvents };
}

async function deniedRequest(w: ReturnType<typeof world>, callbackUrl = 'https://hooks.example.com/cb?t=1') {
  const request = await w.create({ callbackUrl });
  await w.decide(request.id, bob, 'deny');
  return request.id;
}

describe('callbacks consumer', () => {
  test('posts the signed notice of a finished request once, and audits it', async () => {
    const { w, sender, deps, callbackEvents } = setup();
    const id = await deniedRequest(w);
    await deliverCallback(
      deps,
      { messageId: `callback:${id}`, body: { requestId: id }, deliveryCount: 1 },
      5,
    );
    assert.equal(sender.posts.length, 1);
    const [post] = sender.posts;
    assert.equal(post?.url, 'https://hooks.example.com/cb?t=1');
    const notice = JSON.parse(post?.body ?? '{}');
    assert.deepEqual(
      { requestId: notice.requestId, status: notice.status, resultUrl: notice.resultUrl },
      { requestId: id, status: 'denied', resultUrl: null },
    );
    assert.equal(notice.statusUrl, `https://gw.example.com/api/v1/requests/${id}`);
    const verified = verifyCallback({
      key: KEY,
      body: post?.body ?? '',
      signature: post?.headers['x-agentgate-signature'],
      timestamp: post?.headers['x-agentgate-timestamp'],
      nowSeconds: Math.floor(w.now().getTime() / 1000),
    });
    assert.equal(verified, true);
    assert.deepEqual(
      callbackEvents().map((e) => [e.ok, e.attempts, e.reason]),
      [[true, 1, undefined]],
    );
  });

  test('retryable failures pause with backoff and are redelivered; the last one is dead-lettered', async () => {
    const { w, sender, pauses, deps, callbackEvents } = setup();
    const id = await deniedRequest(w);
    sender.answer = { kind: 'retry', reason: 'http_503' };
    for (const n of [1, 2, 3, 4]) {
      await assert.rejects(
        deliverCallback(deps, { messageId: 'm', body: { requestId: id }, deliveryCount: n }, 5),
        (e: unknown) => !(e instanceof UnretryableMessageError),
      );
    }
    await assert.rejects(
      deliverCallback(deps, { messageId: 'm', body: { requestId: id }, deliveryCount: 5 }, 5),
      UnretryableMessageError,
    );
    assert.deepEqual(pauses, [1000, 2000, 4000, 8000], 'exponential backoff, none after the last');
    const reasons = callbackEvents().map((e) => e.reason);
    assert.equal(reasons.length, 5, 'every attempt audited');
    assert.deepEqual(
      [...reasons].sort(),
      [
        'retry:http_503',
        'retry:http_503',
        'retry:http_503',
        'retry:http_503',
        'retry:http_503;dead-lettered',
      ],
      'only the last attempt is dead-lettered',
    );
  });

  test('a host taken off the allowlist gets nothing: refused, audited, dead-lettered', async () => {
    const first = setup();
    const id = await deniedRequest(first.w);
    const later = setup(['other.example.com']);
    // The same stored request, read by a gateway whose allowlist changed since.
    const deps = {
      ...later.deps,
      approvals: { ...later.deps.approvals, requests: first.w.requests },
    } as WorkflowDeps;
    await assert.rejects(
      deliverCallback(deps, { messageId: 'm', body: { requestId: id }, deliveryCount: 1 }, 5),
      UnretryableMessageError,
    );
    assert.equal(later.sender.posts.length, 0);
  });

  test('nothing is sent for a pending request, one without a callback URL, or an unknown id', async () => {
    const { w, sender, deps } = setup();
    const pending = await w.create({ callbackUrl: 'https://hooks.example.com/cb' });
    const plain = await w.create();
    await w.decide(plain.id, bob, 'deny');
    for (const requestId of [pending.id, plain.id, 'no-such-request']) {
      await deliverCallback(deps, { messageId: 'm', body: { requestId }, deliveryCount: 1 }, 5);
    }
    assert.equal(sender.posts.length, 0);
    await assert.rejects(
      deliverCallback(deps, { messageId: 'm', body: {}, deliveryCount: 1 }, 5),
      UnretryableMessageError,
    );
  });
});
