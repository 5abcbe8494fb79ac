import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../../cli/dev/cosmos-emulator.js';
import { expireStale } from '../../../shared/approvals/index.js';
import { GatewayError } from '../../../shared/errors.js';
import { createCosmosClient, ensureContainers } from '../../../shared/store/cosmos-client.js';
import { CosmosRequestStore } from '../../../shared/store/cosmos-request-store.js';
import { CosmosResultStore } from '../../../shared/store/cosmos-result-store.js';
import { MemoryRequestStore } from '../../support/memory-request-store.js';
import { MemoryResultStore } from '../../support/memory-result-store.js';
import { bob, MASKED, world } from './world.js';

async function approved(w: ReturnType<typeof world>) {
  const request = await w.create();
  const outcome = await w.decide(request.id, bob, 'approve');
  assert.equal(outcome.kind === 'applied' && outcome.status, 'approved');
  return request;
}

describe('executeApproved', () => {
  it('runs the approved statement once, stores the masked result and completes', async () => {
    const w = world();
    const request = await approved(w);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind, 'completed');
    if (outcome.kind !== 'completed') return;
    assert.equal(w.runs.length, 1);
    assert.equal(w.runs[0]?.statement, request.statement);
    assert.deepEqual(w.runs[0]?.params, request.params);
    assert.equal(outcome.request.status, 'completed');
    assert.equal(outcome.request.resultId, outcome.result.id);
    assert.deepEqual(outcome.result.rows, MASKED.rows);
    assert.equal(outcome.result.owner.id, request.requester.id);
    // One hour by default.
    assert.equal(Date.parse(outcome.result.expiresAt) - Date.parse(outcome.result.createdAt), 3600_000);
    assert.deepEqual(
      outcome.events.map((e) => [e.kind, e.kind === 'request.transition' ? e.to : e.rows]),
      [
        ['request.transition', 'executing'],
        ['statement.executed', 3],
        ['request.transition', 'completed'],
      ],
    );
  });

  it('gives every audit event of a request a distinct id, in seq order', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'] });
    await w.decide(request.id, bob, 'approve');
    await w.decide(request.id, bob, 'approve');
    await w.decide(request.id, { ...bob, id: 'carol' }, 'approve');
    await w.execute(request.id);
    await w.execute(request.id);
    const ids = w.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(
      ids,
      ids.map((_, i) => `${request.id}:${i + 1}`),
    );
  });

  it('runs nothing for a denied request', async () => {
    const w = world();
    const request = await w.create();
    await w.decide(request.id, bob, 'deny');
    const outcome = await w.execute(request.id);
    assert.deepEqual(outcome, { kind: 'skipped', reason: 'not_approved', events: [] });
    assert.equal(w.runs.length, 0);
    assert.equal(await w.status(request.id), 'denied');
  });

  it('runs nothing for a pending request', async () => {
    const w = world();
    const request = await w.create();
    assert.equal((await w.execute(request.id)).kind, 'skipped');
    assert.equal(w.runs.length, 0);
  });

  it('runs nothing once an approved request has expired, and says expired', async () => {
    const w = world();
    const request = await approved(w);
    w.advance(30 * 60_000);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'skipped' && outcome.reason, 'expired');
    assert.equal(w.runs.length, 0);
    assert.equal(await w.status(request.id), 'expired');
  });

  it('runs nothing when the policies now deny it, and fails with policy_denied', async () => {
    const w = world();
    const request = await approved(w);
    w.redecide = 'deny';
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'policy_denied');
    assert.equal(w.runs.length, 0);
    const stored = (await w.requests.get(request.id))!.value;
    assert.equal(stored.status, 'failed');
    assert.equal(stored.error?.code, 'policy_denied');
  });

  it('runs when the policies now allow it outright', async () => {
    const w = world();
    const request = await approved(w);
    w.redecide = 'allow';
    assert.equal((await w.execute(request.id)).kind, 'completed');
    assert.equal(w.runs.length, 1);
  });

  it('refuses a stored statement altered after approval', async () => {
    const requests = new MemoryRequestStore();
    const w = world({ requests });
    const request = await approved(w);
    requests.tamper(request.id, (r) => {
      r.statement = 'SELECT id, email, ssn FROM public.customers WHERE region = $1';
    });
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'statement_altered');
    assert.equal(w.runs.length, 0);
  });

  it('refuses stored parameters altered after approval', async () => {
    const requests = new MemoryRequestStore();
    const w = world({ requests });
    const request = await approved(w);
    requests.tamper(request.id, (r) => {
      r.params = ["emea' OR '1'='1"];
    });
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'statement_altered');
    assert.equal(w.runs.length, 0);
  });

  it('refuses a statement whose fingerprint no longer matches', async () => {
    const w = world();
    const request = await approved(w);
    w.fingerprint = '0'.repeat(64);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'statement_altered');
    assert.equal(w.runs.length, 0);
  });

  it('fails with the stage error code when the run fails, and stores no result', async () => {
    const results = new MemoryResultStore();
    const w = world({ results });
    const request = await approved(w);
    w.rows = async () => {
      throw new GatewayError('query_timeout', 'The query timed out.');
    };
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'query_timeout');
    assert.equal(outcome.kind === 'failed' && outcome.request.resultId, undefined);
    assert.deepEqual(
      outcome.events.map((e) => e.kind),
      ['request.transition', 'statement.executed', 'request.transition'],
    );
  });

  it('fails when the result cannot be stored, and keeps nothing half-released', async () => {
    const results = new MemoryResultStore();
    results.unavailable = true;
    const w = world({ results });
    const request = await approved(w);
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'failed' && outcome.code, 'result_store_unavailable');
    assert.equal(await w.status(request.id), 'failed');
  });

  it('cuts rows beyond the approved cap even if the stage did not', async () => {
    const w = world();
    const request = await w.create({ maxRows: 2 });
    await w.decide(request.id, bob, 'approve');
    const outcome = await w.execute(request.id);
    assert.equal(outcome.kind === 'completed' && outcome.result.rows?.length, 2);
    assert.equal(outcome.kind === 'completed' && outcome.result.truncated, true);
  });

  it('50 concurrent executions of one approved request run it exactly once', async () => {
    const w = world();
    const request = await approved(w);
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => w.execute(request.id)));
    assert.equal(w.runs.length, 1);
    assert.equal(outcomes.filter((o) => o.kind === 'completed').length, 1);
    assert.equal(outcomes.filter((o) => o.kind === 'skipped').length, 49);
    assert.equal(await w.status(request.id), 'completed');
  });
});

describe('expireStale', () => {
  it('expires stale pending and approved requests, leaves fresh ones, and nothing runs', async () => {
    const w = world();
    const stalePending = await w.create();
    const staleApproved = await approved(w);
    w.advance(20 * 60_000);
    const fresh = await w.create();
    w.advance(10 * 60_000);
    const report = await expireStale({ requests: w.requests, now: w.now });
    assert.deepEqual(report.expired.sort(), [stalePending.id, staleApproved.id].sort());
    assert.equal(await w.status(stalePending.id), 'expired');
    assert.equal(await w.status(staleApproved.id), 'expired');
    assert.equal(await w.status(fresh.id), 'pending');
    assert.ok(report.events.every((e) => e.to === 'expired' && e.transport === 'timer'));
    assert.equal((await w.execute(staleApproved.id)).kind, 'skipped');
    assert.equal(w.runs.length, 0);
  });

  it('fails an execution that has hung past the stale bound', async () => {
    const w = world();
    const request = await approved(w);
    let release: (() => void) | undefined;
    w.rows = () =>
      new Promise((resolve) => {
        release = () => resolve(structuredClone(MASKED));
      });
    const running = w.execute(request.id);
    while (release === undefined) await new Promise((r) => setImmediate(r));
    w.advance(15 * 60_000);
    const report = await expireStale({ requests: w.requests, now: w.now });
    assert.deepEqual(report.interrupted, [request.id]);
    release();
    const outcome = await running;
    assert.equal(outcome.kind === 'failed' && outcome.code, 'interrupted');
    assert.equal(await w.status(request.id), 'failed');
  });
});

describe('executeApproved on the Cosmos adapters (in-process emulator)', () => {
  let emulator: CosmosEmulator;
  let client: CosmosClient;

  before(async () => {
    emulator = await startCosmosEmulator();
    client = createCosmosClient({ endpoint: emulator.endpoint, key: emulator.key, allowSelfSigned: true });
  });

  after(async () => {
    client.dispose();
    await emulator.stop();
  });

  it('50 concurrent executions of one approved request run it exactly once', async () => {
    const database = await ensureContainers(client, `approvals-${randomUUID()}`);
    try {
      const w = world({
        requests: new CosmosRequestStore(database.container('requests')),
        results: new CosmosResultStore(database.container('results')),
      });
      const request = await approved(w);
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => w.execute(request.id)));
      assert.equal(w.runs.length, 1);
      assert.equal(outcomes.filter((o) => o.kind === 'completed').length, 1);
      assert.equal(await w.status(request.id), 'completed');
    } finally {
      await database.delete();
    }
  });
});
