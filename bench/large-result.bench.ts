import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { demoServerConfig } from '../cli/commands/demo.js';
import { generateDemoData } from '../cli/dev/demo-data.js';
import { DEMO_READER_ROLE, loadDemoIntoPostgres } from '../cli/dev/demo-load-pg.js';
import { REPO_ROOT } from '../tests/support/deploy-package.js';
import { skipUnlessRealPostgres, startPostgresServer } from '../tests/support/postgres-server.js';
import { runChild } from './child-rss.js';
import { cosmosEnv, startCosmosProcess } from './cosmos-process.js';
import { bundleChild } from './read-memory.bench.js';

/**
 * An approved result of 100,000 rows through the approval path on the local host (held for
 * approval, approved, run by the consumer, stored in the Cosmos DB emulator, fetched by the
 * requester), each case in a child process of its own (bench/large-result.child.ts) whose
 * peak RSS is measured from the kernel's high-water mark. Targets (issue 12): within 300 MB
 * RSS, at 100,000 rows/s or better.
 *
 * On PGlite the database lives in the gateway's process, so its RSS is mostly PGlite's (the
 * figure before the run is printed beside the peak); the real-server case is the one the
 * targets are about. AGENTGATE_BENCH_ROWS changes the row count.
 */

const ROWS = Number(process.env.AGENTGATE_BENCH_ROWS ?? 100_000);
const CHILD = join(import.meta.dirname, 'large-result.child.ts');

interface ChildFigures {
  rows: number;
  pages: number;
  runMs: number;
  fetchMs: number;
  bytes: number;
  rssBeforeMb: number;
  peakAfterRunMb: number;
  peakMb: number;
}

/** The child from sources through tsx, or (`entry`) bundled as the Functions package is, by plain node. */
function child(env: Record<string, string | undefined>, entry?: string): Promise<ChildFigures> {
  // AGENTGATE_BENCH_CPU_PROF=DIR writes each child's CPU profile there (what is spent where).
  const prof = process.env.AGENTGATE_BENCH_CPU_PROF;
  const profile = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const run = entry ? [entry] : ['--import', 'tsx', CHILD];
  return runChild<ChildFigures>([...profile, '--expose-gc', ...run], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      AGENTGATE_BENCH_ROWS: String(ROWS),
      AGENTGATE_POLICY_DIR: join(REPO_ROOT, 'policies'),
      ...env,
    },
    timeoutMs: 10 * 60_000,
  });
}

function print(name: string, f: ChildFigures): void {
  const runRate = f.rows / (f.runMs / 1000);
  const fetchRate = f.rows / (f.fetchMs / 1000);
  const peakRun = f.peakAfterRunMb - f.rssBeforeMb;
  console.log(
    [
      name,
      `${f.rows} rows`,
      `run+store ${f.runMs.toFixed(0)} ms (${runRate.toFixed(0)} rows/s, target >= 100000: ${runRate >= 100_000 ? 'met' : 'NOT met'})`,
      `fetch ${f.fetchMs.toFixed(0)} ms in ${f.pages} page(s) (${fetchRate.toFixed(0)} rows/s, ${(f.bytes / 1024 / 1024).toFixed(1)} MB)`,
      `RSS before (baseline, same process) ${f.rssBeforeMb.toFixed(0)} MB, peak during run ${f.peakAfterRunMb.toFixed(0)} MB (+${peakRun.toFixed(0)}), peak with fetch ${f.peakMb.toFixed(0)} MB (target <= 300: ${f.peakMb <= 300 ? 'met' : 'NOT met'})`,
    ].join('\n  '),
  );
}

/**
 * The real-server cases: from sources with the emulator inside the gateway's process (what
 * `npm start` does), and the target case, bundled with the emulator in a process of its own
 * (in Azure, Cosmos DB's work and memory are not the gateway's).
 */
async function onRealServer(): Promise<void> {
  const entry = await bundleChild('large-result');
  const server = await startPostgresServer();
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-bench-large-cfg-'));
  try {
    const password = 'bench-reader-password';
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await loadDemoIntoPostgres(admin, generateDemoData({ customers: ROWS }), {
        reader: { role: DEMO_READER_ROLE, password },
      });
    } finally {
      await admin.end();
    }
    const config = join(dir, 'agentgate.config.yaml');
    const target = {
      host: server.host,
      port: server.port,
      database: server.database,
      user: DEMO_READER_ROLE,
    };
    await writeFile(config, stringify(demoServerConfig(target)));
    const env = { AGENTGATE_CONFIG: config, PGPASSWORD: password };
    print('real PostgreSQL, sources (tsx), emulator in the gateway process', await child(env));
    const cosmos = await startCosmosProcess();
    try {
      const cosmosCpu = await cosmos.cpuMs();
      print(
        'real PostgreSQL, bundled (node), emulator in its own process',
        await child({ ...env, ...cosmosEnv(cosmos) }, entry),
      );
      console.log(
        `  the emulator process's CPU over that case: ${((await cosmos.cpuMs()) - cosmosCpu).toFixed(0)} ms`,
      );
    } finally {
      await cosmos.stop();
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchLargeResult(): Promise<void> {
  console.log(`\n## Approved result of ${ROWS} rows (local host, Cosmos DB emulator, child processes)`);
  const skip = skipUnlessRealPostgres();
  if (skip === false) await onRealServer();
  else console.log(`real PostgreSQL: skipped (${skip})`);
  if (process.env.AGENTGATE_BENCH_PGLITE !== '0') print('PGlite (in the gateway process)', await child({}));
}
