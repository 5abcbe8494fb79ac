import { startCosmosEmulator } from '../cli/dev/cosmos-emulator.js';

// The Cosmos DB emulator in its own process for the benches: the gateway's CPU per request is
// then measured without the emulator's server side, and what the emulator keeps in memory is
// not counted in the gateway's RSS (in Azure, Cosmos DB runs elsewhere). Prints the endpoint,
// answers its own CPU time when asked over IPC, runs until killed.
const emulator = await startCosmosEmulator();
process.stdout.write(`${emulator.endpoint}\n`);
process.on('message', () => {
  const cpu = process.cpuUsage();
  process.send?.({ cpuMicros: cpu.user + cpu.system });
});
process.on('SIGTERM', () => {
  void emulator.stop().finally(() => process.exit(0));
});
