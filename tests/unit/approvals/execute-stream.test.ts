import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MaskedBatchSink, StreamedRun } from '../../../shared/approvals/index.js';
import { digestOf } from '../../../shared/audit/result-digest.js';
import { GatewayError } from '../../../shared/errors.js';
import type { ResultOpening, ResultWriter } from '../../../shared/ports/result-store.js';
import { MemoryResultStore } from '../../support/memory-result-store.js';
import { bob, world } from './world.js';

/**
 * executeApproved with a streamed run: masked batches go into the result store's writer as
 * they come; a failure part-way (the target's or the store's) aborts the writer, so nothing
 * partial is ever readable, and the failure is in the audit trail.
 */

const COLUMNS = [
  { name: 'id', type: 'int4' },
  { name: 'email', type: 'text' },
];
const MASKING = { columns: { email: 'pii.email' }, cellsMasked: 0, byClass: {} };

/** A store that counts what its writers were asked to do and can fail the nth append. */
class WatchedStore extends MemoryResultStore {
  appends = 0;
  aborted = 0;
  committed = 0;
  failAppend: number | undefined;
  override open(opening: ResultOpening): ResultWriter {
    const inner = super.open(opening);
    return {
      append: async (rows) => {
        this.appends++;
        if (this.appends === this.failAppend) throw new GatewayError('store_unavailable', 'down');
        await inner.append(rows);
      },
      commit: async (closing) => {
        this.committed++;
        return inner.commit(closing);
      },
      abort: async () => {
        this.aborted++;
        await inner.abort();
      },
    };
  }
}

const batch = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => [from + i, `${from + i}@example.com`]);

/** A run that hands `sizes` batches to the sink, then fails with `failWith` if given. */
function streamer(sizes: number[], failWith?: Error, truncated = false) {
  return async (_: unknown, sink: MaskedBatchSink): Promise<StreamedRun> => {
    await sink.begin(COLUMNS);
    let next = 1;
    for (const n of sizes) {
      await sink.rows(batch(next, n));
      next += n;
    }
    if (failWith) throw failWith;
    return { truncated, masking: MASKING };
  };
}

async function approvedIn(w: ReturnType<typeof world>, maxRows = 1000) {
  const request = await w.create({ maxRows });
  await w.decide(request.id, bob, 'approve');
  return request;
}

describe('executeApproved, streamed', () => {
  it('stores every batch in order and names the result by the digest of all of them', async () => {
    const store = new WatchedStore();
    const w = world({ results: store });
    w.executeDeps.streamAndMask = streamer([400, 400, 150]);
    const request = await approvedIn(w);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind, 'completed');
    if (outcome.kind !== 'completed') return;
    assert.equal(store.appends, 3);
    assert.equal(outcome.result.rowCount, 950);
    assert.equal(outcome.result.rows, undefined, 'a streamed result is not held');
    const stored = await store.get(outcome.result.id, w.now());
    assert.deepEqual(stored?.rows, batch(1, 950));
    assert.equal(stored?.digest, digestOf({ columns: COLUMNS, rows: batch(1, 950) }));
    assert.equal(outcome.result.digest, stored?.digest);
    const executed = outcome.events.find((e) => e.kind === 'statement.executed');
    assert.equal(executed?.kind === 'statement.executed' && executed.rows, 950);
  });

  it('a target failure part-way aborts the writer, stores nothing, and is audited', async () => {
    const store = new WatchedStore();
    const w = world({ results: store });
    w.executeDeps.streamAndMask = streamer([100, 100], new GatewayError('query_failed', 'division by zero'));
    const request = await approvedIn(w);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'query_failed');
    assert.equal(store.aborted, 1);
    assert.equal(store.committed, 0);
    const current = await w.requests.get(request.id);
    assert.equal(current?.value.status, 'failed');
    assert.equal(current?.value.resultId, undefined);
    const executed = outcome.events.find((e) => e.kind === 'statement.executed');
    assert.equal(executed?.kind === 'statement.executed' && executed.errorCode, 'query_failed');
    assert.deepEqual(
      outcome.events
        .filter((e) => e.kind === 'request.transition')
        .map((e) => e.kind === 'request.transition' && e.to),
      ['executing', 'failed'],
    );
  });

  it('a store failure part-way is result_store_unavailable, the writer aborted', async () => {
    const store = new WatchedStore();
    store.failAppend = 2;
    const w = world({ results: store });
    w.executeDeps.streamAndMask = streamer([100, 100, 100]);
    const request = await approvedIn(w);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'result_store_unavailable');
    assert.equal(store.aborted, 1);
    assert.equal(store.committed, 0);
  });

  it('a run that never begins fails without a writer to abort', async () => {
    const store = new WatchedStore();
    const w = world({ results: store });
    w.executeDeps.streamAndMask = async () => {
      throw new GatewayError('target_unavailable', 'gone');
    };
    const request = await approvedIn(w);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'target_unavailable');
    assert.equal(store.aborted, 0);
  });

  it('a stage that ignores the cap stores no more than the approved rows, marked truncated', async () => {
    const store = new WatchedStore();
    const w = world({ results: store });
    w.executeDeps.streamAndMask = streamer([3, 3]);
    const request = await approvedIn(w, 4);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind, 'completed');
    if (outcome.kind !== 'completed') return;
    const stored = await store.get(outcome.result.id, w.now());
    assert.deepEqual(stored?.rows, batch(1, 4));
    assert.equal(stored?.truncated, true);
  });

  it('an empty streamed result is stored, with its columns', async () => {
    const store = new WatchedStore();
    const w = world({ results: store });
    w.executeDeps.streamAndMask = streamer([0]);
    const request = await approvedIn(w);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind, 'completed');
    if (outcome.kind !== 'completed') return;
    const stored = await store.get(outcome.result.id, w.now());
    assert.deepEqual(stored?.rows, []);
    assert.deepEqual(stored?.columns, COLUMNS);
  });
});
