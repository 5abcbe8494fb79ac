import { randomUUID } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../cli/dev/cosmos-emulator.js';
import { CosmosAuditStore } from '../../shared/store/cosmos-audit-store.js';
import { createCosmosClient, ensureContainers } from '../../shared/store/cosmos-client.js';
import { MemoryAuditStore } from '../support/memory-audit-store.js';
import { runAuditStoreContract } from './audit-store.contract.js';

runAuditStoreContract('MemoryAuditStore', async () => ({
  store: new MemoryAuditStore(),
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

  // A fresh database per case, so no case sees another's records.
  runAuditStoreContract('CosmosAuditStore', async () => {
    const database = await ensureContainers(client, `audit-${randomUUID()}`);
    return {
      store: new CosmosAuditStore(database.container('audit')),
      cleanup: async () => {
        await database.delete();
      },
    };
  });
});
