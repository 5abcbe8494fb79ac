import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalSha256 } from '../../shared/audit/canonical.js';
import type { RequestStore, StoredRequest } from '../../shared/ports/request-store.js';

export interface RequestStoreFixture {
  store: RequestStore;
  cleanup(): Promise<void>;
}

const BASE = Date.UTC(2026, 0, 5, 9, 0, 0);

/** A complete pending request; `n` spaces creation times a minute apart. */
/** Ids a URL parser reads as `.` or `..` path segments, and the empty id. */
export const DOT_IDS = ['.', '..', '...', '%2e%2e', '.%2E', '.\t.', '.\n.', ''];

export function storedRequest(n: number, overrides: Partial<StoredRequest> = {}): StoredRequest {
  const statement = `SELECT id, email FROM public.customers WHERE region = $1 -- ${n}`;
  const params = ['emea'];
  const createdAt = new Date(BASE + n * 60_000).toISOString();
  return {
    id: `apr-${n}`,
    status: 'pending',
    createdAt,
    updatedAt: createdAt,
    expiresAt: new Date(BASE + n * 60_000 + 30 * 60_000).toISOString(),
    connection: 'sales',
    statement,
    params,
    statementSha256: createHash('sha256').update(statement, 'utf8').digest('hex'),
    paramsSha256: canonicalSha256(params),
    fingerprint: `fp-${n}`,
    requester: { id: 'agent-1', kind: 'agent', issuer: 'https://issuer.test', groups: [], roles: [] },
    purpose: 'quarterly report',
    approverGroup: 'data-approvers',
    quorum: 1,
    maxRows: 1000,
    estimatedRows: 50_000,
    tables: ['public.customers'],
    policyIds: ['bulk-read'],
    reasons: ['bulk reads need approval'],
    policySetDigest: 'a'.repeat(64),
    votes: [],
    auditSeq: 2,
    ...overrides,
  };
}

/** The behaviour every RequestStore adapter must have; run against memory and Cosmos. */
export function runRequestStoreContract(name: string, setup: () => Promise<RequestStoreFixture>): void {
  describe(`RequestStore contract: ${name}`, () => {
    async function withStore(body: (store: RequestStore) => Promise<void>): Promise<void> {
      const fixture = await setup();
      try {
        await body(fixture.store);
      } finally {
        await fixture.cleanup();
      }
    }

    it('creates a request and reads back exactly what was stored, with an etag', () =>
      withStore(async (store) => {
        const request = storedRequest(1);
        const created = await store.create(request);
        assert.equal(created.ok, true);
        const read = await store.get(request.id);
        assert.ok(read);
        assert.deepEqual(read.value, request);
        assert.equal(typeof read.etag, 'string');
        assert.ok(read.etag.length > 0);
        if (created.ok) assert.equal(created.value.etag, read.etag);
      }));

    it('answers null for an unknown id', () =>
      withStore(async (store) => {
        assert.equal(await store.get('apr-nope'), null);
        // Ids no store could hold (Cosmos DB refuses these characters): nothing, not an error.
        for (const id of ['a/b', 'a\\b', 'a?b#c', '\ud800']) assert.equal(await store.get(id), null, id);
        // Dot segments, however written, name no item: not the container, not every item
        // (red-team round 24: `..` read the container's definition, `.` all of its items).
        assert.equal((await store.create(storedRequest(7))).ok, true);
        for (const id of DOT_IDS) assert.equal(await store.get(id), null, JSON.stringify(id));
      }));

    it('refuses a second create with the same id and keeps the first', () =>
      withStore(async (store) => {
        await store.create(storedRequest(1));
        const again = await store.create(storedRequest(1, { statement: 'SELECT 2' }));
        assert.deepEqual(again, { ok: false, reason: 'conflict' });
        assert.equal((await store.get('apr-1'))?.value.statement, storedRequest(1).statement);
      }));

    it('replaces with the current etag and issues a new one', () =>
      withStore(async (store) => {
        await store.create(storedRequest(1));
        const read = (await store.get('apr-1'))!;
        const written = await store.replace({ ...read.value, status: 'approved' }, read.etag);
        assert.equal(written.ok, true);
        if (!written.ok) return;
        assert.notEqual(written.value.etag, read.etag);
        assert.equal(written.value.value.status, 'approved');
        assert.equal((await store.get('apr-1'))?.value.status, 'approved');
      }));

    it('refuses a replace with a stale etag and leaves the stored value alone', () =>
      withStore(async (store) => {
        await store.create(storedRequest(1));
        const first = (await store.get('apr-1'))!;
        const won = await store.replace({ ...first.value, status: 'approved' }, first.etag);
        assert.equal(won.ok, true);
        const lost = await store.replace({ ...first.value, status: 'denied' }, first.etag);
        assert.deepEqual(lost, { ok: false, reason: 'conflict' });
        assert.equal((await store.get('apr-1'))?.value.status, 'approved');
      }));

    it('answers missing to a replace of a request that does not exist', () =>
      withStore(async (store) => {
        const read = await store.replace(storedRequest(9), '"nope"');
        assert.deepEqual(read, { ok: false, reason: 'missing' });
      }));

    it('lets exactly one of 50 concurrent replaces with the same etag win', () =>
      withStore(async (store) => {
        await store.create(storedRequest(1));
        const read = (await store.get('apr-1'))!;
        const outcomes = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.replace({ ...read.value, status: 'executing', fingerprint: `winner-${i}` }, read.etag),
          ),
        );
        const winners = outcomes.filter((o) => o.ok);
        assert.equal(winners.length, 1);
        assert.ok(outcomes.every((o) => o.ok || o.reason === 'conflict'));
        const stored = (await store.get('apr-1'))!;
        assert.equal(stored.value.fingerprint, winners[0]?.ok ? winners[0].value.value.fingerprint : '');
      }));

    it('lists one status, oldest first, up to the limit', () =>
      withStore(async (store) => {
        // Created out of order, so insertion order is not the answer.
        for (const n of [4, 1, 3, 2, 5]) await store.create(storedRequest(n));
        const approved = (await store.get('apr-3'))!;
        await store.replace({ ...approved.value, status: 'approved' }, approved.etag);
        const pending = await store.list({ status: 'pending', limit: 10 });
        assert.deepEqual(
          pending.map((r) => r.id),
          ['apr-1', 'apr-2', 'apr-4', 'apr-5'],
        );
        const firstTwo = await store.list({ status: 'pending', limit: 2 });
        assert.deepEqual(
          firstTwo.map((r) => r.id),
          ['apr-1', 'apr-2'],
        );
        assert.deepEqual(
          (await store.list({ status: 'approved', limit: 10 })).map((r) => r.id),
          ['apr-3'],
        );
        assert.deepEqual(await store.list({ status: 'failed', limit: 10 }), []);
      }));

    it("lists one requester's requests: same issuer and id, nobody else's", () =>
      withStore(async (store) => {
        const by = (n: number, id: string, issuer = 'https://issuer.test') => {
          const r = storedRequest(n);
          return { ...r, requester: { ...r.requester, id, issuer } };
        };
        await store.create(by(1, 'agent-1'));
        await store.create(by(2, 'agent-2'));
        await store.create(by(3, 'agent-1', 'https://other.test'));
        await store.create(by(4, 'agent-1'));
        const agent1 = { issuer: 'https://issuer.test', id: 'agent-1' };
        const ids = async (status: 'pending' | 'approved', limit: number) =>
          (await store.list({ status, limit, requester: agent1 })).map((r) => r.id);
        assert.deepEqual(await ids('pending', 10), ['apr-1', 'apr-4']);
        assert.deepEqual(await ids('pending', 1), ['apr-1']);
        assert.deepEqual(await ids('approved', 10), []);
      }));

    it('hands out copies: changing a returned value changes nothing stored', () =>
      withStore(async (store) => {
        await store.create(storedRequest(1));
        const read = (await store.get('apr-1'))!;
        read.value.votes.push({ approver: { id: 'x' }, decision: 'approve', at: 'now', decisionId: 'd' });
        assert.deepEqual((await store.get('apr-1'))?.value.votes, []);
      }));
  });
}
