import { startCosmosEmulator } from '../cli/dev/cosmos-emulator.js';

// The Cosmos DB emulator in its own process for the approved blob bench, so the result it
// keeps in memory is not counted in the gateway's RSS. Prints the endpoint, then runs until killed.
const emulator = await startCosmosEmulator();
process.stdout.write(`${emulator.endpoint}\n`);
process.on('SIGTERM', () => {
  void emulator.stop().finally(() => process.exit(0));
});
