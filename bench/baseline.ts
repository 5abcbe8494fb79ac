import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpRequest } from '@azure/functions';
import type { KeyResolver } from '../shared/identity/index.js';

/**
 * An earlier commit's gateway, loaded into this process beside the current one so that one
 * run measures both on the same machine, at the same moment, against the same database. The
 * commit's sources are extracted with `git archive` (no worktree is registered) into a cache
 * folder under the temp dir, with this checkout's node_modules linked in; tsx compiles them.
 * Only commits whose gateway has the pre-reshape shape (`createGateway` in shared/gateway.ts,
 * taking an HttpRequest) are supported: 45e485a is the last one before the core reshape.
 */

const ROOT = resolve(import.meta.dirname, '..');

export interface BaselineGateway {
  commit: string;
  query(req: HttpRequest): Promise<{ status: number }>;
}

export interface BaselineParts {
  dev: { issuer: string; audience: string; keys: KeyResolver };
  demo: { host: string; port: number };
  maskingKey: string;
}

/** The commit's sources, extracted once; undefined (with the reason) when git cannot give them. */
export function extractCommit(commit: string): { dir: string } | { skipped: string } {
  if (!/^[0-9a-f]{7,40}$/.test(commit)) return { skipped: `not a commit id: ${commit}` };
  const dir = join(tmpdir(), `agentgate-baseline-${commit}`);
  if (existsSync(join(dir, 'shared', 'gateway.ts'))) return { dir };
  try {
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const tar = execFileSync(
      'git',
      [
        '-C',
        ROOT,
        'archive',
        '--format=tar',
        commit,
        'shared',
        'cli',
        'policies',
        'functions',
        'package.json',
      ],
      {
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    execFileSync('tar', ['-x', '-C', partial], { input: tar });
    symlinkSync(join(ROOT, 'node_modules'), join(partial, 'node_modules'), 'dir');
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
    return { dir };
  } catch (e) {
    return { skipped: `git archive ${commit} failed: ${e instanceof Error ? e.message.split('\n')[0] : e}` };
  }
}

/* The old modules are typed loosely on purpose: their shapes belong to the old commit. */
type Loose = Record<string, (...args: never[]) => unknown>;

async function load(dir: string, path: string): Promise<Loose> {
  return (await import(pathToFileURL(join(dir, path)).href)) as Loose;
}

/** The old gateway with the audit in memory, on the given demo database and dev issuer. */
export async function loadBaselineGateway(
  commit: string,
  parts: BaselineParts,
): Promise<BaselineGateway | { skipped: string }> {
  const extracted = extractCommit(commit);
  if ('skipped' in extracted) return extracted;
  const { dir } = extracted;
  if (!existsSync(join(dir, 'shared', 'gateway.ts')))
    return { skipped: `${commit} has no shared/gateway.ts` };
  const [gateway, identity, policy, store, masking, registry, host] = await Promise.all(
    [
      'shared/gateway.ts',
      'shared/identity/index.ts',
      'shared/policy/index.ts',
      'shared/store/memory-audit-store.ts',
      'shared/masking/index.ts',
      'shared/connectors/registry.ts',
      'cli/dev/host.ts',
    ].map((p) => load(dir, p)),
  );
  const call = <T>(m: Loose, name: string, ...args: unknown[]): T => {
    const f = m[name] as unknown;
    if (typeof f !== 'function') throw new Error(`${commit}: ${name} is not exported as before`);
    return (f as (...a: unknown[]) => T)(...args);
  };
  const MemoryAuditStore = store.MemoryAuditStore as unknown as new () => unknown;
  const old = call<{ query(req: HttpRequest): Promise<{ status: number }> }>(gateway, 'createGateway', {
    verifier: call(identity, 'createTokenVerifier', { dev: parts.dev }),
    policy: await call<Promise<unknown>>(policy, 'loadPolicyEngine', join(dir, 'policies')),
    config: call(host, 'demoConfig'),
    connectorFor: call<{ connectorFor: unknown }>(registry, 'connectorRegistry', { demo: parts.demo })
      .connectorFor,
    audit: new MemoryAuditStore(),
    masker: call(masking, 'createMasker', { tokenKey: parts.maskingKey }),
  });
  return { commit, query: (req) => old.query(req) };
}
