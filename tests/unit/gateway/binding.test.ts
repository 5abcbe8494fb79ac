import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HttpRequest } from '../../../functions/sdk.js';
import { composeGateway } from '../../../shared/compose.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { createTokenVerifier, loadOrCreateDevIssuer } from '../../../shared/identity/index.js';
import { loadPolicyEngine } from '../../../shared/policy/index.js';
import { FakeConnector } from '../../support/fake-connector.js';
import { POLICY_DIR, queryRequest } from '../../support/gateway-fixture.js';
import { MemoryAuditStore } from '../../support/memory-audit-store.js';

/**
 * Changes that once survived the whole suite: the policy's row cap dropped from the
 * effective limit, and connections listed regardless of policy. These tests make each fail.
 */
async function gatewayWith(policyDir: string) {
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-binding-'));
  const issuer = await loadOrCreateDevIssuer({ dir, issuer: 'http://localhost/agentgate-dev' });
  const connector = new FakeConnector();
  connector.result = {
    columns: [{ name: 'id', type: 'int4' }],
    rows: [{ id: 1 }],
    rowCount: 1,
    truncated: false,
  };
  const exposure = { 'public.customers': {}, 'public.orders': {} };
  const config = parseConfig({
    connections: [
      // A connection cap far above the agent policy's @maxRows("1000"): the policy must bind.
      {
        id: 'wide',
        engine: 'postgres',
        environment: 'dev',
        target: 'embedded-demo',
        maxRows: 50_000,
        exposure,
      },
      {
        id: 'restricted',
        engine: 'postgres',
        environment: 'dev',
        tags: ['restricted'],
        target: 'embedded-demo',
        exposure,
      },
    ],
  });
  const gateway = composeGateway({
    verifier: createTokenVerifier({
      dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
    }),
    policy: await loadPolicyEngine(policyDir),
    config,
    connectorFor: () => connector,
    audit: new MemoryAuditStore(),
    maskingKey: 'unit-test-masking-key-0123456789',
    log: () => {},
  });
  return { api: gateway.api, connector, token: await issuer.mint({ agent: 'binding-agent' }) };
}

function get(token: string, path: string, params: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method: 'GET',
    url: `http://localhost/api/${path}`,
    headers: { authorization: `Bearer ${token}` },
    params,
  });
}

describe('what the policy says binds the gateway', () => {
  test("the policy's row cap is the effective limit when it is the tightest", async () => {
    const { api, connector, token } = await gatewayWith(POLICY_DIR);
    const res = await api.query(
      queryRequest(token, { sql: 'select id from customers where id < 5' }, 'wide'),
    );
    assert.equal(res.status, 200);
    assert.equal(connector.executed.length, 1);
    assert.equal(
      connector.executed[0]?.options.maxRows,
      1000,
      'agent-read @maxRows("1000"), not the 50,000 cap',
    );
    // A caller asking for fewer gets fewer; asking for more never gets more than the policy.
    await api.query(
      queryRequest(token, { sql: 'select id from customers where id < 5', maxRows: 7 }, 'wide'),
    );
    assert.equal(connector.executed[1]?.options.maxRows, 7);
    await api.query(
      queryRequest(token, { sql: 'select id from customers where id < 5', maxRows: 40_000 }, 'wide'),
    );
    assert.equal(connector.executed[2]?.options.maxRows, 1000);
  });

  test('a connection the policy forbids is hidden from listing and description, and refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentgate-policies-'));
    await cp(POLICY_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, 'restricted.cedar'),
      `@id("agents-not-restricted")
@message("Agents may not use restricted connections.")
forbid (principal is AgentGate::Agent, action == AgentGate::Action::"query", resource)
when { resource.tags.contains("restricted") };
`,
    );
    const { api, connector, token } = await gatewayWith(dir);
    const list = await api.listConnections(get(token, 'v1/connections'));
    assert.equal(list.status, 200);
    const ids = (list.body as { connections: Array<{ id: string }> }).connections.map((c) => c.id);
    assert.deepEqual(ids, ['wide']);
    const described = await api.describeConnection(
      get(token, 'v1/connections/restricted/schema', { connection: 'restricted' }),
    );
    assert.equal(described.status, 404);
    const refused = await api.query(
      queryRequest(token, { sql: 'select id from customers where id = 1' }, 'restricted'),
    );
    assert.equal(refused.status, 403);
    assert.equal(connector.executed.length, 0, 'nothing reached the target');
  });
});
