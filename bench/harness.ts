import { performance } from 'node:perf_hooks';

/**
 * Minimal benchmark harness: warm up, time each call, report percentiles. Figures are only
 * meaningful as ratios against a baseline measured in the same run on the same machine.
 */
export interface Stats {
  name: string;
  iterations: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  opsPerSec: number;
  /** This process's CPU (user + system) per timed call, ms. */
  cpuMsPerCall?: number;
}

export async function measure(
  name: string,
  fn: () => unknown | Promise<unknown>,
  options: { iterations?: number; warmup?: number } = {},
): Promise<Stats> {
  const iterations = options.iterations ?? 1000;
  const warmup = options.warmup ?? Math.min(100, Math.ceil(iterations / 10));
  for (let i = 0; i < warmup; i++) await fn();
  const times = new Float64Array(iterations);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    times[i] = performance.now() - t0;
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort();
  const total = times.reduce((a, b) => a + b, 0);
  const pick = (q: number) => times[Math.min(iterations - 1, Math.floor(q * iterations))];
  return {
    name,
    iterations,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
    meanMs: total / iterations,
    opsPerSec: iterations / (total / 1000),
    cpuMsPerCall: (cpu.user + cpu.system) / 1000 / iterations,
  };
}

export function printStats(title: string, rows: Stats[], baseline?: Stats): void {
  console.log(`\n## ${title}`);
  const header = ['case', 'iterations', 'p50 ms', 'p99 ms', 'mean ms', 'ops/s', baseline ? 'p50 ratio' : ''];
  console.log(header.filter(Boolean).join('\t'));
  for (const r of rows) {
    const cells = [
      r.name,
      String(r.iterations),
      r.p50Ms.toFixed(4),
      r.p99Ms.toFixed(4),
      r.meanMs.toFixed(4),
      r.opsPerSec.toFixed(0),
    ];
    if (baseline) cells.push(`${(r.p50Ms / baseline.p50Ms).toFixed(2)}x`);
    console.log(cells.join('\t'));
  }
}
