import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../cli/dev/cosmos-emulator.js';
import { isGatewayError } from '../../shared/errors.js';
import { createCosmosClient, ensureContainers } from '../../shared/store/cosmos-client.js';
import { CosmosRequestStore } from '../../shared/store/cosmos-request-store.js';
import { MemoryRequestStore } from '../support/memory-request-store.js';
import { runRequestStoreContract, storedRequest } from './request-store.contract.js';

runRequestStoreContract('MemoryRequestStore', async () => ({
  store: new MemoryRequestStore(),
  cleanup: async () => {},
}));

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

  runRequestStoreContract('CosmosRequestStore', async () => {
    const database = await ensureContainers(client, `requests-${randomUUID()}`);
    return {
      store: new CosmosRequestStore(database.container('requests')),
      cleanup: async () => {
        await database.delete();
      },
    };
  });
});

describe('CosmosRequestStore when the store is gone', () => {
  it('rejects every call with store_unavailable, within its bound', async () => {
    const emulator = await startCosmosEmulator();
    const client = createCosmosClient({
      endpoint: emulator.endpoint,
      key: emulator.key,
      allowSelfSigned: true,
    });
    try {
      const database = await ensureContainers(client, `requests-${randomUUID()}`);
      const store = new CosmosRequestStore(database.container('requests'), { timeoutMs: 3000 });
      await store.create(storedRequest(1));
      await emulator.stop();
      const unavailable = (e: unknown) => isGatewayError(e) && e.code === 'store_unavailable';
      await assert.rejects(store.get('apr-1'), unavailable);
      await assert.rejects(store.create(storedRequest(2)), unavailable);
      await assert.rejects(store.replace(storedRequest(1), '"x"'), unavailable);
      await assert.rejects(store.list({ status: 'pending', limit: 5 }), unavailable);
    } finally {
      client.dispose();
      await emulator.stop();
    }
  });
});
