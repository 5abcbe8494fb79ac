import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ERROR_STATUS } from '../../../shared/errors.js';
import { OPERATIONS, openApiDocument, openApiResponse } from '../../../shared/rest/openapi.js';
import { ROUTES } from '../../../shared/rest/routes.js';
import { queryBodySchema } from '../../../shared/use-cases/inputs.js';
import {
  connectionListSchema,
  connectionSchemaSchema,
  healthSchema,
  pendingApprovalSchema,
  queryResultSchema,
} from '../../../shared/use-cases/outputs.js';

type Json = Record<string, unknown>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI document', () => {
  const doc = openApiDocument(ROUTES);
  const paths = doc.paths as Record<string, Record<string, Json>>;

  test('is a valid OpenAPI 3.1 document (maintained validator)', async () => {
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.match(String(doc.openapi), /^3\.1\./);
  });

  test('the validator is not a rubber stamp: a broken document fails', async () => {
    const broken = structuredClone(doc);
    (broken.paths as Record<string, Json>)['/v1/connections'] = { get: { responses: 'none' } };
    const result = await new Validator().validate(broken);
    assert.equal(result.valid, false);
  });

  test('every route of the route table appears, with each of its methods, described', () => {
    for (const route of ROUTES) {
      const item = paths[`/${route.route}`];
      assert.ok(item, `path /${route.route} (${route.name})`);
      for (const method of route.methods) {
        const op = item[method.toLowerCase()];
        assert.ok(op, `${method} /${route.route}`);
        assert.equal(op['x-undocumented'], undefined, `route ${route.name} has no entry in OPERATIONS`);
        assert.ok(String(op.operationId).startsWith(route.name));
      }
    }
    const operations = Object.values(paths).flatMap((item) => METHODS.filter((m) => m in item));
    assert.equal(
      operations.length,
      ROUTES.reduce((n, r) => n + r.methods.length, 0),
      'nothing but the route table',
    );
  });

  test('root rows are served from the host root, REST rows under /api', () => {
    assert.deepEqual(doc.servers, [{ url: '/api', description: expectString(doc.servers) }]);
    for (const route of ROUTES) {
      const servers = paths[`/${route.route}`].servers as unknown as Array<{ url: string }> | undefined;
      assert.equal(servers?.[0]?.url, route.root ? '/' : undefined, route.name);
    }
  });

  test('error codes come from ERROR_STATUS, grouped under their status, with an example each', () => {
    const query = paths['/v1/connections/{connection}/query'].post as { responses: Record<string, Json> };
    for (const code of [
      'policy_denied',
      'invalid_token',
      'approval_workflow_unavailable',
      'audit_unavailable',
    ] as const) {
      const response = query.responses[String(ERROR_STATUS[code])] as {
        description: string;
        content: { 'application/json': { examples: Record<string, { value: { error: { code: string } } }> } };
      };
      assert.ok(response, code);
      assert.match(response.description, new RegExp(code));
      assert.equal(response.content['application/json'].examples[code].value.error.code, code);
    }
    assert.deepEqual(
      (query.responses['202'] as { content: Record<string, { schema: unknown }> }).content['application/json']
        .schema,
      {
        $ref: '#/components/schemas/PendingApproval',
      },
    );
    const health = paths['/health'].get as { responses: Json; security: unknown[] };
    assert.deepEqual(Object.keys(health.responses), ['200']);
    assert.deepEqual(health.security, []);
  });

  test('schemas are generated from the zod schemas, and the examples satisfy them', () => {
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    const body = schemas.QueryRequest as {
      properties: Record<string, Json>;
      required: string[];
      additionalProperties: boolean;
    };
    assert.deepEqual(Object.keys(body.properties).sort(), [
      'callbackUrl',
      'maxRows',
      'params',
      'purpose',
      'sql',
    ]);
    assert.deepEqual(body.required, ['sql']);
    assert.equal(body.additionalProperties, false);
    assert.equal((body.properties.sql as { maxLength: number }).maxLength, 100_000);
    const checks = [
      [OPERATIONS.query.body?.example, queryBodySchema],
      [OPERATIONS.query.response?.example, queryResultSchema],
      [OPERATIONS.listConnections.response?.example, connectionListSchema],
      [OPERATIONS.describeConnection.response?.example, connectionSchemaSchema],
      [OPERATIONS.health.response?.example, healthSchema],
      [OPERATIONS.query.also?.example, pendingApprovalSchema],
    ] as const;
    for (const [example, schema] of checks) {
      const parsed = schema.safeParse(example);
      assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
    }
    const audit = paths['/v1/audit'].get as { parameters: Array<{ name: string; in: string }> };
    assert.ok(audit.parameters.some((p) => p.name === 'transport' && p.in === 'query'));
  });

  test('served as JSON, once computed', () => {
    const res = openApiResponse(ROUTES);
    assert.equal(res.status, 200);
    assert.equal(res.body, openApiResponse(ROUTES).body);
    assert.match(res.headers['content-type'], /application\/json/);
  });
});

function expectString(servers: unknown): string {
  const first = (servers as Array<{ description: string }>)[0];
  assert.equal(typeof first.description, 'string');
  return first.description;
}
