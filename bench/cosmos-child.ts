import { startCosmosEmulator } from '../cli/dev/cosmos-emulator.js';

// The Cosmos DB emulator in its own process for the real-PostgreSQL bench, so the gateway's
// CPU per request is measured without the emulator's server side (in Azure, Cosmos DB runs
// elsewhere). Prints the endpoint, answers its own CPU time when asked over IPC.
const emulator = await startCosmosEmulator();
process.stdout.write(`${emulator.endpoint}\n`);
process.on('message', () => {
  const cpu = process.cpuUsage();
  process.send?.({ cpuMicros: cpu.user + cpu.system });
});
process.on('SIGTERM', () => {
  void emulator.stop().finally(() => process.exit(0));
});
