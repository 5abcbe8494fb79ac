import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fetchResult } from '../../../shared/approvals/index.js';
import { isGatewayError } from '../../../shared/errors.js';
import { MemoryResultStore } from '../../support/memory-result-store.js';
import { alice, bob, MASKED, reportBot, world } from './world.js';

async function completed(w: ReturnType<typeof world>) {
  const request = await w.create();
  await w.decide(request.id, bob, 'approve');
  const outcome = await w.execute(request.id);
  assert.equal(outcome.kind, 'completed');
  return request;
}

describe('fetchResult', () => {
  it('releases the masked result to the requester with the event to record first', async () => {
    const w = world();
    const request = await completed(w);
    const deps = { requests: w.requests, results: w.results, now: w.now };
    const outcome = await fetchResult(deps, request.id, reportBot);
    assert.equal(outcome.kind, 'released');
    if (outcome.kind !== 'released') return;
    assert.deepEqual(outcome.result.rows, MASKED.rows);
    assert.equal(outcome.event.kind, 'result.released');
    assert.equal(outcome.event.rows, 3);
    assert.equal(outcome.event.cells, 6);
    assert.equal(outcome.event.digest, outcome.result.digest);
    assert.equal(outcome.event.bytes, Buffer.byteLength(JSON.stringify(MASKED.rows)));
    // A second fetch is a second release with its own event id.
    const again = await fetchResult(deps, request.id, reportBot);
    assert.ok(again.kind === 'released' && again.event.id !== outcome.event.id);
  });

  it('answers not_found to anyone but the requester, including the human the agent acts for', async () => {
    const w = world();
    const request = await completed(w);
    const deps = { requests: w.requests, results: w.results, now: w.now };
    for (const caller of [
      bob,
      alice,
      { ...reportBot, issuer: 'https://evil.test/' },
      { ...reportBot, issuer: undefined },
      // The same agent acting for another person, or on its own, or a person with its id
      // (red-team round 24): not the party that asked.
      { ...reportBot, onBehalfOf: { id: 'bob' } },
      (({ onBehalfOf: _, ...own }) => own)(reportBot),
      { ...reportBot, kind: 'human' as const, onBehalfOf: undefined },
    ]) {
      assert.deepEqual(await fetchResult(deps, request.id, caller), { kind: 'not_found' });
    }
    assert.deepEqual(await fetchResult(deps, 'req-none', reportBot), { kind: 'not_found' });
  });

  it('answers not_ready with the status before completion', async () => {
    const w = world();
    const request = await w.create();
    const deps = { requests: w.requests, results: w.results, now: w.now };
    assert.deepEqual(await fetchResult(deps, request.id, reportBot), {
      kind: 'not_ready',
      status: 'pending',
    });
  });

  it('answers not_found from the TTL on, and releases up to a moment before', async () => {
    const w = world();
    const request = await completed(w);
    const deps = { requests: w.requests, results: w.results, now: w.now };
    w.advance(3600_000 - 1);
    assert.equal((await fetchResult(deps, request.id, reportBot)).kind, 'released');
    w.advance(1);
    assert.deepEqual(await fetchResult(deps, request.id, reportBot), { kind: 'not_found' });
  });

  it('refuses to release a result whose rows were altered in the store', async () => {
    const results = new MemoryResultStore();
    const w = world({ results });
    const request = await completed(w);
    const resultId = (await w.requests.get(request.id))!.value.resultId!;
    results.tamper(resultId, (r) => {
      r.rows[0] = [1, 'clear@example.com'];
    });
    await assert.rejects(
      fetchResult({ requests: w.requests, results, now: w.now }, request.id, reportBot),
      (e) => isGatewayError(e) && e.code === 'internal',
    );
  });
});
