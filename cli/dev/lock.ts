import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'dev.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // `wx` makes creation atomic: of two hosts started at once, exactly one wins.
      await writeFile(file, JSON.stringify({ pid: process.pid, url }), { mode: 0o600, flag: 'wx' });
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
