import type { TokenCredential } from '@azure/identity';
import { context, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * Sends the gateway's stage spans (shared/pipeline/stage-clock.ts, `@opentelemetry/api`) to
 * Application Insights when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set, and does nothing
 * otherwise: the API stays a no-op. Only the trace exporter and the trace SDK are loaded (the
 * full `@azure/monitor-opentelemetry` distro would add about 5 MB to the package for logs,
 * metrics and instrumentations the Functions host already provides), and only then, so a
 * worker without the setting never loads them. With Entra-only ingestion (the Bicep sets
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`), the exporter authenticates with the app's
 * managed identity.
 */
export interface TelemetryOptions {
  credential?: TokenCredential;
  /** Stands in for the Azure Monitor exporter (tests). */
  exporter?: SpanExporter;
}

export interface Telemetry {
  /** Sends what is buffered; a Functions worker may be frozen between invocations. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function startTelemetry(
  env: Record<string, string | undefined>,
  options: TelemetryOptions = {},
): Promise<Telemetry | undefined> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString && !options.exporter) return undefined;
  const [{ BasicTracerProvider, BatchSpanProcessor }, { AsyncLocalStorageContextManager }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/context-async-hooks'),
    ]);
  const exporter = options.exporter ?? (await azureExporter(connectionString ?? '', env, options.credential));
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  // Spans of one request nest (agentgate.request > agentgate.decide ...) across awaits.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
      }
    },
  };
}

async function azureExporter(
  connectionString: string,
  env: Record<string, string | undefined>,
  credential: TokenCredential | undefined,
): Promise<SpanExporter> {
  const { AzureMonitorTraceExporter } = await import('@azure/monitor-opentelemetry-exporter');
  const entraOnly = /Authorization=AAD/i.test(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '');
  return new AzureMonitorTraceExporter({
    connectionString,
    ...(entraOnly && credential ? { credential } : {}),
  });
}
