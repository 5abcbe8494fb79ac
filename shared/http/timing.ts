export type Stage = 'auth' | 'analyse' | 'decide' | 'execute' | 'mask' | 'budget' | 'audit';

/** Collects per-stage durations for the `Server-Timing` header and the audit record. */
export class StageTimer {
  readonly #start = performance.now();
  readonly #stages = new Map<Stage, number>();

  async time<T>(stage: Stage, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.#stages.set(stage, (this.#stages.get(stage) ?? 0) + performance.now() - t0);
    }
  }

  elapsedMs(): number {
    return performance.now() - this.#start;
  }

  header(): string {
    return [...this.#stages].map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`).join(', ');
  }
}
