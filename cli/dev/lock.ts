import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const LOCK_FILE = 'dev.lock';

/**
 * What the lock file records: who holds it and where that host listens, so the CLI finds a
 * host started on another port (`PORT=17390 npm start`) without flags.
 */
const lockSchema = z.object({
  pid: z.number().int().positive(),
  url: z.string().url(),
  port: z.number().int().min(0).max(65535),
  startedAt: z.string().optional(),
  /** The host's checkpoint archive on Azurite (`audit verify --archive` reads it). */
  archiveUrl: z.string().url().optional(),
});

export type DevLock = z.output<typeof lockSchema>;

function portOf(url: string): number {
  const u = new URL(url);
  return u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
}

function lockText(url: string, extra: { archiveUrl?: string } = {}): string {
  return JSON.stringify({
    pid: process.pid,
    url,
    port: portOf(url),
    startedAt: new Date().toISOString(),
    ...extra,
  });
}

/** Thrown when another local host already runs from this folder. */
export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number,
    readonly url: string,
  ) {
    super(`agentgate dev is already running (pid ${pid}) at ${url}. Stop it first (Ctrl-C in its terminal).`);
    this.name = 'AlreadyRunningError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A pid file under `.agentgate/` so a second `npm start` fails before spending seconds on
 * starting databases; a stale file from a crashed run is taken over.
 */
export async function acquireDevLock(dir: string, url: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // `wx` makes creation atomic: of two hosts started at once, exactly one wins.
      await writeFile(file, lockText(url), { mode: 0o600, flag: 'wx' });
      return async () => {
        await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: { pid?: unknown; url?: unknown } = {};
    try {
      held = JSON.parse(await readFile(file, 'utf8')) as typeof held;
    } catch {
      // unreadable lock: treat as stale
    }
    if (typeof held.pid === 'number' && alive(held.pid)) {
      throw new AlreadyRunningError(held.pid, typeof held.url === 'string' ? held.url : 'unknown');
    }
    await rm(file, { force: true });
  }
  throw new Error(`Could not take the dev lock ${file}`);
}

/**
 * Records where the host really listens once it does (the port asked for may be 0, or
 * taken). Call after `listen`; only the process holding the lock may rewrite it.
 */
export async function recordDevHostAddress(
  dir: string,
  url: string,
  extra: { archiveUrl?: string } = {},
): Promise<void> {
  const file = join(dir, LOCK_FILE);
  const held = await readLockFile(file);
  if (held !== undefined && held.pid !== process.pid) return;
  // Written aside and renamed so a reader never sees half a file.
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, lockText(url, extra), { mode: 0o600 });
  await rename(temp, file);
}

async function readLockFile(file: string): Promise<DevLock | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = lockSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The lock of a local host running from `dir` (a `.agentgate` folder), or undefined if none is
 * alive. Only a lock file of the caller's own that points at a loopback address is believed:
 * the CLI sends tokens to that URL.
 */
export async function readDevLock(dir: string): Promise<DevLock | undefined> {
  const file = join(dir, LOCK_FILE);
  try {
    const st = await stat(file);
    if (typeof process.getuid === 'function' && (st.uid !== process.getuid() || (st.mode & 0o002) !== 0)) {
      return undefined;
    }
  } catch {
    return undefined;
  }
  const held = await readLockFile(file);
  if (held === undefined || !alive(held.pid)) return undefined;
  const url = new URL(held.url);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) ? held : undefined;
}
