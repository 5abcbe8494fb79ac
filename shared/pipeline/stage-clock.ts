import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';

/** The stages of one request, in the order a request meets them. */
export type StageName =
  | 'auth'
  | 'analyse'
  | 'decide'
  | 'estimate'
  | 'execute'
  | 'mask'
  | 'release'
  | 'budget'
  | 'audit';

// A no-op tracer unless the host registers a provider (Application Insights in Azure).
const tracer = trace.getTracer('agentgate');

/**
 * The one wrapper every stage runs in: it adds the stage's duration to the request's timings
 * (the `Server-Timing` header and the audit record) and opens an OpenTelemetry span.
 */
export class StageClock {
  readonly #start = performance.now();
  readonly #stages = new Map<StageName, number>();

  async run<T>(stage: StageName, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    return tracer.startActiveSpan(`agentgate.${stage}`, async (span: Span) => {
      try {
        return await fn();
      } catch (e) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.name : 'error' });
        throw e;
      } finally {
        span.end();
        this.#stages.set(stage, (this.#stages.get(stage) ?? 0) + performance.now() - t0);
      }
    });
  }

  elapsedMs(): number {
    return performance.now() - this.#start;
  }

  stages(): Record<string, number> {
    return Object.fromEntries([...this.#stages].map(([k, v]) => [k, Math.round(v * 100) / 100]));
  }

  /** `Server-Timing` header value. */
  header(): string {
    return [...this.#stages].map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`).join(', ');
  }
}
