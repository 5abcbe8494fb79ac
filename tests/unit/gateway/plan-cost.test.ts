import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { parseConfig } from '../../../shared/config/connections.js';
import { PLAN_COST_POLICY } from '../../../shared/pipeline/estimate.js';
import { type Fixture, gatewayFixture, queryRequest } from '../../support/gateway-fixture.js';

/**
 * The plan cost gate: the planner's row guess of a cross join is "1 row", its cost is not.
 * An agent's statement whose plan costs more than the connection's `maxPlanCost` (default
 * 1,000,000) runs nothing and goes to approval; a target that cannot price plans is decided
 * as before. The fixture has no approval workflow, so approval answers 501 here (the
 * end-to-end tests see the 202 of a host with the workflow).
 */
const CROSS_JOIN = 'select count(*) from customers a, customers b, customers c';
/** What PGlite and PostgreSQL 15 price the cross join of the 10,000-customer demo at. */
const CROSS_JOIN_COST = 15_001_250_974.01;

describe('plan cost gate', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await gatewayFixture();
    f.connector.estimate = 1;
    f.connector.result = {
      columns: [{ name: 'count', type: 'int8' }],
      rows: [{ count: 1 }],
      rowCount: 1,
      truncated: false,
    };
  });

  test('an agent statement over the cost cap runs nothing and goes to approval, naming cost and cap', async () => {
    f.connector.cost = CROSS_JOIN_COST;
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: CROSS_JOIN }));
    assert.equal(res.status, 501, JSON.stringify(res.body));
    const error = (res.body as { error: { code: string; message: string; policyIds: string[] } }).error;
    assert.equal(error.code, 'approval_workflow_unavailable');
    assert.deepEqual(error.policyIds, [PLAN_COST_POLICY]);
    assert.equal(f.connector.executed.length, 0, 'nothing ran');
    const [record] = f.audit.all();
    assert.equal(record?.decision.outcome, 'approval');
    assert.deepEqual(record?.decision.policyIds, [PLAN_COST_POLICY]);
    const reason = record?.decision.reasons.join(' ') ?? '';
    assert.match(reason, /15001250975/, 'the reason names the cost');
    assert.match(reason, /1000000/, 'the reason names the cap');
  });

  test('a plan at or under the cap is decided on its rows as before', async () => {
    f.connector.cost = 1_000_000;
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: 'select count(*) from customers' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(f.connector.executed.length, 1);
  });

  test('a target that cannot price a plan (no cost, or no estimate at all) works as before', async () => {
    f.connector.cost = undefined;
    const unpriced = await f.gateway.query(queryRequest(f.agentToken, { sql: CROSS_JOIN }));
    assert.equal(unpriced.status, 200, JSON.stringify(unpriced.body));
    f.connector.estimate = null;
    const unestimated = await f.gateway.query(queryRequest(f.agentToken, { sql: CROSS_JOIN }));
    assert.equal(unestimated.status, 200, JSON.stringify(unestimated.body));
  });

  test('a denial wins over the cost: what policy forbids is denied, not held', async () => {
    f.connector.cost = CROSS_JOIN_COST;
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: 'select * from customers' }));
    assert.equal(res.status, 403);
    assert.equal((res.body as { error: { code: string } }).error.code, 'policy_denied');
  });

  test('the cap is an agent limit, like the byte cap: a person is not held by it', async () => {
    f.connector.cost = CROSS_JOIN_COST;
    const human = await f.issuer.mint({ user: 'olivia' });
    const res = await f.gateway.query(queryRequest(human, { sql: CROSS_JOIN }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(f.connector.estimateOptions.at(-1)?.maxPlanCost, undefined);
  });

  test('an agent estimate carries the cap, so a counted estimate never runs a plan over it', async () => {
    const res = await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select count(*) from customers where id < 10' }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(f.connector.estimateOptions.at(-1)?.maxPlanCost, 1_000_000);
  });
});

describe('maxPlanCost setting', () => {
  const connection = (extra: Record<string, unknown>) => ({
    connections: [{ id: 'c', engine: 'postgres', environment: 'dev', target: 'embedded-demo', ...extra }],
  });

  test('defaults to 1,000,000 and takes a positive number', () => {
    assert.equal(parseConfig(connection({})).connections[0]?.maxPlanCost, 1_000_000);
    assert.equal(parseConfig(connection({ maxPlanCost: 25_000.5 })).connections[0]?.maxPlanCost, 25_000.5);
  });

  test('refuses a cap that is not a positive number', () => {
    for (const bad of [0, -1, '1000', null]) {
      assert.throws(() => parseConfig(connection({ maxPlanCost: bad })), /maxPlanCost/);
    }
  });
});
