import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copyDecision } from '../../../shared/policy/decision-memo.js';
import { loadPolicyEngine, queryContext } from '../../../shared/policy/index.js';
import type { Decision, DecisionRequest, Principal } from '../../../shared/types.js';
import { agent, facts, human, SHIPPED_POLICY_DIR } from './fixtures.js';

const NOW = new Date('2026-12-02T10:00:00Z');

function request(principal: Principal, estimatedRows: number | null): DecisionRequest {
  return {
    principal,
    action: 'query',
    resource: { type: 'Connection', id: 'demo', engine: 'postgres', environment: 'dev', tags: [] },
    context: queryContext(facts(), {
      estimatedRows,
      requestedMaxRows: 0,
      now: NOW,
      predicateOnMasked: false,
      maskedColumnsInPredicates: [],
      onBehalfOf: false,
    }),
  };
}

async function counted(memoEntries?: number) {
  let evaluations = 0;
  const engine = await loadPolicyEngine(SHIPPED_POLICY_DIR, {
    ...(memoEntries === undefined ? {} : { memoEntries }),
    onEvaluate: () => {
      evaluations += 1;
    },
  });
  return { engine, evaluations: () => evaluations };
}

describe('decision memo', () => {
  test('an identical request is answered from the memo, with the same decision as Cedar gave', async () => {
    const { engine, evaluations } = await counted();
    const first = engine.decide(request(agent(), 1));
    const second = engine.decide(request(agent(), 1));
    assert.equal(evaluations(), 1);
    assert.deepEqual(second, first);
    const { engine: plain } = await counted(0);
    assert.deepEqual(plain.decide(request(agent(), 1)), first, 'the memo answers what Cedar answers');
  });

  test('anything Cedar sees keys it: rows, principal kind, groups, another agent', async () => {
    const { engine, evaluations } = await counted();
    const answers = [
      engine.decide(request(agent(), 1)),
      engine.decide(request(agent(), 100_000)),
      engine.decide(request(agent(), null)),
      engine.decide(request(human(), 1)),
      engine.decide(request(agent({ groups: ['data-stewards'] }), 1)),
      engine.decide(request(agent({ id: 'agent-2' }), 1)),
    ];
    assert.equal(evaluations(), 6, 'no two of these share an entry');
    assert.notEqual(
      answers[0]?.outcome,
      answers[1]?.outcome,
      'a bulk estimate is not told the point-read answer',
    );
  });

  test('a caller that changes its decision changes nothing the next caller is told', async () => {
    const { engine } = await counted();
    const first = engine.decide(request(agent(), 100_000));
    const reasons = [...first.reasons];
    first.reasons.push('tampered');
    first.policyIds.length = 0;
    (first as { outcome: string }).outcome = 'allow';
    const again = engine.decide(request(agent(), 100_000));
    assert.deepEqual(again.reasons, reasons);
    assert.notEqual(again.outcome, 'allow');
  });

  test('the memo is bounded: the least recently used entry goes first', async () => {
    const { engine, evaluations } = await counted(2);
    engine.decide(request(agent(), 1));
    engine.decide(request(agent(), 2));
    engine.decide(request(agent(), 1)); // hit; 2 is now the oldest
    engine.decide(request(agent(), 3)); // evicts 2
    assert.equal(evaluations(), 3);
    engine.decide(request(agent(), 1));
    assert.equal(evaluations(), 3, '1 stayed');
    engine.decide(request(agent(), 2));
    assert.equal(evaluations(), 4, '2 was dropped');
  });

  test('the copy it hands out is whole and deep: every field, optional ones too, and no shared part', () => {
    const full: Decision = {
      outcome: 'approval',
      policyIds: ['bulk-export'],
      reasons: ['bulk reads need a steward'],
      obligations: {
        maxRows: 500,
        approvals: [
          { policyId: 'bulk-export', approvers: ['data-stewards'], quorum: '2', expires: 'PT1H' },
          { policyId: 'gateway-budget', approvers: ['owners'] },
        ],
      },
      shadow: {
        outcome: 'deny',
        policyIds: ['shadow-deny'],
        reasons: ['would deny'],
        matched: [{ policyId: 'shadow-deny', effect: 'forbid' }],
        changed: true,
      },
    };
    const copy = copyDecision(full);
    assert.deepEqual(copy, structuredClone(full));
    const parts = (d: Decision) => [
      d.policyIds,
      d.reasons,
      d.obligations,
      d.obligations.approvals,
      d.obligations.approvals?.[0],
      d.obligations.approvals?.[0]?.approvers,
      d.shadow,
      d.shadow?.matched,
      d.shadow?.matched[0],
    ];
    const theirs = parts(full);
    for (const [i, part] of parts(copy).entries()) assert.notEqual(part, theirs[i], `part ${i} is shared`);
    const bare: Decision = { outcome: 'allow', policyIds: [], reasons: [], obligations: {} };
    assert.deepEqual(copyDecision(bare), bare);
    assert.equal('shadow' in copyDecision(bare), false);
  });
});
