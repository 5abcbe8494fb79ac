import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { demoConfig } from '../../../cli/dev/host.js';
import type { ConnectionConfig } from '../../../shared/config/connections.js';
import { prepareQueryDecision } from '../../../shared/decide-query.js';
import { loadPolicyEngine, type PolicyEngine } from '../../../shared/policy/index.js';
import { analysePostgres } from '../../../shared/sql/postgres.js';
import type { Principal } from '../../../shared/types.js';
import { DEMO_CATALOG } from '../../support/demo-catalog.js';
import { POLICY_DIR } from '../../support/gateway-fixture.js';

const BASE = {
  tenantId: undefined,
  appId: undefined,
  name: undefined,
  roles: [],
  scopes: [],
  onBehalfOf: undefined,
  issuer: 'http://localhost/agentgate-dev',
  tokenId: undefined,
};
const AGENT: Principal = { ...BASE, kind: 'agent', id: 'agent-1', appId: 'agent-1', groups: [] };
const STEWARD: Principal = { ...BASE, kind: 'human', id: 'sam', groups: ['data-stewards'] };

describe('which predicate columns count as masked', () => {
  let policy: PolicyEngine;
  let connection: ConnectionConfig;
  before(async () => {
    policy = await loadPolicyEngine(POLICY_DIR);
    connection = demoConfig().connections.find((c) => c.id === 'demo') as ConnectionConfig;
  });

  const masked = async (sql: string, principal = AGENT, withCatalog = true) => {
    const facts = await analysePostgres(sql, { catalog: DEMO_CATALOG });
    return prepareQueryDecision({
      policy,
      principal,
      connection,
      facts,
      requestedMaxRows: 1000,
      purpose: undefined,
      now: new Date('2026-01-01T00:00:00Z'),
      ...(withCatalog ? { catalog: DEMO_CATALOG } : {}),
    }).maskedPredicates;
  };

  test('unclassified free text the scan masks counts, as a classified column does', async () => {
    assert.deepEqual(await masked("select id from support_tickets where body like '%4111%'"), [
      'public.support_tickets.body',
    ]);
    assert.deepEqual(await masked("select id from customers where email like 'a%'"), [
      'public.customers.email',
    ]);
    assert.deepEqual(await masked('select length(body) from support_tickets where id = 1'), [
      'public.support_tickets.body',
    ]);
  });

  test('columns marked public, and columns of types that hold no text, do not', async () => {
    assert.deepEqual(await masked("select id from customers where city = 'Lisbon'"), []);
    assert.deepEqual(await masked("select id from support_tickets where subject = 'Cannot log in'"), []);
    assert.deepEqual(
      await masked(
        "select id from orders where amount > 10 and created_at > '2024-01-01' and customer_id = 3",
      ),
      [],
    );
  });

  test('a caller who may see the class in clear is not held back', async () => {
    assert.deepEqual(await masked("select id from customers where email like 'a%'", STEWARD), []);
  });

  test('without a catalog (offline checks) only classes count', async () => {
    assert.deepEqual(
      await masked("select id from support_tickets where body like '%4111%'", AGENT, false),
      [],
    );
  });
});
