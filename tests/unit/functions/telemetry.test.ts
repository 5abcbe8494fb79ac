import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createRoutes } from '../../../functions/routes.js';
import { InvocationContext } from '../../../functions/sdk.js';
import { startTelemetry } from '../../../functions/telemetry.js';
import { gatewayFixture, queryRequest } from '../../support/gateway-fixture.js';

describe('Application Insights tracing (functions/telemetry.ts)', () => {
  test('without a connection string nothing starts and the API stays a no-op', async () => {
    assert.equal(await startTelemetry({}), undefined);
    const span = trace.getTracer('probe').startSpan('probe');
    assert.equal(span.isRecording(), false);
    span.end();
  });

  test("a request's stage spans reach the exporter, with their durations and the failed stage marked", async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = await startTelemetry({}, { exporter });
    assert.ok(telemetry);
    try {
      const f = await gatewayFixture();
      f.connector.result = {
        columns: [{ name: 'n', type: 'int4' }],
        rows: [{ n: 1 }],
        rowCount: 1,
        truncated: false,
      };
      const query = createRoutes(async () => f.composed).find((r) => r.name === 'query');
      assert.ok(query);
      const res = await query.handler(
        queryRequest(f.agentToken, { sql: 'select 1 as n' }),
        new InvocationContext({ functionName: 'query' }),
      );
      assert.equal(res.status, 200);
      await telemetry.flush();
      const names = exporter.getFinishedSpans().map((s) => s.name);
      for (const stage of ['auth', 'analyse', 'decide', 'execute', 'audit']) {
        assert.ok(names.includes(`agentgate.${stage}`), `agentgate.${stage} in ${names.join(', ')}`);
      }
      exporter.reset();
      const refused = await query.handler(
        queryRequest('not-a-token', { sql: 'select 1 as n' }),
        new InvocationContext({ functionName: 'query' }),
      );
      assert.equal(refused.status, 401);
      await telemetry.flush();
      const auth = exporter.getFinishedSpans().find((s) => s.name === 'agentgate.auth');
      assert.ok(auth, 'the refused stage has its span');
      assert.equal(auth.status.code, 2, 'marked as an error');
    } finally {
      await telemetry.shutdown();
    }
  });

  test('with a connection string the Azure Monitor exporter sends to its ingestion endpoint', async () => {
    const telemetry = await startTelemetry({
      APPLICATIONINSIGHTS_CONNECTION_STRING:
        'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/',
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=x;Authorization=AAD',
    });
    assert.ok(telemetry);
    const span = trace.getTracer('probe').startSpan('probe');
    assert.equal(span.isRecording(), true, 'spans are recorded once a provider is registered');
    span.end();
    // Shutting down sends the span: to the ingestion endpoint the connection string names.
    await assert.rejects(telemetry.shutdown(), /ECONNREFUSED 127\.0\.0\.1:9/);
    assert.equal(trace.getTracer('probe').startSpan('after').isRecording(), false, 'and unregisters');
  });
});
