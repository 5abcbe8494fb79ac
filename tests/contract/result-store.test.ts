import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Container, CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../cli/dev/cosmos-emulator.js';
import { isGatewayError } from '../../shared/errors.js';
import { createCosmosClient, ensureContainers } from '../../shared/store/cosmos-client.js';
import { CosmosResultStore } from '../../shared/store/cosmos-result-store.js';
import { MemoryResultStore } from '../support/memory-result-store.js';
import { runResultStoreContract, storedResult } from './result-store.contract.js';

runResultStoreContract('MemoryResultStore', async () => {
  const store = new MemoryResultStore();
  return {
    store,
    tamper: async (id) => {
      store.tamper(id, (result) => {
        result.rows[1]![1] = 'forged';
      });
    },
    cleanup: async () => {},
  };
});

/** Flips one byte inside the second chunk, as a writer with access to the container could. */
async function tamperChunk(container: Container, resultId: string): Promise<void> {
  const item = container.item(`${resultId}.chunk.1`, resultId);
  const { resource } = await item.read<{ data: string }>();
  if (resource === undefined) throw new Error('no second chunk to tamper with');
  const bytes = Buffer.from(resource.data, 'base64');
  bytes[10] = bytes[10] === 0x41 ? 0x42 : 0x41;
  await item.replace({ ...resource, data: bytes.toString('base64') });
}

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

  runResultStoreContract('CosmosResultStore', async () => {
    const database = await ensureContainers(client, `results-${randomUUID()}`);
    const container = database.container('results');
    return {
      store: new CosmosResultStore(container),
      tamper: (id) => tamperChunk(container, id),
      cleanup: async () => {
        await database.delete();
      },
    };
  });

  it('keeps every item of a 5 MB result well under 2 MB, each with a TTL past expiresAt', async () => {
    const database = await ensureContainers(client, `results-${randomUUID()}`);
    try {
      const container = database.container('results');
      const result = storedResult('sized', 5000, 1000);
      await new CosmosResultStore(container).put(result);
      const { resources } = await container.items
        .query<{ ttl: number }>('SELECT * FROM c', { partitionKey: 'sized' })
        .fetchAll();
      assert.ok(resources.length >= 7, `expected a head and several chunks, got ${resources.length}`);
      const lifetime = (Date.parse(result.expiresAt) - Date.parse(result.createdAt)) / 1000;
      for (const item of resources) {
        assert.ok(Buffer.byteLength(JSON.stringify(item)) < 1.5 * 1024 * 1024);
        assert.ok(item.ttl > lifetime && item.ttl < lifetime + 3600);
      }
    } finally {
      await database.delete();
    }
  });
});

describe('CosmosResultStore when the store is gone', () => {
  it('rejects every call with store_unavailable, within its bound', async () => {
    const emulator = await startCosmosEmulator();
    const client = createCosmosClient({
      endpoint: emulator.endpoint,
      key: emulator.key,
      allowSelfSigned: true,
    });
    try {
      const database = await ensureContainers(client, `results-${randomUUID()}`);
      const store = new CosmosResultStore(database.container('results'), { timeoutMs: 3000 });
      await store.put(storedResult('r1', 2));
      await emulator.stop();
      const unavailable = (e: unknown) => isGatewayError(e) && e.code === 'store_unavailable';
      const during = new Date(Date.parse(storedResult('r1', 2).createdAt) + 1000);
      await assert.rejects(store.get('r1', during), unavailable);
      await assert.rejects(store.put(storedResult('r2', 2)), unavailable);
      await assert.rejects(store.delete('r1'), unavailable);
    } finally {
      client.dispose();
      await emulator.stop();
    }
  });
});
