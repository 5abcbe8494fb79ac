#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so the same sources serve dev and tests.
// `agentgate --help` and `--version` are answered before tsx loads, which costs most of a second.
import { topLevelAnswer } from '../cli/top-level.mjs';

const quick = topLevelAnswer(process.argv.slice(2));
if (quick !== undefined) {
  process.stdout.write(quick, () => process.exit(0));
} else {
  await run();
}

async function run() {
  const { register } = await import('tsx/esm/api');
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
}
