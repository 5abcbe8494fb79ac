import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../tests/support/deploy-package.js';
import { skipUnlessRealPostgres } from '../tests/support/postgres-server.js';
import { runChild } from './child-rss.js';
import { cosmosEnv, startCosmosProcess } from './cosmos-process.js';
import { startRealPgDemo } from './real-pg-demo.js';

/**
 * Peak RSS of the gateway, bundled and minified by esbuild as the Functions package is and run
 * by plain Node (no tsx), under rounds of 8 concurrent 1,000-row reads from a real PostgreSQL.
 * The deployed bundle itself needs Azure (Entra tokens, managed identity to Cosmos DB), so the
 * local host stands in for it: the same core, REST adapter and pipeline, with the Cosmos DB
 * emulator in a process of its own (the target case) or inside (whose items then count
 * against this RSS, unlike Azure's).
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

interface ReadFigures {
  reads: number;
  rows: number;
  ms: number;
  rssStartedMb: number;
  peakStartedMb: number;
  peakReadsMb: number;
}

export async function benchReadMemory(): Promise<void> {
  console.log('\n## Peak RSS of the bundled gateway under 8 concurrent 1,000-row reads (real PostgreSQL)');
  const skip = skipUnlessRealPostgres();
  if (skip !== false) {
    console.log(`skipped (${skip})`);
    return;
  }
  const entry = await bundleChild();
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-bench-reads-cfg-'));
  // Budgets that never run out: the repeated reads of one agent would otherwise go to approval.
  const demo = await startRealPgDemo(dir, 'bench-reader-password');
  const cosmos = await startCosmosProcess();
  try {
    const cases: Array<[string, string[], Record<string, string>]> = [
      // The target case: in Azure the emulator's work and memory are Cosmos DB's, not the gateway's.
      ['bundled, node, emulator in its own process', [entry], cosmosEnv(cosmos)],
      ['bundled, node, emulator in the gateway process', [entry], {}],
      [
        'sources, node --import tsx, emulator in the gateway process',
        ['--import', 'tsx', join(REPO_ROOT, 'bench/read-memory.child.ts')],
        {},
      ],
    ];
    for (const [name, args, extra] of cases) {
      const f = await runChild<ReadFigures>(args, {
        cwd: REPO_ROOT,
        env: { ...process.env, ...demo.env, ...extra, AGENTGATE_POLICY_DIR: join(REPO_ROOT, 'policies') },
        timeoutMs: 10 * 60_000,
      });
      console.log(
        `${name}: ${f.reads} reads (${f.rows} rows) in ${f.ms.toFixed(0)} ms; RSS after start ${f.rssStartedMb.toFixed(0)} MB (peak ${f.peakStartedMb.toFixed(0)}), peak during reads ${f.peakReadsMb.toFixed(0)} MB (target <= 250: ${f.peakReadsMb <= 250 ? 'met' : 'NOT met'})`,
      );
    }
  } finally {
    await cosmos.stop();
    await demo.server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
