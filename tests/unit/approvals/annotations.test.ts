import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  approvalTerms,
  DEFAULT_EXPIRY_MS,
  parseExpiry,
  parseQuorum,
} from '../../../shared/approvals/index.js';
import { isGatewayError } from '../../../shared/errors.js';
import { gatewayApproval } from '../../../shared/pipeline/decide.js';
import { loadPolicyEngineFromText } from '../../../shared/policy/index.js';
import { agent, connection, queryRequest, shippedSchemaText } from '../policy/fixtures.js';
import { approvalObligationOf, POLICIES, world } from './world.js';

const policyError = (e: unknown) => isGatewayError(e) && e.code === 'policy_error';

describe('approval annotations', () => {
  it('reads durations and quorums, with defaults of 30 minutes and 1', () => {
    assert.equal(parseExpiry(undefined, 'p'), DEFAULT_EXPIRY_MS);
    assert.equal(parseExpiry('90s', 'p'), 90_000);
    assert.equal(parseExpiry('30m', 'p'), 1_800_000);
    assert.equal(parseExpiry('2h', 'p'), 7_200_000);
    assert.equal(parseExpiry('1d', 'p'), 86_400_000);
    assert.equal(parseQuorum(undefined, 'p'), 1);
    assert.equal(parseQuorum('2', 'p'), 2);
  });

  it('refuses anything else with policy_error', () => {
    for (const bad of ['', '0m', '30', 'm', '1.5h', '-5m', '30 m', '8d', '1w', '30M']) {
      assert.throws(() => parseExpiry(bad, 'p'), policyError, bad);
    }
    for (const bad of ['', '0', '-1', '1.0', '11', 'two', ' 2']) {
      assert.throws(() => parseQuorum(bad, 'p'), policyError, bad);
    }
  });

  const termsOf = (ids: string[]) => ids.map((id) => approvalObligationOf(id, POLICIES[id]));

  it('combines several approval policies: a common group, the largest quorum, the shortest expiry', () => {
    const terms = approvalTerms(['bulk-read', 'bulk-read-two'], termsOf(['bulk-read', 'bulk-read-two']));
    assert.deepEqual(terms, { approverGroup: 'data-owners', quorum: 2, expiresInMs: 600_000 });
  });

  it('refuses policies with no group in common, a policy without terms, or none', () => {
    const a = { policyId: 'a', approvers: ['dba'] };
    const b = { policyId: 'b', approvers: ['data-owners'] };
    assert.throws(() => approvalTerms(['a', 'b'], [a, b]), policyError);
    assert.throws(() => approvalTerms(['a', 'nope'], [a]), policyError);
    assert.throws(() => approvalTerms([], []), policyError);
    assert.deepEqual(approvalTerms(['a'], [a]).approverGroup, 'dba');
  });

  it('refuses terms that name no approver, terms of a rule the decision does not name, or twice', () => {
    const a = { policyId: 'a', approvers: ['dba'] };
    assert.throws(() => approvalTerms(['a'], []), policyError);
    assert.throws(() => approvalTerms(['a'], [{ policyId: 'a', approvers: [] }]), policyError);
    assert.throws(() => approvalTerms(['a'], [{ policyId: 'a', approvers: [' '] }]), policyError);
    assert.throws(() => approvalTerms(['a'], [a, { policyId: 'b', approvers: ['dba'] }]), policyError);
    assert.throws(() => approvalTerms(['a'], [a, a]), policyError);
  });

  it("the gateway's own approval carries the connection's approvers; nothing else does", () => {
    const d = gatewayApproval('gateway-budget', 'over budget', 'finance-owners, dba');
    assert.deepEqual(d.obligations.approvals, [
      { policyId: 'gateway-budget', approvers: ['finance-owners', 'dba'] },
    ]);
    assert.equal(approvalTerms(d.policyIds, d.obligations.approvals ?? []).approverGroup, 'finance-owners');
    // Approvers that name no group leave a decision nobody may approve: it is not stored.
    const none = gatewayApproval('gateway-budget', 'over budget', ' , ');
    assert.throws(() => approvalTerms(none.policyIds, none.obligations.approvals ?? []), policyError);
  });

  it('a request stores the terms of its policies', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'] });
    assert.equal(request.approverGroup, 'data-owners');
    assert.equal(request.quorum, 2);
    assert.equal(Date.parse(request.expiresAt) - Date.parse(request.createdAt), 600_000);
    const plain = await w.create();
    assert.equal(plain.quorum, 1);
    assert.equal(Date.parse(plain.expiresAt) - Date.parse(plain.createdAt), 30 * 60_000);
  });

  it('a request is not stored when its annotations are unusable', async () => {
    const w = world();
    await assert.rejects(w.create({ policyIds: ['unknown'] }), policyError);
    assert.deepEqual(await w.requests.list({ status: 'pending', limit: 10 }), []);
  });

  it('the policy engine carries each approval policy terms on its decision, and a digest of the set', async () => {
    const schema = await shippedSchemaText();
    const text = `@id("bulk")
@message("Bulk reads need approval.")
@outcome("approval")
@approvers("data-owners")
@quorum("2")
@expires("15m")
permit (principal is AgentGate::Agent, action == AgentGate::Action::"query", resource);`;
    const engine = loadPolicyEngineFromText([{ name: 'a.cedar', text }], schema);
    const decision = engine.decide({
      principal: agent(),
      action: 'query',
      resource: connection(),
      context: queryRequest(agent()).context,
    });
    assert.equal(decision.outcome, 'approval');
    assert.deepEqual(decision.obligations.approvals, [
      { policyId: 'bulk', approvers: ['data-owners'], quorum: '2', expires: '15m' },
    ]);
    const terms = approvalTerms(decision.policyIds, decision.obligations.approvals ?? []);
    assert.deepEqual(terms, { approverGroup: 'data-owners', quorum: 2, expiresInMs: 900_000 });
    assert.equal(engine.annotations('bulk')?.quorum, '2');
    assert.equal(engine.annotations('nope'), undefined);
    assert.match(engine.digest(), /^[0-9a-f]{64}$/);
    const changed = loadPolicyEngineFromText([{ name: 'a.cedar', text: text.replace('"2"', '"3"') }], schema);
    assert.notEqual(changed.digest(), engine.digest());
    assert.equal(loadPolicyEngineFromText([{ name: 'b.cedar', text }], schema).digest(), engine.digest());
  });
});
