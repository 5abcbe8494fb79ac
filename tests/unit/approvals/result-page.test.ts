import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodePageToken, fetchResultPage, type MaskedBatchSink } from '../../../shared/approvals/index.js';
import { isGatewayError } from '../../../shared/errors.js';
import { bob, reportBot, world } from './world.js';

/**
 * Paging a stored result: pages follow their continuation tokens to the end, each released
 * under its own audit event; a token for another result, a rewritten one or garbage is
 * bad_request, and anyone but the requester learns nothing (not_found).
 */

const ROWS = 2500;
const COLUMNS = [
  { name: 'id', type: 'int4' },
  { name: 'email', type: 'text' },
];

async function completed(w: ReturnType<typeof world>, rows = ROWS) {
  w.executeDeps.streamAndMask = async (_: unknown, sink: MaskedBatchSink) => {
    await sink.begin(COLUMNS);
    for (let i = 0; i < rows; i += 1000) {
      await sink.rows(Array.from({ length: Math.min(1000, rows - i) }, (_, k) => [i + k, `${i + k}@x.test`]));
    }
    return { truncated: false, masking: { columns: {}, cellsMasked: 0, byClass: {} } };
  };
  const request = await w.create({ maxRows: 10_000 });
  await w.decide(request.id, bob, 'approve');
  const outcome = await w.execute(request.id);
  assert.equal(outcome.kind, 'completed');
  return request;
}

const deps = (w: ReturnType<typeof world>) => ({ requests: w.requests, results: w.results, now: w.now });
const badRequest = (e: unknown) => isGatewayError(e) && e.code === 'bad_request';

describe('fetchResultPage', () => {
  it('first, middle and last pages follow the tokens, each page audited with its offset', async () => {
    const w = world();
    const request = await completed(w);
    const ids: number[] = [];
    const offsets: number[] = [];
    let continuation: string | undefined;
    let pages = 0;
    do {
      const page = await fetchResultPage(deps(w), request.id, reportBot, {
        limit: 1000,
        ...(continuation ? { continuation } : {}),
      });
      assert.equal(page.kind, 'released');
      if (page.kind !== 'released') return;
      for (const row of page.page.rows) ids.push(Number(row[0]));
      offsets.push(page.event.offset ?? -1);
      assert.equal(page.event.rows, page.page.rows.length);
      assert.equal(page.page.rowCount, ROWS);
      continuation = page.continuation;
      pages++;
    } while (continuation !== undefined);
    assert.equal(pages, 3);
    assert.deepEqual(offsets, [0, 1000, 2000]);
    assert.deepEqual(
      ids,
      Array.from({ length: ROWS }, (_, i) => i),
    );
  });

  it('a page ending exactly at the last row gives no further token', async () => {
    const w = world();
    const request = await completed(w, 2000);
    const first = await fetchResultPage(deps(w), request.id, reportBot, { limit: 1000 });
    assert.ok(first.kind === 'released' && first.continuation);
    const last = await fetchResultPage(deps(w), request.id, reportBot, { continuation: first.continuation });
    assert.equal(last.kind === 'released' && last.page.rows.length, 1000);
    assert.equal(last.kind === 'released' && last.continuation, undefined);
  });

  it('refuses a token of another result, a rewritten token, and garbage', async () => {
    const w = world();
    const mine = await completed(w);
    const other = await completed(w);
    const foreign = await fetchResultPage(deps(w), other.id, reportBot, { limit: 10 });
    assert.ok(foreign.kind === 'released' && foreign.continuation);
    await assert.rejects(
      fetchResultPage(deps(w), mine.id, reportBot, { continuation: foreign.continuation }),
      badRequest,
    );
    const page = await fetchResultPage(deps(w), mine.id, reportBot, { limit: 10 });
    assert.ok(page.kind === 'released' && page.continuation);
    const token = JSON.parse(Buffer.from(page.continuation, 'base64url').toString('utf8'));
    const rewrite = (change: Record<string, unknown>) =>
      Buffer.from(JSON.stringify({ ...token, ...change }), 'utf8').toString('base64url');
    for (const bad of [
      rewrite({ d: '0'.repeat(16) }),
      rewrite({ o: -5 }),
      rewrite({ o: 1.5 }),
      rewrite({ o: ROWS }),
      rewrite({ r: 'result-999' }),
      'not a token!',
      Buffer.from('[1,2]').toString('base64url'),
      'x'.repeat(600),
    ]) {
      await assert.rejects(
        fetchResultPage(deps(w), mine.id, reportBot, { continuation: bad }),
        badRequest,
        bad,
      );
    }
    // Rewritten to a forged digest of the right length but computed by nobody: still refused.
    const forged = encodePageToken({ id: page.page.id, digest: 'f'.repeat(64) }, 10);
    await assert.rejects(fetchResultPage(deps(w), mine.id, reportBot, { continuation: forged }), badRequest);
  });

  it('anyone but the requester is told not_found, with or without a token', async () => {
    const w = world();
    const request = await completed(w);
    const page = await fetchResultPage(deps(w), request.id, reportBot, { limit: 10 });
    assert.ok(page.kind === 'released' && page.continuation);
    for (const caller of [
      bob,
      { ...reportBot, issuer: 'https://elsewhere.test/' },
      { ...reportBot, id: 'agent-9' },
    ]) {
      assert.equal((await fetchResultPage(deps(w), request.id, caller, { limit: 10 })).kind, 'not_found');
      assert.equal(
        (await fetchResultPage(deps(w), request.id, caller, { continuation: page.continuation })).kind,
        'not_found',
      );
    }
  });

  it('past its TTL a result has no pages', async () => {
    const w = world();
    const request = await completed(w);
    w.advance(3600_000);
    assert.equal((await fetchResultPage(deps(w), request.id, reportBot, { limit: 10 })).kind, 'not_found');
  });
});
