import { readFileSync, writeFileSync } from 'node:fs';

/**
 * This process's memory as the kernel counts it (Linux): `VmRSS` now, `VmHWM` its peak since
 * start or the last `resetPeak()`. Peaks sampled from a timer miss short spikes; this does not.
 */
export function statusMb(field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.replace(/\D+/g, '') ?? Number.NaN) / 1024;
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux >= 4.0). */
export function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}
