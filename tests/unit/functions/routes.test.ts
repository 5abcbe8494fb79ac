import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routes, triggers } from '../../../functions/index.js';
import { createRoutes, noSuchRoute } from '../../../functions/routes.js';
import { HttpRequest, InvocationContext } from '../../../functions/sdk.js';
import { gatewayFixture, queryRequest } from '../../support/gateway-fixture.js';

describe('Azure Functions route table', () => {
  test('registers exactly the documented routes, methods and handlers', () => {
    assert.deepEqual(
      routes.map((r) => ({ name: r.name, methods: r.methods, route: r.route, authLevel: r.authLevel })),
      [
        {
          name: 'query',
          methods: ['POST'],
          route: 'v1/connections/{connection}/query',
          authLevel: 'anonymous',
        },
        { name: 'listConnections', methods: ['GET'], route: 'v1/connections', authLevel: 'anonymous' },
        {
          name: 'describeConnection',
          methods: ['GET'],
          route: 'v1/connections/{connection}/schema',
          authLevel: 'anonymous',
        },
        {
          name: 'listBlobs',
          methods: ['GET'],
          route: 'v1/connections/{connection}/blobs',
          authLevel: 'anonymous',
        },
        {
          name: 'readBlob',
          methods: ['GET'],
          route: 'v1/connections/{connection}/blobs/content',
          authLevel: 'anonymous',
        },
        { name: 'searchAudit', methods: ['GET'], route: 'v1/audit', authLevel: 'anonymous' },
        { name: 'auditLaneHeads', methods: ['GET'], route: 'v1/audit/lanes', authLevel: 'anonymous' },
        { name: 'auditLaneEvents', methods: ['GET'], route: 'v1/audit/lanes/{lane}', authLevel: 'anonymous' },
        { name: 'auditCheckpoints', methods: ['GET'], route: 'v1/audit/checkpoints', authLevel: 'anonymous' },
        { name: 'auditJwks', methods: ['GET'], route: 'v1/audit/jwks', authLevel: 'anonymous' },
        { name: 'auditSessions', methods: ['GET'], route: 'v1/audit/sessions', authLevel: 'anonymous' },
        { name: 'auditTrace', methods: ['GET'], route: 'v1/audit/{requestId}', authLevel: 'anonymous' },
        { name: 'requestStatus', methods: ['GET'], route: 'v1/requests/{id}', authLevel: 'anonymous' },
        { name: 'cancelRequest', methods: ['DELETE'], route: 'v1/requests/{id}', authLevel: 'anonymous' },
        { name: 'requestResult', methods: ['GET'], route: 'v1/requests/{id}/result', authLevel: 'anonymous' },
        { name: 'listApprovals', methods: ['GET'], route: 'v1/approvals', authLevel: 'anonymous' },
        {
          name: 'submitDecision',
          methods: ['POST'],
          route: 'v1/approvals/{id}/decision',
          authLevel: 'anonymous',
        },
        { name: 'health', methods: ['GET'], route: 'health', authLevel: 'anonymous' },
        { name: 'approvalPage', methods: ['GET'], route: 'approve/{id}', authLevel: 'anonymous' },
        { name: 'approvalSignIn', methods: ['GET'], route: 'approve', authLevel: 'anonymous' },
        { name: 'approvalAsset', methods: ['GET'], route: 'assets/{file}', authLevel: 'anonymous' },
        { name: 'openapi', methods: ['GET'], route: 'openapi.json', authLevel: 'anonymous' },
        { name: 'mcp', methods: ['POST', 'GET', 'DELETE'], route: 'mcp', authLevel: 'anonymous' },
        {
          name: 'mcpResourceMetadata',
          methods: ['GET'],
          route: '.well-known/oauth-protected-resource',
          authLevel: 'anonymous',
        },
        {
          name: 'mcpResourceMetadataForPath',
          methods: ['GET'],
          route: '.well-known/oauth-protected-resource/mcp',
          authLevel: 'anonymous',
        },
      ],
    );
    for (const r of routes) assert.equal(typeof r.handler, 'function');
  });

  test('registers exactly the trigger table: approval and callback consumers on Service Bus, expiry, checkpoint and verification timers', () => {
    assert.deepEqual(triggers, [
      { name: 'notifyApprovers', kind: 'queue', queue: 'approval-requests' },
      { name: 'applyDecisions', kind: 'queue', queue: 'approval-decisions' },
      { name: 'deliverCallbacks', kind: 'queue', queue: 'callbacks' },
      { name: 'expireApprovals', kind: 'timer', schedule: '0 * * * * *' },
      { name: 'sealAuditCheckpoint', kind: 'timer', schedule: '30 * * * * *' },
      { name: 'verifyAuditWindow', kind: 'timer', schedule: '45 * * * * *' },
    ]);
  });

  test('a gateway that cannot start (no settings) refuses with 503 JSON, never a stack trace', async () => {
    const health = routes.find((r) => r.name === 'health');
    assert.ok(health);
    const errors: unknown[] = [];
    const ctx = new InvocationContext({ functionName: 'health', logHandler: (_l, ...a) => errors.push(a) });
    const res = await health.handler(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }),
      ctx,
    );
    assert.equal(res.status, 503);
    assert.equal(JSON.parse(String(res.body)).error.code, 'gateway_unavailable');
    assert.ok(errors.length > 0, 'the start failure is logged');
  });

  test('handlers take real HttpRequest/InvocationContext objects and return HttpResponseInit', async () => {
    const f = await gatewayFixture();
    f.connector.result = {
      columns: [{ name: 'n', type: 'int4' }],
      rows: [{ n: 1 }],
      rowCount: 1,
      truncated: false,
    };
    const table = createRoutes(async () => f.composed);
    const query = table.find((r) => r.name === 'query');
    assert.ok(query);
    const res = await query.handler(
      queryRequest(f.agentToken, { sql: 'select 1 as n' }),
      new InvocationContext({ functionName: 'query' }),
    );
    assert.equal(res.status, 200);
    const headers = res.headers as Record<string, string>;
    assert.match(headers['server-timing'], /execute;dur=/);
    assert.deepEqual(JSON.parse(String(res.body)).rows, [{ n: 1 }]);
  });

  test('an unknown path under api/ answers the JSON 404 with a request id, not the empty host 404', async () => {
    assert.equal(noSuchRoute.route, '{*path}');
    assert.equal(
      routes.some((r) => r.name === noSuchRoute.name),
      false,
      'the catch-all is not a row of the table (the local host would lose its 405s)',
    );
    const res = await noSuchRoute.handler(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/v1/nosuch' }),
      new InvocationContext({ functionName: 'noSuchRoute' }),
    );
    assert.equal(res.status, 404);
    const headers = res.headers as Record<string, string>;
    const body = JSON.parse(String(res.body));
    assert.equal(body.error.code, 'not_found');
    assert.equal(headers['x-request-id'], body.requestId);
    assert.match(headers['content-type'], /application\/json/);
  });
});
