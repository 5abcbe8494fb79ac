import { after, before, describe } from 'node:test';
import type { CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../../cli/dev/cosmos-emulator.js';
import { createCosmosClient } from '../../../shared/store/cosmos-client.js';
import { runTamperSuite } from './tamper.cases.js';
import { cosmosWorld } from './world.js';

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

  runTamperSuite('Cosmos emulator', () => cosmosWorld(client));
});
