import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';

/**
 * The deployed Functions package as `npm run build` writes it (azure.yaml deploys dist/ as is),
 * measured the way a deployment would carry it: every file, zipped with deflate.
 */

const run = promisify(execFile);
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const DIST = join(REPO_ROOT, 'dist');

/** The package limit of issue 12: what is uploaded to the Function App, zipped. */
export const PACKAGE_LIMIT_BYTES = 4 * 1024 * 1024;

/** Runs scripts/build.mjs (without the typecheck that `npm run build` adds). */
export async function buildPackage(): Promise<void> {
  await run(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT });
}

/** Paths of every file under dist/, relative to it, with '/' separators. */
export function packageFiles(dir: string = DIST): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

// Sizes of a zip's per-file local header and central directory entry (without the name),
// and of the end-of-central-directory record.
const LOCAL_HEADER = 30;
const CENTRAL_ENTRY = 46;
const END_RECORD = 22;

/**
 * The size of a zip of `dir`: each file deflated (or stored when deflate does not help, as
 * zip tools do) plus the zip's own headers. Computed with zlib so it needs no zip tool.
 */
export function zippedSize(dir: string = DIST): number {
  let total = END_RECORD;
  for (const file of packageFiles(dir)) {
    const data = readFileSync(join(dir, file));
    const deflated = deflateRawSync(data, { level: 6 }).length;
    const name = Buffer.byteLength(file);
    total += Math.min(deflated, data.length) + LOCAL_HEADER + CENTRAL_ENTRY + 2 * name;
  }
  return total;
}

/** Unzipped bytes per file, largest first: what to look at when the package grows. */
export function largestFiles(dir: string = DIST, count = 8): { file: string; bytes: number }[] {
  return packageFiles(dir)
    .map((file) => ({ file, bytes: statSync(join(dir, file)).size }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}
