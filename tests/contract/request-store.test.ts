import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../cli/dev/cosmos-emulator.js';
import { createCosmosClient, ensureContainers } from '../../shared/store/cosmos-client.js';
import { CosmosRequestStore } from '../../shared/store/cosmos-request-store.js';
import { MemoryRequestStore } from '../support/memory-request-store.js';
import { runRequestStoreContract } from './request-store.contract.js';

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
