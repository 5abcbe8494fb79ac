import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Memory figures of a bench child process (one measured case per process, so its peak is
 * its own), and the parent's side: run a child, take the one JSON line it prints last.
 * Linux only: the figures come from /proc/self/status.
 */

/** Resident set now (VmRSS) or its high-water mark (VmHWM), in MiB. */
export function statusMb(field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.replace(/\D+/g, '') ?? Number.NaN) / 1024;
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux >= 4.0), so a peak covers only what follows. */
export function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** RSS now, after a collection when the child runs with --expose-gc, and the peak reset from here. */
export function baseline(): number {
  globalThis.gc?.();
  const rss = statusMb('VmRSS');
  resetPeak();
  return rss;
}

/** The child's answer: one JSON line, the last it prints. */
export function report(figures: Record<string, unknown>): void {
  console.log(JSON.stringify(figures));
}

const run = promisify(execFile);

/** Runs a child (`args` after node itself) and parses the last line it printed. */
export async function runChild<T>(
  args: readonly string[],
  options: { env: Record<string, string | undefined>; cwd?: string; timeoutMs?: number },
): Promise<T> {
  const { stdout } = await run(process.execPath, [...args], {
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 15 * 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as T;
}
