import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildPackage,
  DIST,
  largestFiles,
  PACKAGE_LIMIT_BYTES,
  REPO_ROOT,
  zippedSize,
} from '../tests/support/deploy-package.js';

/**
 * Cold start of the deployed bundle, each run in a fresh Node process from dist/ (no tsx, no
 * node_modules): time from process start to the first line of the script (Node's own boot),
 * the bundle's import (what the Functions worker does before it can register functions), and
 * the self-check done (Cedar and libpg-query WASM loaded, the shipped policies parsed and
 * validated). Also the package's zipped size. Targets (issue 12): import <= 150 ms, self-check
 * done <= 300 ms after process start, package <= 4 MB zipped.
 *
 * Wall-clock figures depend on what else the machine runs; CPU milliseconds (user + system,
 * all threads) are printed beside them, and the load average at the start of the run.
 */

const run = promisify(execFile);
const RUNS = 7;

interface ColdStart {
  bootMs: number;
  importMs: number;
  selfCheckDoneMs: number;
  cpuMs: number;
}

// performance.now() counts from the process's time origin, so it is "time since start".
const CHILD = `const t0 = performance.now();
const m = await import(process.env.AGENTGATE_BUNDLE);
const t1 = performance.now();
const check = await m.selfCheck();
const t2 = performance.now();
if (check.parsed !== 'read') throw new Error('self-check failed');
const cpu = process.cpuUsage();
console.log(JSON.stringify({ bootMs: t0, importMs: t1 - t0, selfCheckDoneMs: t2, cpuMs: (cpu.user + cpu.system) / 1000 }));`;

async function coldStart(): Promise<ColdStart> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: DIST,
    env: { PATH: process.env.PATH, AGENTGATE_BUNDLE: join(DIST, 'functions/index.js') },
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ColdStart;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchColdStart(): Promise<void> {
  console.log('\n## Cold start and package (fresh processes from dist/)');
  if (process.argv.includes('--no-build') && existsSync(join(DIST, 'functions/index.js'))) {
    console.log('using the existing dist/');
  } else {
    await buildPackage();
  }
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const runs: ColdStart[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await coldStart());
  const row = (name: string, pick: (r: ColdStart) => number, target?: number) => {
    const values = runs.map(pick);
    const m = median(values);
    const verdict =
      target === undefined ? '' : `\ttarget <= ${target} ms: ${m <= target ? 'met' : 'NOT met'}`;
    console.log(
      `${name}\tmedian ${m.toFixed(0)} ms\tmin ${Math.min(...values).toFixed(0)} ms\tmax ${Math.max(...values).toFixed(0)} ms${verdict}`,
    );
  };
  console.log(`${RUNS} runs`);
  row('node boot', (r) => r.bootMs);
  row('bundle import', (r) => r.importMs, 150);
  row('self-check done since start', (r) => r.selfCheckDoneMs, 300);
  row('CPU (all threads) to self-check', (r) => r.cpuMs);

  const zipped = zippedSize();
  const verdict = zipped <= PACKAGE_LIMIT_BYTES ? 'met' : 'NOT met';
  console.log(`package zipped: ${(zipped / 1024 / 1024).toFixed(2)} MB (target <= 4 MB: ${verdict})`);
  for (const { file, bytes } of largestFiles()) console.log(`  ${(bytes / 1024).toFixed(0)} KB\t${file}`);
  if (existsSync(join(REPO_ROOT, 'dist-maps'))) console.log('source maps: dist-maps/ (not in the package)');
}
