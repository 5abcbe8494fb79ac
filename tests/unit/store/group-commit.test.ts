import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Container, CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../../cli/dev/cosmos-emulator.js';
import { GatewayError } from '../../../shared/errors.js';
import { CosmosAuditStore } from '../../../shared/store/cosmos-audit-store.js';
import { createCosmosClient, ensureContainers } from '../../../shared/store/cosmos-client.js';
import { type BatchItemResult, type GroupWriter, groupCommit } from '../../../shared/store/group-commit.js';
import { auditRecord } from '../../contract/audit-store.contract.js';

/** A writer that holds every write until released, and says what it was asked. */
function heldWriter(answer: (items: number[]) => BatchItemResult[] | Error = (i) => i.map(() => 'ok')) {
  const calls: Array<{ kind: 'one' | 'many'; items: number[] }> = [];
  const gates: Array<() => void> = [];
  const hold = () => new Promise<void>((resolve) => gates.push(resolve));
  const writer: GroupWriter<number> = {
    async one(item) {
      calls.push({ kind: 'one', items: [item] });
      await hold();
      if (item < 0) throw new Error('store down');
    },
    async many(items) {
      calls.push({ kind: 'many', items });
      await hold();
      const a = answer(items);
      if (a instanceof Error) throw a;
      return a;
    },
    groupOf: (item) => (item >= 1000 ? 'tomorrow' : 'today'),
    conflict: () => new GatewayError('conflict', 'taken'),
  };
  const releaseAll = async () => {
    while (gates.length > 0) {
      (gates.shift() as () => void)();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { writer, calls, releaseAll };
}

describe('group commit', () => {
  test('alone, an append goes at once, by itself', async () => {
    const { writer, calls, releaseAll } = heldWriter();
    const append = groupCommit(writer);
    const done = append(1);
    assert.deepEqual(calls, [{ kind: 'one', items: [1] }]);
    await releaseAll();
    await done;
  });

  test('a lone append is never measured; an item the writer cannot place fails its own append only', async () => {
    const { writer, calls, releaseAll } = heldWriter();
    const measured: number[] = [];
    const append = groupCommit(
      {
        ...writer,
        sizeOf: (item) => {
          measured.push(item);
          return 1;
        },
        groupOf: (item) => {
          if (item === 13) throw new TypeError('no day');
          return writer.groupOf(item);
        },
      },
      { maxInFlight: 1 },
    );
    const first = append(1);
    assert.deepEqual(measured, [], 'alone, its size is not needed');
    await assert.rejects(append(13), TypeError);
    const rest = [append(2), append(3)];
    await releaseAll();
    await Promise.all([first, ...rest]);
    assert.deepEqual(calls, [
      { kind: 'one', items: [1] },
      { kind: 'many', items: [2, 3] },
    ]);
    assert.deepEqual(measured.sort(), [2, 3]);
  });

  test('appends arriving while the store is busy go together, each answered once its batch lands', async () => {
    const { writer, calls, releaseAll } = heldWriter();
    const append = groupCommit(writer, { maxInFlight: 1 });
    let settled = 0;
    const all = [1, 2, 3, 4].map((n) => append(n).then(() => settled++));
    assert.equal(calls.length, 1);
    assert.equal(settled, 0, 'nothing is answered before the store answers');
    await releaseAll();
    await Promise.all(all);
    assert.deepEqual(calls, [
      { kind: 'one', items: [1] },
      { kind: 'many', items: [2, 3, 4] },
    ]);
  });

  test('a batch never mixes partitions', async () => {
    const { writer, calls, releaseAll } = heldWriter();
    const append = groupCommit(writer, { maxInFlight: 1 });
    const all = [1, 2, 1001, 3, 1002].map((n) => append(n));
    await releaseAll();
    await Promise.all(all);
    assert.deepEqual(
      calls.map((c) => c.items),
      [[1], [2, 3], [1001, 1002]],
    );
  });

  test('a conflict in a batch fails that append only; the others are written alone', async () => {
    const { writer, calls, releaseAll } = heldWriter((items) =>
      items.map((i) => (i === 3 ? 'conflict' : 'not-attempted')),
    );
    const append = groupCommit(writer, { maxInFlight: 1 });
    const outcomes = [1, 2, 3, 4].map((n) =>
      append(n).then(
        () => 'ok',
        (e: GatewayError) => e.code,
      ),
    );
    await releaseAll();
    assert.deepEqual(await Promise.all(outcomes), ['ok', 'ok', 'conflict', 'ok']);
    assert.deepEqual(
      calls.filter((c) => c.kind === 'one').map((c) => c.items[0]),
      [1, 2, 4],
    );
  });

  test('a batch whose fate is unknown fails every append of it, and none is retried', async () => {
    const { writer, calls, releaseAll } = heldWriter(() => new Error('timed out'));
    const append = groupCommit(writer, { maxInFlight: 1 });
    const outcomes = [1, 2, 3].map((n) =>
      append(n).then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    );
    await releaseAll();
    assert.deepEqual(await Promise.all(outcomes), ['ok', 'timed out', 'timed out']);
    assert.equal(calls.length, 2);
  });
});

describe('CosmosAuditStore group commit on the emulator', () => {
  let emulator: CosmosEmulator;
  let client: CosmosClient;
  let container: Container;

  before(async () => {
    emulator = await startCosmosEmulator();
    client = createCosmosClient({ endpoint: emulator.endpoint, key: emulator.key, allowSelfSigned: true });
    container = (await ensureContainers(client, `group-${randomUUID()}`)).container('audit');
  });
  after(async () => {
    client.dispose();
    await emulator.stop();
  });

  test('40 concurrent appends: all durable, in fewer requests, and a duplicate id still conflicts', async () => {
    let batches = 0;
    const counted = Object.create(container) as Container;
    const items = container.items;
    Object.defineProperty(counted, 'items', {
      value: Object.assign(Object.create(items), {
        batch: (...args: Parameters<typeof items.batch>) => {
          batches++;
          return items.batch(...args);
        },
      }),
    });
    const store = new CosmosAuditStore(counted, { groupCommit: { maxInFlight: 2 } });
    const records = Array.from({ length: 40 }, (_, i) => auditRecord(i, { requestId: randomUUID() }));
    const dup = { ...records[5], statement: 'a second record with a taken id' } as (typeof records)[number];
    const outcomes = await Promise.all(
      [...records, dup].map((r) =>
        store.append(r).then(
          () => 'ok',
          (e: GatewayError) => e.code,
        ),
      ),
    );
    assert.deepEqual(
      outcomes.filter((o) => o !== 'ok'),
      ['conflict'],
      JSON.stringify(outcomes),
    );
    assert.deepEqual(outcomes.slice(40), ['conflict']);
    assert.ok(batches > 0 && batches < 40, `batches: ${batches}`);
    const { resources } = await container.items.query('SELECT VALUE COUNT(1) FROM c').fetchAll();
    assert.equal(resources[0], 40);
  });
});
