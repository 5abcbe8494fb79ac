import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../cli/dev/cosmos-emulator.js';
import type { AuditEvent, RequestEvent } from '../../shared/audit/event.js';
import type { AuditFilter, AuditStore } from '../../shared/store/audit-store.js';
import { CosmosAuditStore } from '../../shared/store/cosmos-audit-store.js';
import { createCosmosClient, ensureContainers } from '../../shared/store/cosmos-client.js';
import { MemoryAuditStore } from '../support/memory-audit-store.js';

/** Search by table, fingerprint and approval id, paged, on every audit store adapter. */

function request(i: number, extra: Partial<RequestEvent> = {}): RequestEvent {
  const requestId = `r-${String(i).padStart(3, '0')}`;
  return {
    kind: 'request',
    id: `${requestId}:0`,
    requestId,
    seq: 0,
    time: new Date(Date.UTC(2026, 11, 1, 12, 0, i)).toISOString(),
    principal: { id: 'agent-1', kind: 'agent', groups: [], roles: [] },
    transport: 'rest',
    connection: 'demo',
    action: 'query',
    statement: 'select id from public.customers where id = $1',
    fingerprint: i % 2 === 0 ? 'fp-even' : 'fp-odd',
    facts: {
      effect: 'read',
      statementCount: 1,
      tables: i % 3 === 0 ? ['public.orders', 'public.customers'] : ['public.customers'],
      selectStar: false,
      hasWhere: true,
      limit: null,
      estimatedRows: 1,
    },
    decision: { outcome: 'allow', policyIds: ['p'], reasons: [] },
    status: 200,
    errorCode: null,
    rowsReturned: 1,
    truncated: false,
    masking: null,
    purpose: null,
    durationMs: 1,
    ...extra,
  };
}

/** A request held for approval, and the approval's own events under the same id. */
function approvalEvents(): AuditEvent[] {
  const asked = request(90, { status: 202, approvalRequestId: 'r-090', fingerprint: 'fp-bulk' });
  const base = { requestId: 'r-090', principal: null, transport: 'queue' as const, connection: 'demo' };
  return [
    asked,
    {
      ...base,
      kind: 'approval.decision',
      id: 'r-090:2',
      seq: 2,
      time: '2026-12-01T12:05:00.000Z',
      action: 'approval.decide',
      decisionId: 'd1',
      vote: 'approve',
      applied: true,
      statusAfter: 'approved',
    },
    {
      ...base,
      kind: 'result.released',
      id: 'r-090:4',
      seq: 4,
      time: '2026-12-01T12:06:00.000Z',
      action: 'requests.result',
      rows: 10,
      cells: 20,
      bytes: 300,
      digest: 'ab'.repeat(32),
    },
  ];
}

async function all(store: AuditStore, filter: AuditFilter, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let continuation: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await store.search(filter, { limit, ...(continuation ? { continuation } : {}) });
    ids.push(...page.records.map((r) => r.id));
    continuation = page.continuation;
    if (!continuation) return ids;
  }
  throw new Error('paging did not end');
}

function suite(name: string, make: () => Promise<{ store: AuditStore; cleanup(): Promise<void> }>) {
  describe(`audit search filters (${name})`, () => {
    let store: AuditStore;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ store, cleanup } = await make());
      for (let i = 0; i < 12; i++) await store.append(request(i));
      for (const e of approvalEvents()) await store.append(e);
    });
    after(async () => cleanup());

    it('by table, paged with continuation tokens, newest first', async () => {
      const ids = await all(store, { table: 'public.orders' }, 2);
      assert.deepEqual(ids, ['r-090:0', 'r-009:0', 'r-006:0', 'r-003:0', 'r-000:0']);
      assert.deepEqual(await all(store, { table: 'public.nothing' }, 5), []);
    });

    it('by fingerprint, combined with other filters', async () => {
      const ids = await all(store, { fingerprint: 'fp-odd', table: 'public.orders' }, 10);
      assert.deepEqual(ids, ['r-009:0', 'r-003:0']);
      assert.equal((await all(store, { fingerprint: 'fp-even' }, 3)).length, 6);
    });

    it('by approval request id: the request that asked and every event of the approval', async () => {
      const ids = await all(store, { approvalRequestId: 'r-090' }, 10);
      assert.deepEqual(ids.sort(), ['r-090:0', 'r-090:2', 'r-090:4']);
    });

    it('a token continues only the search it was issued for', async () => {
      const first = await store.search({ table: 'public.customers' }, { limit: 2 });
      assert.ok(first.continuation);
      await assert.rejects(
        store.search({ table: 'public.orders' }, { limit: 2, continuation: first.continuation }),
        (e: Error & { code?: string }) => e.code === 'bad_request',
      );
      await assert.rejects(
        store.search({ fingerprint: 'fp-odd' }, { limit: 2, continuation: first.continuation }),
        (e: Error & { code?: string }) => e.code === 'bad_request',
      );
    });

    it('refuses an empty or oversized filter value', async () => {
      for (const filter of [{ table: '' }, { fingerprint: 'x'.repeat(5000) }, { approvalRequestId: '' }]) {
        await assert.rejects(store.search(filter, { limit: 5 }), (e: Error & { code?: string }) => {
          return e.code === 'bad_request';
        });
      }
    });
  });
}

suite('memory', async () => ({ store: new MemoryAuditStore(), cleanup: async () => {} }));

describe('on the in-process Cosmos emulator', () => {
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
  suite('Cosmos emulator', async () => {
    const database = await ensureContainers(client, `search-${randomUUID()}`);
    return {
      store: new CosmosAuditStore(database.container('audit')),
      cleanup: async () => {
        await database.delete();
      },
    };
  });
});
