import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { SourceText } from './arm/template.js';
import { classifyJson, type PostureInput } from './scan.js';
import type { Skipped } from './types.js';

/**
 * Reads a directory (or one file) into posture inputs: every text file for secrets, JSON
 * templates and inventories, and Bicep entry files compiled with the Bicep CLI. Modules a
 * Bicep file loads are compiled inside their parent, where their parameters are known.
 */

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.bicep', '.agentgate', 'coverage', '.venv']);
const MAX_BYTES = 16 * 1024 * 1024;

export interface LoadOptions {
  /** Path of a Bicep CLI; without one, .bicep files are reported as not analysed. */
  bicep?: string;
}

export interface Loaded {
  inputs: PostureInput[];
  skipped: Skipped[];
}

function files(root: string): string[] {
  const st = statSync(root);
  if (st.isFile()) return [root];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(full);
      } else if (entry.isFile()) out.push(full);
    }
  };
  walk(root);
  return out;
}

function isText(buf: Buffer): boolean {
  return !buf.subarray(0, 8192).includes(0);
}

/** The Bicep CLI to use: the one given, BICEP_BIN, a pinned copy in .bicep/ under `cwd`, or `bicep` on PATH. */
export function findBicep(
  given: string | undefined,
  env: Record<string, string | undefined>,
  cwd: string,
): string | undefined {
  const works = (bin: string) =>
    spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).status === 0;
  if (given) return given;
  if (env.BICEP_BIN && works(env.BICEP_BIN)) return env.BICEP_BIN;
  const cache = join(cwd, '.bicep');
  if (existsSync(cache)) {
    for (const v of readdirSync(cache).sort().reverse()) {
      const bin = join(cache, v, 'bicep');
      if (existsSync(bin) && works(bin)) return bin;
    }
  }
  return works('bicep') ? 'bicep' : undefined;
}

function modulePaths(text: string): string[] {
  return [...text.matchAll(/^\s*module\s+\w+\s+'([^']+)'/gm)].map((m) => m[1]);
}

export function loadInputs(target: string, options: LoadOptions = {}): Loaded {
  const root = resolve(target);
  const display = (full: string) => relative(process.cwd(), full).split(sep).join('/') || full;
  const inputs: PostureInput[] = [];
  const skipped: Skipped[] = [];
  const bicep = new Map<string, SourceText>();
  for (const full of files(root)) {
    const file = display(full);
    if (statSync(full).size > MAX_BYTES) {
      skipped.push({ file, reason: `larger than ${MAX_BYTES} bytes: not read` });
      continue;
    }
    const buf = readFileSync(full);
    if (!isText(buf)) continue;
    const text = buf.toString('utf8');
    inputs.push({ kind: 'text', file, text });
    if (full.endsWith('.json')) {
      const parsed = classifyJson(file, text);
      if (parsed) inputs.push(parsed);
    } else if (full.endsWith('.bicep')) {
      bicep.set(full, { file, text, language: 'bicep' });
    }
  }
  // A module is analysed through the file that loads it, with the parameters that file passes.
  const loaded = new Set<string>();
  for (const [full, src] of bicep)
    for (const p of modulePaths(src.text)) loaded.add(resolve(dirname(full), p));
  const resolveModule = (from: string, path: string): SourceText | undefined => {
    const fromFull = [...bicep.entries()].find(([, s]) => s.file === from)?.[0];
    return fromFull ? bicep.get(resolve(dirname(fromFull), path)) : undefined;
  };
  for (const [full, src] of bicep) {
    if (loaded.has(full)) continue;
    if (!options.bicep) {
      skipped.push({
        file: src.file,
        reason: 'Bicep file not analysed: no Bicep CLI (pass --bicep or set BICEP_BIN)',
      });
      continue;
    }
    const r = spawnSync(options.bicep, ['build', full, '--stdout'], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 4 * MAX_BYTES,
    });
    if (r.status !== 0) {
      skipped.push({
        file: src.file,
        reason: `bicep build failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`,
      });
      continue;
    }
    try {
      inputs.push({ kind: 'template', json: JSON.parse(r.stdout), source: src, resolveModule });
    } catch {
      skipped.push({ file: src.file, reason: 'bicep build printed no JSON' });
    }
  }
  return { inputs, skipped };
}
