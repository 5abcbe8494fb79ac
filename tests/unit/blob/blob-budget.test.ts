import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_TABLE_BUDGETS } from '../../../cli/dev/demo-exposure.js';
import { DEMO_FILES_CONNECTION } from '../../../cli/dev/demo-files.js';
import { parseConfig } from '../../../shared/config/connections.js';
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
  it("the demo's customers export spends a budget as tight as the customers table's", () => {
    // Red-team round 14: the export holds the table's people, and had no budget at all.
    const table = DEMO_TABLE_BUDGETS['public.customers'];
    const blob = parseConfig({ connections: [DEMO_FILES_CONNECTION] }).blobConnections?.[0]?.budget;
    assert.ok(blob !== undefined);
    assert.ok(
      blob.rows <= table.rows && blob.bytes <= table.bytes && blob.windowSeconds >= table.windowSeconds,
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
