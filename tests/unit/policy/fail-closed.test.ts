import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_POLICY_ID, loadPolicyEngine, loadPolicyEngineFromText } from '../../../shared/policy/index.js';
import type { DecisionRequest } from '../../../shared/types.js';
import { agent, queryRequest, SHIPPED_POLICY_DIR, shippedSchemaText } from './fixtures.js';

function assertError(decision: ReturnType<ReturnType<typeof loadPolicyEngineFromText>['decide']>): void {
  assert.equal(decision.outcome, 'deny');
  assert.deepEqual(decision.policyIds, [ERROR_POLICY_ID]);
  assert.equal(decision.reasons.length, 1);
  assert.deepEqual(decision.obligations, {});
}

describe('failing closed', () => {
  it('denies with "error" when a policy fails during evaluation, even if another permits', async () => {
    // Validates against the schema, but overflows a Long at run time.
    const overflow = [
      '@id("overflow") @message("m")',
      'forbid (principal, action == AgentGate::Action::"query", resource)',
      'when { context.statementCount * 9223372036854775807 > 0 };',
      '@id("all") @message("anything goes") permit (principal, action, resource);',
    ].join('\n');
    const engine = loadPolicyEngineFromText([{ name: 'x.cedar', text: overflow }], await shippedSchemaText());
    const decision = engine.decide(queryRequest(agent(), { facts: { statementCount: 2 } }));
    assertError(decision);
    assert.match(decision.reasons[0], /overflow/);
    // The same engine still decides normally when nothing errors.
    assert.equal(engine.decide(queryRequest(agent(), { facts: { statementCount: 0 } })).outcome, 'allow');
  });

  it('denies with "error" when the context does not match the schema', async () => {
    const engine = await loadPolicyEngine(SHIPPED_POLICY_DIR);
    const request = queryRequest(agent());
    assertError(engine.decide({ ...request, context: { ...request.context, statementCount: 'one' } }));
    const { hour: _dropped, ...withoutHour } = request.context;
    assertError(engine.decide({ ...request, context: withoutHour }));
    assertError(engine.decide({ ...request, context: { ...request.context, limit: 1.5 } }));
  });

  it('denies with "error" when action and resource do not fit together', async () => {
    const engine = await loadPolicyEngine(SHIPPED_POLICY_DIR);
    const request: DecisionRequest = {
      principal: agent(),
      action: 'query',
      resource: { type: 'Gateway', id: 'gateway' },
      context: queryRequest(agent()).context,
    };
    assertError(engine.decide(request));
  });

  it('never throws out of decide', async () => {
    const engine = await loadPolicyEngine(SHIPPED_POLICY_DIR);
    const broken = { ...queryRequest(agent()), principal: null } as unknown as DecisionRequest;
    assertError(engine.decide(broken));
  });
});
