import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevHost } from '../cli/dev/host.js';
import { report, resetPeak, statusMb } from './child-rss.js';
import { cosmosFromEnv } from './cosmos-process.js';

/**
 * Rounds of 8 concurrent 1,000-row reads by an agent on the local host, in a process of its
 * own; prints one JSON line with the process's peak RSS (VmHWM) over the reads and overall.
 * Run by bench/read-memory.bench.ts, bundled by esbuild like the Functions package.
 */

const CONCURRENCY = 8;
const ROUNDS = Number(process.env.AGENTGATE_BENCH_ROUNDS ?? 10);
const SQL = 'select id, full_name, email, phone, city, created_at from customers order by id limit 1000';

const stateDir = await mkdtemp(join(tmpdir(), 'agentgate-bench-reads-'));
// With the emulator in a process of its own when the bench started it so (cosmosFromEnv).
const host = await startDevHost({
  port: 0,
  stateDir,
  env: process.env,
  noLock: true,
  noAzurite: true,
  ...cosmosFromEnv(),
});
try {
  // One agent per concurrent reader: one agent may have at most 4 statements in flight.
  const agents = await Promise.all(
    Array.from({ length: CONCURRENCY }, (_, i) => host.issuer.mint({ agent: `reader-agent-${i}` })),
  );
  const read = async (_?: unknown, i = 0) => {
    const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agents[i]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: SQL }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`read: ${res.status} ${text.slice(0, 300)}`);
    return Number(JSON.parse(text).rowCount);
  };
  await read();
  const rssStartedMb = statusMb('VmRSS');
  const peakStartedMb = statusMb('VmHWM');
  resetPeak();
  const t0 = performance.now();
  let rows = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const counts = await Promise.all(Array.from({ length: CONCURRENCY }, read));
    rows += counts.reduce((a, b) => a + b, 0);
  }
  report({
    reads: ROUNDS * CONCURRENCY,
    rows,
    ms: performance.now() - t0,
    rssStartedMb,
    peakStartedMb,
    peakReadsMb: statusMb('VmHWM'),
  });
} finally {
  await host.stop();
  await rm(stateDir, { recursive: true, force: true });
}
