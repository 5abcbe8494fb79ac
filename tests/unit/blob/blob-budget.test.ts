import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_FILES_CONNECTION } from '../../../cli/dev/demo-files.js';
import { demoConfig } from '../../../cli/dev/host.js';
import { BudgetLedger } from '../../../shared/budget/index.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { budgetKey, tableBudgetScope } from '../../../shared/pipeline/release.js';
import { type BlobFixture, blobFixture, principal, start } from '../../support/blob-fixture.js';
import { MemoryBudgetStore } from '../../support/memory-budget-store.js';

/** Byte budgets per agent on a blob connection (Azurite; the budget store is the test adapter). */
let fx: BlobFixture;
const agent = principal('agent', 'budget-agent');
const human = principal('human', 'budget-human');

before(async () => {
  fx = await blobFixture(
    { budget: { bytes: 4000, windowSeconds: 3600 } },
    { budgets: new MemoryBudgetStore() },
  );
});
after(async () => {
  await fx.stop();
});

const read = (who = agent) =>
  fx.gateway.useCases.readBlob(start(), who, {
    connection: 'demo-files',
    path: 'demo-files/exports/customers.csv',
    maxRows: 3,
  });

describe('blob byte budgets', () => {
  it("the local host's customers export spends the customers table's own budget", () => {
    // Red-team rounds 14 and 16: the export holds the table's people; without a budget, and
    // then with one of its own, it was a way around the table's.
    const files = demoConfig().blobConnections?.find((c) => c.id === 'demo-files');
    assert.deepEqual(files?.tableBudgets, {
      'exports/customers.csv': { connection: 'demo', table: 'public.customers' },
    });
    assert.ok(files?.budget !== undefined, 'and a budget of its own for every file');
  });

  it("a read of the export spends the SQL table's budget, under the key the table's own reads use", async () => {
    const store = new MemoryBudgetStore();
    const table = { rows: 100, bytes: 1_000_000, windowSeconds: 3600 };
    const shared = await blobFixture(
      { tableBudgets: { 'exports/customers.csv': { connection: 'demo', table: 'public.customers' } } },
      { budgets: store, demo: { tableBudgets: { 'public.customers': table } } },
    );
    try {
      const who = principal('agent', 'shared-budget-agent');
      const readCsv = (as: typeof who) =>
        shared.gateway.useCases.readBlob(start(), as, {
          connection: 'demo-files',
          path: 'demo-files/exports/customers.csv',
          maxRows: 5,
        });
      // Another agent, with the table's budget untouched, reads the export.
      const fresh = await readCsv(principal('agent', 'fresh-agent'));
      assert.equal(fresh.kind, 'allowed', JSON.stringify(fresh));
      // This one's SQL reads spent all 100 of the table's rows (the SQL path's key, same store).
      const sqlConn = parseConfig({
        connections: [
          {
            id: 'demo',
            engine: 'postgres',
            environment: 'prod',
            target: 'embedded-demo',
            tableBudgets: { 'public.customers': table },
          },
        ],
      }).connections[0];
      assert.ok(sqlConn);
      const ledger = new BudgetLedger(store, { now: () => new Date() });
      const key = budgetKey(who, tableBudgetScope(sqlConn), 'public.customers');
      assert.ok((await ledger.spend(key, { rows: 100, bytes: 0 }, table)).ok);
      const held = await readCsv(who);
      assert.equal(held.kind, 'pending', JSON.stringify(held));
      assert.deepEqual((await shared.requests.get(held.requestId))?.value.policyIds, ['gateway-budget']);
      // Files that hold no table's rows spend only the connection's budget (none here).
      const events = await shared.gateway.useCases.readBlob(start(), who, {
        connection: 'demo-files',
        path: 'demo-files/events/2026-12-01.ndjson',
        maxRows: 5,
      });
      assert.equal(events.kind, 'allowed');
    } finally {
      await shared.stop();
    }
  });

  it('a blob table budget naming no such SQL table budget is a config error', () => {
    assert.throws(
      () =>
        parseConfig({
          connections: [
            { id: 'demo', engine: 'postgres', environment: 'prod', target: 'embedded-demo' },
            {
              ...DEMO_FILES_CONNECTION,
              tableBudgets: { 'exports/*.csv': { connection: 'demo', table: 'public.customers' } },
            },
          ],
        }),
      /no SQL connection demo with a table budget for public\.customers/,
    );
  });

  it('releases reads until the window is spent, then sends the next to approval with nothing released', async () => {
    // Released bytes per read, as audited; the budget takes exactly those.
    const released: number[] = [];
    let o = await read();
    while (o.kind === 'allowed' && released.length < 50) {
      const event = fx.audit.all().find((e) => e.requestId === o.requestId);
      released.push(event?.bytesReturned ?? 0);
      o = await read();
    }
    const total = released.reduce((a, b) => a + b, 0);
    assert.ok(released.length >= 2, `released ${released.length} reads`);
    assert.ok(total <= 4000 && total + (released[0] ?? 0) > 4000, `released ${total} bytes in all`);
    assert.equal(o.kind, 'pending', JSON.stringify(o));
    assert.ok(!('value' in o), 'nothing released');
    const stored = (await fx.requests.get(o.requestId))?.value;
    assert.deepEqual(stored?.policyIds, ['gateway-budget']);
    assert.equal(stored?.approverGroup, 'data-owners');
    const event = fx.audit.all().find((e) => e.requestId === o.requestId);
    assert.equal(event?.rowsReturned, 0);
    assert.deepEqual(event?.decision.policyIds, ['gateway-budget']);
  });

  it('does not budget people', async () => {
    for (let i = 0; i < 8; i++) assert.equal((await read(human)).kind, 'allowed');
  });
});
