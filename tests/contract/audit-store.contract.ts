import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRecord, RequestEvent } from '../../shared/audit/record.js';
import { isGatewayError } from '../../shared/errors.js';
import type { AuditFilter, AuditStore } from '../../shared/store/audit-store.js';

export interface AuditStoreFixture {
  store: AuditStore;
  cleanup(): Promise<void>;
}

const BASE = Date.UTC(2024, 4, 31, 23, 50, 0);

/** A full record; `minute` spaces records so that newest-first order is unambiguous. */
export function auditRecord(n: number, overrides: Partial<RequestEvent> = {}): RequestEvent {
  return {
    id: `req-${n}`,
    requestId: `req-${n}`,
    seq: 0,
    transport: 'rest',
    kind: 'request',
    // Straddles midnight UTC so records fall into more than one day partition.
    time: new Date(BASE + n * 60_000).toISOString(),
    principal: {
      id: n % 2 === 0 ? 'agent-even' : 'agent-odd',
      kind: 'agent',
      appId: 'app-1',
      groups: ['g1'],
      roles: ['reader'],
    },
    connection: n % 3 === 0 ? 'sales' : 'hr',
    action: 'query',
    statement: `SELECT ${n}`,
    fingerprint: `fp-${n}`,
    facts: {
      effect: 'read',
      statementCount: 1,
      tables: ['public.t'],
      selectStar: false,
      hasWhere: true,
      limit: null,
      estimatedRows: 3,
    },
    decision: { outcome: n % 4 === 0 ? 'deny' : 'allow', policyIds: ['p1'], reasons: [] },
    status: n % 4 === 0 ? 403 : 200,
    errorCode: null,
    rowsReturned: n,
    truncated: false,
    masking: { columns: { email: 'email' }, cellsMasked: 2, byClass: { email: 2 } },
    purpose: null,
    durationMs: 5,
    ...overrides,
  };
}

async function searchAll(store: AuditStore, filter: AuditFilter, limit = 200): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let continuation: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await store.search(filter, continuation === undefined ? { limit } : { limit, continuation });
    out.push(...page.records);
    continuation = page.continuation;
    if (continuation === undefined) return out;
  }
  throw new Error('paging did not end');
}

const ids = (records: AuditRecord[]) => records.map((r) => r.id);

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => isGatewayError(e) && e.code === code);
}

/** One suite, every AuditStore adapter: the port's behaviour is defined here, not per adapter. */
export function runAuditStoreContract(name: string, makeStore: () => Promise<AuditStoreFixture>): void {
  describe(`AuditStore contract: ${name}`, () => {
    async function withStore(body: (store: AuditStore) => Promise<void>): Promise<void> {
      const { store, cleanup } = await makeStore();
      try {
        await body(store);
      } finally {
        await cleanup();
      }
    }

    async function seeded(count: number, body: (store: AuditStore, all: AuditRecord[]) => Promise<void>) {
      await withStore(async (store) => {
        const all = Array.from({ length: count }, (_, i) => auditRecord(i));
        for (const r of all) await store.append(r);
        await body(store, all);
      });
    }

    const newestFirst = (records: AuditRecord[]) => [...records].sort((a, b) => b.time.localeCompare(a.time));

    it('finds an appended record, round-tripped exactly without storage fields', () =>
      withStore(async (store) => {
        const record = auditRecord(1, { principal: null, facts: null, masking: null, connection: null });
        const rich = auditRecord(2);
        await store.append(record);
        await store.append(rich);
        const page = await store.search({}, { limit: 10 });
        assert.deepEqual(page.records, [rich, record]);
        assert.equal(page.continuation, undefined);
      }));

    it('returns newest first', () =>
      withStore(async (store) => {
        const records = [auditRecord(5), auditRecord(1), auditRecord(9), auditRecord(3)];
        for (const r of records) await store.append(r);
        assert.deepEqual(ids((await store.search({}, { limit: 10 })).records), [
          'req-9',
          'req-5',
          'req-3',
          'req-1',
        ]);
      }));

    it('filters by principal, connection and decision, alone and combined', () =>
      seeded(12, async (store, all) => {
        const expect = (pred: (r: AuditRecord) => boolean) => ids(newestFirst(all.filter(pred)));
        assert.deepEqual(
          ids(await searchAll(store, { principal: 'agent-even' })),
          expect((r) => r.principal?.id === 'agent-even'),
        );
        assert.deepEqual(
          ids(await searchAll(store, { connection: 'sales' })),
          expect((r) => r.connection === 'sales'),
        );
        const denied = await searchAll(store, { decision: 'deny' });
        assert.deepEqual(ids(denied), ['req-8', 'req-4', 'req-0']);
        assert.deepEqual(
          ids(await searchAll(store, { principal: 'agent-even', connection: 'sales', decision: 'deny' })),
          ['req-0'],
        );
        assert.deepEqual(ids(await searchAll(store, { principal: 'agent-odd', decision: 'deny' })), []);
      }));

    it('treats from as inclusive and to as exclusive', () =>
      seeded(10, async (store, all) => {
        const from = all[3]!.time;
        const to = all[7]!.time;
        assert.deepEqual(ids(await searchAll(store, { from })), [
          'req-9',
          'req-8',
          'req-7',
          'req-6',
          'req-5',
          'req-4',
          'req-3',
        ]);
        assert.deepEqual(ids(await searchAll(store, { to })), [
          'req-6',
          'req-5',
          'req-4',
          'req-3',
          'req-2',
          'req-1',
          'req-0',
        ]);
        assert.deepEqual(ids(await searchAll(store, { from, to })), ['req-6', 'req-5', 'req-4', 'req-3']);
        assert.deepEqual(ids(await searchAll(store, { from, to, connection: 'sales' })), ['req-6', 'req-3']);
        assert.deepEqual(ids(await searchAll(store, { from: to, to: from })), []);
      }));

    it('pages through 25 records, each exactly once, in order, no continuation at the end', () =>
      seeded(25, async (store, all) => {
        for (const limit of [4, 5, 25]) {
          const pages: AuditRecord[][] = [];
          let continuation: string | undefined;
          do {
            const page = await store.search(
              {},
              continuation === undefined ? { limit } : { limit, continuation },
            );
            assert.ok(page.records.length <= limit, `page larger than ${limit}`);
            assert.ok(page.records.length > 0, 'empty page');
            pages.push(page.records);
            continuation = page.continuation;
          } while (continuation !== undefined && pages.length < 30);
          assert.equal(continuation, undefined);
          assert.equal(pages.length, Math.ceil(25 / limit));
          assert.deepEqual(ids(pages.flat()), ids(newestFirst(all)));
        }
      }));

    it('pages a filtered search', () =>
      seeded(25, async (store, all) => {
        const even = newestFirst(all.filter((r) => r.principal?.id === 'agent-even'));
        assert.deepEqual(ids(await searchAll(store, { principal: 'agent-even' }, 3)), ids(even));
      }));

    it('refuses a malformed, forged or foreign continuation token', () =>
      seeded(6, async (store) => {
        await rejectsWith(store.search({}, { limit: 2, continuation: 'not a token!' }), 'bad_request');
        await rejectsWith(store.search({}, { limit: 2, continuation: 'eyJ9' }), 'bad_request');
        await rejectsWith(
          store.search({}, { limit: 2, continuation: Buffer.from('{"a":1}').toString('base64url') }),
          'bad_request',
        );
        const first = await store.search({ principal: 'agent-even' }, { limit: 1 });
        assert.ok(first.continuation);
        // A token continues only the search it came from.
        await rejectsWith(
          store.search({ principal: 'agent-odd' }, { limit: 1, continuation: first.continuation }),
          'bad_request',
        );
      }));

    it('refuses a limit outside 1..200 and malformed filters', () =>
      withStore(async (store) => {
        for (const limit of [0, -1, 201, 1.5, Number.NaN]) {
          await rejectsWith(store.search({}, { limit }), 'bad_request');
        }
        assert.deepEqual((await store.search({}, { limit: 200 })).records, []);
        await rejectsWith(store.search({ from: 'yesterday-ish' }, { limit: 1 }), 'bad_request');
        await rejectsWith(store.search({ decision: 'maybe' as never }, { limit: 1 }), 'bad_request');
      }));

    it('rejects a duplicate id and keeps the first record unchanged', () =>
      withStore(async (store) => {
        const first = auditRecord(1);
        await store.append(first);
        await rejectsWith(
          store.append({ ...first, statement: 'DROP TABLE audit', rowsReturned: 0 }),
          'conflict',
        );
        await rejectsWith(store.append(first), 'conflict');
        assert.deepEqual((await store.search({}, { limit: 10 })).records, [first]);
      }));

    it('treats injection attempts in filter values as plain values', () =>
      seeded(6, async (store) => {
        for (const value of ["x' OR 1=1 --", '" OR true OR "', "agent-even' OR c.id != '", '\\', "%' --"]) {
          assert.deepEqual((await store.search({ principal: value }, { limit: 50 })).records, []);
          assert.deepEqual((await store.search({ connection: value }, { limit: 50 })).records, []);
        }
      }));

    it('stores filter-looking values verbatim', () =>
      withStore(async (store) => {
        const odd = auditRecord(1, { connection: "x' OR 1=1 --" });
        await store.append(odd);
        await store.append(auditRecord(2));
        assert.deepEqual((await store.search({ connection: "x' OR 1=1 --" }, { limit: 5 })).records, [odd]);
      }));

    it('lands 50 concurrent appends', () =>
      withStore(async (store) => {
        const records = Array.from({ length: 50 }, (_, i) => auditRecord(i));
        await Promise.all(records.map((r) => store.append(r)));
        const found = await searchAll(store, {}, 200);
        assert.equal(found.length, 50);
        assert.deepEqual(new Set(ids(found)), new Set(ids(records)));
      }));
  });
}
