import { startAzurite } from '../cli/dev/azurite.js';

// Azurite in its own process for the blob bench, so the blob held in its memory store does
// not count in the reader's RSS. Prints the account URL, then runs until killed.
const azurite = await startAzurite();
process.stdout.write(`${azurite.accountUrl}\n`);
process.on('SIGTERM', () => {
  void azurite.stop().finally(() => process.exit(0));
});
