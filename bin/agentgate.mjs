#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so the same sources serve dev and tests.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// Exit once stdout has drained: pools and servers that were closed may still hold timers.
process.stdout.write('', () => process.exit(code));
