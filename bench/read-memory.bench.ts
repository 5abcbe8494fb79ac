import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import pg from 'pg';
import { stringify } from 'yaml';
import { demoServerConfig } from '../cli/commands/demo.js';
import { generateDemoData } from '../cli/dev/demo-data.js';
import { DEMO_READER_ROLE, loadDemoIntoPostgres } from '../cli/dev/demo-load-pg.js';
import { REPO_ROOT } from '../tests/support/deploy-package.js';
import { skipUnlessRealPostgres, startPostgresServer } from '../tests/support/postgres-server.js';
import { runChild } from './child-rss.js';

/**
 * Peak RSS of the gateway, bundled and minified by esbuild as the Functions package is and run
 * by plain Node (no tsx), under rounds of 8 concurrent 1,000-row reads from a real PostgreSQL.
 * The deployed bundle itself needs Azure (Entra tokens, managed identity to Cosmos DB), so the
 * local host stands in for it: the same core, REST adapter and pipeline, with the in-process
 * Cosmos DB emulator (whose items count against this RSS, unlike Azure's) instead of Azure.
 * Target (issue 12): at most 250 MB.
 */

const OUT = join(REPO_ROOT, 'dist-bench');

/** A bench child bundled as the Functions package is (also bench/blob.bench.ts's). */
export async function bundleChild(child = 'read-memory'): Promise<string> {
  const dir = join(OUT, child);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'host'), { recursive: true });
  const outfile = join(dir, 'host', `${child}.mjs`);
  await build({
    entryPoints: [join(REPO_ROOT, `bench/${child}.child.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    keepNames: true,
    // The embedded demo database and the emulator stay packages: neither is in the Functions
    // package, and PGlite finds its files relative to its own modules.
    external: [
      '@azure/functions-core',
      '@electric-sql/pglite',
      '@electric-sql/pglite-socket',
      '@vercel/cosmosdb-server',
    ],
    banner: {
      js: [
        "import { createRequire as __agCreateRequire } from 'node:module';",
        "import { fileURLToPath as __agFileURLToPath } from 'node:url';",
        "import { dirname as __agDirname } from 'node:path';",
        'const require = __agCreateRequire(import.meta.url);',
        'const __filename = __agFileURLToPath(import.meta.url);',
        'const __dirname = __agDirname(__filename);',
      ].join('\n'),
    },
    logLevel: 'error',
  });
  for (const file of [
    'node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm_bg.wasm',
    'node_modules/libpg-query/wasm/libpg-query.wasm',
  ]) {
    await cp(join(REPO_ROOT, file), join(dir, 'host', file.split('/').pop() ?? file));
  }
  return outfile;
}

export async function benchReadMemory(): Promise<void> {
  console.log('\n## Peak RSS of the bundled gateway under 8 concurrent 1,000-row reads (real PostgreSQL)');
  const skip = skipUnlessRealPostgres();
  if (skip !== false) {
    console.log(`skipped (${skip})`);
    return;
  }
  const entry = await bundleChild();
  const server = await startPostgresServer();
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-bench-reads-cfg-'));
  try {
    const password = 'bench-reader-password';
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await loadDemoIntoPostgres(admin, generateDemoData({ customers: 10_000 }), {
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
    // Without the demo's per-agent byte budget, which would send these repeated reads to approval.
    const generated = demoServerConfig(target) as { connections: Array<Record<string, unknown>> };
    for (const c of generated.connections) delete c.budget;
    await writeFile(config, stringify(generated));
    for (const [name, args] of [
      ['bundled, node', [entry]],
      ['sources, node --import tsx', ['--import', 'tsx', join(REPO_ROOT, 'bench/read-memory.child.ts')]],
    ] as const) {
      const f = await runChild<{
        reads: number;
        rows: number;
        ms: number;
        rssStartedMb: number;
        peakStartedMb: number;
        peakReadsMb: number;
      }>(args, {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          AGENTGATE_CONFIG: config,
          PGPASSWORD: password,
          AGENTGATE_POLICY_DIR: join(REPO_ROOT, 'policies'),
        },
        timeoutMs: 10 * 60_000,
      });
      console.log(
        `${name}: ${f.reads} reads (${f.rows} rows) in ${f.ms.toFixed(0)} ms; RSS after start ${f.rssStartedMb.toFixed(0)} MB (peak ${f.peakStartedMb.toFixed(0)}), peak during reads ${f.peakReadsMb.toFixed(0)} MB (target <= 250: ${f.peakReadsMb <= 250 ? 'met' : 'NOT met'})`,
      );
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
