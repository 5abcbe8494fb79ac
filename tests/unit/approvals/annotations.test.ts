import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  approvalTerms,
  DEFAULT_EXPIRY_MS,
  parseExpiry,
  parseQuorum,
} from '../../../shared/approvals/index.js';
import { isGatewayError } from '../../../shared/errors.js';
import { loadPolicyEngineFromText } from '../../../shared/policy/index.js';
import { shippedSchemaText } from '../policy/fixtures.js';
import { POLICIES, world } from './world.js';

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

  it('combines several approval policies: a common group, the largest quorum, the shortest expiry', () => {
    const terms = approvalTerms(['bulk-read', 'bulk-read-two'], (id) => POLICIES[id]);
    assert.deepEqual(terms, { approverGroup: 'data-owners', quorum: 2, expiresInMs: 600_000 });
  });

  it('refuses policies with no group in common, an unknown policy, or none', () => {
    const annotations: Record<string, Record<string, string>> = {
      a: { approvers: 'dba' },
      b: { approvers: 'data-owners' },
    };
    assert.throws(() => approvalTerms(['a', 'b'], (id) => annotations[id]), policyError);
    assert.throws(() => approvalTerms(['a', 'nope'], (id) => annotations[id]), policyError);
    assert.throws(() => approvalTerms([], (id) => annotations[id]), policyError);
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

  it('the policy engine exposes each policy annotations and a digest of the set', async () => {
    const schema = await shippedSchemaText();
    const text = `@id("bulk")
@message("Bulk reads need approval.")
@outcome("approval")
@approvers("data-owners")
@quorum("2")
@expires("15m")
permit (principal is AgentGate::Agent, action == AgentGate::Action::"query", resource);`;
    const engine = loadPolicyEngineFromText([{ name: 'a.cedar', text }], schema);
    const terms = approvalTerms(['bulk'], (id) => engine.annotations(id));
    assert.deepEqual(terms, { approverGroup: 'data-owners', quorum: 2, expiresInMs: 900_000 });
    assert.equal(engine.annotations('nope'), undefined);
    assert.match(engine.digest(), /^[0-9a-f]{64}$/);
    const changed = loadPolicyEngineFromText([{ name: 'a.cedar', text: text.replace('"2"', '"3"') }], schema);
    assert.notEqual(changed.digest(), engine.digest());
    assert.equal(loadPolicyEngineFromText([{ name: 'b.cedar', text }], schema).digest(), engine.digest());
  });
});
