import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { readDevLock } from './dev/lock.js';
import type { CliIo } from './io.js';

/**
 * What the CLI shares with the local host without importing it: importing `dev/host.ts`
 * would load the whole gateway on every `--help`. A unit test keeps them equal to the host's.
 */
export const DEV_ISSUER = 'http://localhost/agentgate-dev';
export const DEV_AUDIENCE = 'api://agentgate';
export const DEFAULT_STATE_DIR = '.agentgate';
export const DEFAULT_PORT = 7071;

/** Config file names that mark a project folder as well as `.agentgate/` or the package does. */
const CONFIG_NAMES = ['agentgate.config.yaml', 'agentgate.config.yml', 'agentgate.config.json'];

/**
 * A `.agentgate` folder is trusted only when it is the caller's own and not world-writable:
 * one planted higher up (say `/tmp/.agentgate`) could otherwise hand the CLI a signing
 * key, or a lock whose URL receives the tokens and statements the CLI sends.
 */
export function ownStateDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) return false;
    if (typeof process.getuid !== 'function') return true;
    return st.uid === process.getuid() && (st.mode & 0o002) === 0;
  } catch {
    return false;
  }
}

function isProjectRoot(dir: string): boolean {
  if (ownStateDir(join(dir, DEFAULT_STATE_DIR))) return true;
  if (CONFIG_NAMES.some((name) => existsSync(join(dir, name)))) return true;
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'agentgate';
  } catch {
    return false;
  }
}

/**
 * The nearest folder at or above `cwd` that holds `.agentgate/`, an agentgate config file, or
 * the agentgate package; `cwd` itself when there is none. Run from `docs/`, the CLI thus uses
 * the key the running host trusts instead of minting with a new one in `docs/.agentgate`.
 */
export function findProjectRoot(cwd: string): string {
  let dir = cwd;
  for (;;) {
    if (isProjectRoot(dir)) return dir;
    const up = dirname(dir);
    if (up === dir || dir === parse(dir).root) return cwd;
    dir = up;
  }
}

/** The `.agentgate` folder of the project the CLI runs in. */
export function projectStateDir(io: Pick<CliIo, 'cwd'>): string {
  return join(findProjectRoot(io.cwd), DEFAULT_STATE_DIR);
}

/** Where the gateway answers, and how the CLI knows. */
export interface GatewayAddress {
  url: string;
  source: '--url' | 'AGENTGATE_URL' | 'lock file' | 'PORT' | 'default';
}

/**
 * `--url`, else `AGENTGATE_URL`, else the running local host's lock file (it records the URL
 * and port the host listens on), else `PORT`, else 7071.
 */
export async function resolveGatewayUrl(
  io: Pick<CliIo, 'cwd' | 'env'>,
  explicit?: string,
): Promise<GatewayAddress> {
  if (explicit !== undefined) return { url: trimSlash(explicit), source: '--url' };
  const fromEnv = io.env.AGENTGATE_URL;
  if (fromEnv) return { url: trimSlash(fromEnv), source: 'AGENTGATE_URL' };
  const lock = await readDevLock(projectStateDir(io));
  if (lock !== undefined) return { url: trimSlash(lock.url), source: 'lock file' };
  if (io.env.PORT) return { url: `http://localhost:${io.env.PORT}`, source: 'PORT' };
  return { url: `http://localhost:${DEFAULT_PORT}`, source: 'default' };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
