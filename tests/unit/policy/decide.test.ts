import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadPolicyEngine, type PolicyEngine } from '../../../shared/policy/index.js';
import type { Decision, DecisionRequest, Principal } from '../../../shared/types.js';
import { agent, human, queryRequest, SHIPPED_POLICY_DIR } from './fixtures.js';

let engine: PolicyEngine;
before(async () => {
  engine = await loadPolicyEngine(SHIPPED_POLICY_DIR);
});

function assertDeniedBy(decision: Decision, policyId: string): void {
  assert.equal(decision.outcome, 'deny');
  assert.ok(decision.policyIds.includes(policyId), `expected ${policyId} in ${decision.policyIds.join(',')}`);
  assert.equal(decision.reasons.length, decision.policyIds.length);
}

function unmask(principal: Principal, dataClass: string): DecisionRequest {
  return { principal, action: 'unmask', resource: { type: 'DataClass', id: dataClass }, context: {} };
}

function auditRead(principal: Principal): DecisionRequest {
  return { principal, action: 'audit.read', resource: { type: 'Gateway', id: 'gateway' }, context: {} };
}

describe('agent queries', () => {
  it('allows a simple read with the agent-read row cap', () => {
    const decision = engine.decide(queryRequest(agent()));
    assert.deepEqual(decision, {
      outcome: 'allow',
      policyIds: ['agent-read'],
      reasons: ['Agents may run a single read statement without dangerous functions.'],
      obligations: { maxRows: 1000 },
    });
  });

  it('denies SELECT * on a prod connection', () => {
    const decision = engine.decide(queryRequest(agent(), { facts: { selectStar: true } }));
    assert.deepEqual(decision.policyIds, ['agent-no-select-star-prod']);
    assert.match(decision.reasons[0], /SELECT \*/);
    assert.equal(decision.outcome, 'deny');
  });

  it('allows SELECT * on a dev connection', () => {
    const decision = engine.decide(
      queryRequest(agent(), { facts: { selectStar: true }, environment: 'dev' }),
    );
    assert.equal(decision.outcome, 'allow');
    assert.deepEqual(decision.policyIds, ['agent-read']);
  });

  for (const effect of ['write', 'ddl', 'admin', 'exec'] as const) {
    it(`denies a ${effect} statement`, () => {
      const decision = engine.decide(queryRequest(agent(), { facts: { effect } }));
      assertDeniedBy(decision, 'agent-no-write');
      assert.match(decision.reasons.join(' '), /only read/);
    });
  }

  it('denies a dangerous function', () => {
    const decision = engine.decide(
      queryRequest(agent(), { facts: { functions: ['pg_read_file'], dangerousFunctions: ['pg_read_file'] } }),
    );
    assert.deepEqual(decision.policyIds, ['agent-no-dangerous-functions']);
    assert.equal(decision.outcome, 'deny');
  });

  it('denies stacked statements', () => {
    const decision = engine.decide(queryRequest(agent(), { facts: { statementCount: 2 } }));
    assert.deepEqual(decision.policyIds, ['agent-no-stacked']);
    assert.equal(decision.outcome, 'deny');
  });

  it('names every forbid that applies', () => {
    const decision = engine.decide(queryRequest(agent(), { facts: { effect: 'write', statementCount: 3 } }));
    assert.deepEqual(decision.policyIds, ['agent-no-stacked', 'agent-no-write']);
    assert.equal(decision.reasons.length, 2);
  });

  it('sends a bulk read to data owners for approval', () => {
    const decision = engine.decide(queryRequest(agent(), { estimatedRows: 5000 }));
    assert.equal(decision.outcome, 'approval');
    assert.deepEqual(decision.policyIds, ['agent-bulk-read-approval']);
    assert.deepEqual(decision.obligations, {
      approvals: [{ policyId: 'agent-bulk-read-approval', approvers: ['data-owners'] }],
      maxRows: 100000,
    });
  });

  it('does not ask for approval at the threshold', () => {
    assert.equal(engine.decide(queryRequest(agent(), { estimatedRows: 1000 })).outcome, 'allow');
  });

  it('fails closed on size: an unknown estimate needs approval', () => {
    const decision = engine.decide(queryRequest(agent(), { estimatedRows: null }));
    assert.equal(decision.outcome, 'approval');
    assert.deepEqual(decision.policyIds, ['agent-unknown-estimate-approval']);
    assert.deepEqual(decision.obligations, {
      approvals: [{ policyId: 'agent-unknown-estimate-approval', approvers: ['data-owners'] }],
      maxRows: 1000,
    });
  });

  it('lets deny beat approval', () => {
    const decision = engine.decide(
      queryRequest(agent(), { estimatedRows: 5000, facts: { selectStar: true } }),
    );
    assert.equal(decision.outcome, 'deny');
    assert.deepEqual(decision.policyIds, ['agent-no-select-star-prod']);
    assert.deepEqual(decision.obligations, {});
  });

  it('asks for approval when an agent filters on a masked column', () => {
    const decision = engine.decide(queryRequest(agent(), { predicateOnMasked: true }));
    assert.equal(decision.outcome, 'approval');
    assert.deepEqual(decision.policyIds, ['agent-predicate-on-masked-approval']);
    assert.deepEqual(decision.obligations, {
      approvals: [{ policyId: 'agent-predicate-on-masked-approval', approvers: ['data-owners'] }],
      maxRows: 1000,
    });
  });

  it('joins approvals: both reasons, the approvers of each, the tightest cap', () => {
    const decision = engine.decide(queryRequest(agent(), { predicateOnMasked: true, estimatedRows: 5000 }));
    assert.equal(decision.outcome, 'approval');
    assert.deepEqual(decision.policyIds, ['agent-bulk-read-approval', 'agent-predicate-on-masked-approval']);
    assert.deepEqual(decision.obligations, {
      approvals: [
        { policyId: 'agent-bulk-read-approval', approvers: ['data-owners'] },
        { policyId: 'agent-predicate-on-masked-approval', approvers: ['data-owners'] },
      ],
      maxRows: 1000,
    });
  });

  it('denies export to agents by default', () => {
    const request = { ...queryRequest(agent()), action: 'export' as const };
    const decision = engine.decide(request);
    assert.deepEqual(decision, {
      outcome: 'deny',
      policyIds: [],
      reasons: ['no policy permits this request'],
      obligations: {},
    });
  });
});

describe('human queries', () => {
  it('allows a read without a row cap', () => {
    const decision = engine.decide(queryRequest(human()));
    assert.deepEqual(decision, {
      outcome: 'allow',
      policyIds: ['human-read'],
      reasons: ['People may run a single read statement without dangerous functions.'],
      obligations: {},
    });
  });

  it('sends a write to the DBAs', () => {
    const decision = engine.decide(queryRequest(human(), { facts: { effect: 'write' } }));
    assert.equal(decision.outcome, 'approval');
    assert.deepEqual(decision.obligations.approvals, [
      { policyId: 'human-write-approval', approvers: ['dba'] },
    ]);
  });

  it('never runs admin or exec', () => {
    for (const effect of ['admin', 'exec'] as const) {
      assertDeniedBy(engine.decide(queryRequest(human(), { facts: { effect } })), 'human-no-admin-exec');
    }
  });

  it('is not caught by agent rules', () => {
    const decision = engine.decide(
      queryRequest(human(), { facts: { selectStar: true }, estimatedRows: 5000 }),
    );
    assert.equal(decision.outcome, 'allow');
  });
});

describe('unmask, audit and approve', () => {
  const steward = human({ groups: ['data-stewards'] });

  it('never unmasks for an agent, even in the stewards group', () => {
    assertDeniedBy(
      engine.decide(unmask(agent({ groups: ['data-stewards'] }), 'pii.email')),
      'agents-never-unmask',
    );
  });

  it('unmasks pii for a data steward', () => {
    const decision = engine.decide(unmask(steward, 'pii.email'));
    assert.equal(decision.outcome, 'allow');
    assert.deepEqual(decision.policyIds, ['unmask-data-stewards']);
  });

  it('never unmasks secrets, however they are spelt', () => {
    for (const id of ['secret', 'secret.azure_storage_key', 'Secret.JWT']) {
      assertDeniedBy(engine.decide(unmask(steward, id)), 'secrets-never-unmask');
    }
  });

  it('denies unmask to a person outside the stewards group', () => {
    const decision = engine.decide(unmask(human({ groups: ['analysts'] }), 'pii.email'));
    assert.equal(decision.outcome, 'deny');
    assert.deepEqual(decision.policyIds, []);
  });

  it('lets auditors read the audit log, by role or by group', () => {
    assert.equal(engine.decide(auditRead(human({ roles: ['Auditor'] }))).outcome, 'allow');
    assert.equal(engine.decide(auditRead(human({ groups: ['auditors'] }))).outcome, 'allow');
  });

  it('denies audit.read to an agent without the role', () => {
    assert.equal(engine.decide(auditRead(agent({ groups: ['analysts'] }))).outcome, 'deny');
  });

  it('lets data owners approve and never agents', () => {
    const request = (principal: Principal): DecisionRequest => ({
      principal,
      action: 'approve',
      resource: { type: 'Connection', id: 'crm-prod', engine: 'postgres', environment: 'prod', tags: [] },
      context: {},
    });
    assert.equal(engine.decide(request(human({ groups: ['data-owners'] }))).outcome, 'allow');
    assert.equal(engine.decide(request(human({ groups: ['dba'] }))).outcome, 'allow');
    assert.equal(engine.decide(request(human())).outcome, 'deny');
    assertDeniedBy(engine.decide(request(agent({ groups: ['data-owners'] }))), 'agents-never-approve');
  });

  it('accepts repeated groups and roles in a token', () => {
    const decision = engine.decide(auditRead(human({ groups: ['auditors', 'auditors'], roles: ['x', 'x'] })));
    assert.equal(decision.outcome, 'allow');
  });
});
