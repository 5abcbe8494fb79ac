import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDecision, cancelRequest } from '../../../shared/approvals/index.js';
import { isGatewayError } from '../../../shared/errors.js';
import { MemoryRequestStore } from '../../support/memory-request-store.js';
import { alice, approverBot, bob, carol, dave, ISSUER, reportBot, world } from './world.js';

describe('applyDecision: who may decide', () => {
  it('refuses the human an agent acts for, and nothing changes', async () => {
    const w = world();
    const request = await w.create();
    const outcome = await w.decide(request.id, alice, 'approve');
    assert.equal(outcome.kind, 'refused');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'on_behalf_of_requester');
    const stored = (await w.requests.get(request.id))!.value;
    assert.equal(stored.status, 'pending');
    assert.deepEqual(stored.votes, []);
    // The refusal itself is audited.
    assert.equal(outcome.events.length, 1);
    assert.equal(outcome.events[0]?.kind, 'approval.decision');
    assert.equal(
      outcome.events[0]?.kind === 'approval.decision' && outcome.events[0].refusal,
      'on_behalf_of_requester',
    );
  });

  it('refuses a human approving their own request', async () => {
    const w = world();
    const request = await w.create({ requester: alice });
    const outcome = await w.decide(request.id, alice, 'approve');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'self_approval');
    assert.equal(await w.status(request.id), 'pending');
  });

  it('refuses the requester denying too (a requester cancels instead)', async () => {
    const w = world();
    const request = await w.create({ requester: alice });
    const outcome = await w.decide(request.id, alice, 'deny');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'self_approval');
    assert.equal(await w.status(request.id), 'pending');
  });

  it('refuses an approver outside the approver group', async () => {
    const w = world();
    const request = await w.create();
    const outcome = await w.decide(request.id, dave, 'approve');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'not_in_approver_group');
    assert.equal(await w.status(request.id), 'pending');
  });

  it('refuses an agent as approver even in the group and allowed by mayApprove', async () => {
    const w = world();
    w.mayApprove = () => true;
    const request = await w.create();
    const outcome = await w.decide(request.id, approverBot, 'approve');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'approver_not_human');
    // A "human" carrying someone else's delegation is an agent in disguise.
    const delegated = await w.decide(request.id, { ...bob, onBehalfOf: { id: 'carol' } }, 'approve');
    assert.equal(delegated.kind === 'refused' && delegated.reason, 'approver_not_human');
    assert.equal(await w.status(request.id), 'pending');
  });

  it('refuses an approver that mayApprove (Cedar action approve) refuses, or that makes it throw', async () => {
    const w = world();
    const request = await w.create();
    w.mayApprove = (a) => a.id !== 'bob';
    assert.equal((await w.decide(request.id, bob, 'approve')).kind, 'refused');
    w.mayApprove = () => {
      throw new Error('policy engine broke');
    };
    const outcome = await w.decide(request.id, carol, 'approve');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'not_permitted');
    assert.equal(await w.status(request.id), 'pending');
  });

  it('approves with one allowed approver at the default quorum of 1', async () => {
    const w = world();
    const request = await w.create();
    const outcome = await w.decide(request.id, bob, 'approve', { reason: 'ok for the report' });
    assert.equal(outcome.kind, 'applied');
    assert.equal(outcome.kind === 'applied' && outcome.status, 'approved');
    const stored = (await w.requests.get(request.id))!.value;
    assert.equal(stored.status, 'approved');
    assert.deepEqual(
      stored.votes.map((v) => [v.approver.id, v.decision, v.reason]),
      [['bob', 'approve', 'ok for the report']],
    );
  });

  it('refuses a malformed message without touching anything', async () => {
    const w = world();
    const request = await w.create();
    const outcome = await applyDecision(
      { requests: w.requests, now: w.now, mayApprove: () => true },
      { decisionId: 'd1', requestId: request.id, approver: { ...bob, kind: 'robot' }, decision: 'approve' },
    );
    assert.deepEqual(outcome, { kind: 'refused', reason: 'invalid_message', events: [] });
    const extra = await applyDecision(
      { requests: w.requests, now: w.now, mayApprove: () => true },
      { decisionId: 'd2', requestId: request.id, approver: bob, decision: 'approve', status: 'approved' },
    );
    assert.equal(extra.kind === 'refused' && extra.reason, 'invalid_message');
    assert.equal(await w.status(request.id), 'pending');
  });

  it('fails closed with store_unavailable when the request store is down', async () => {
    const requests = new MemoryRequestStore();
    const w = world({ requests });
    const request = await w.create();
    requests.unavailable = true;
    await assert.rejects(
      w.decide(request.id, bob, 'approve'),
      (e) => isGatewayError(e) && e.code === 'store_unavailable',
    );
    requests.unavailable = false;
    assert.equal(await w.status(request.id), 'pending');
  });

  it('answers not_found for an unknown request', async () => {
    const w = world();
    const outcome = await w.decide('req-none', bob, 'approve');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'not_found');
  });
});

describe('applyDecision: the request must be pending and unexpired', () => {
  it('moves an expired request to expired and refuses the decision', async () => {
    const w = world();
    const request = await w.create();
    w.advance(30 * 60_000);
    const outcome = await w.decide(request.id, bob, 'approve');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'expired');
    assert.equal(await w.status(request.id), 'expired');
    assert.deepEqual(
      outcome.events.map((e) => e.kind),
      ['request.transition', 'approval.decision'],
    );
    // Still refused afterwards, now because it is no longer pending.
    const again = await w.decide(request.id, carol, 'approve');
    assert.equal(again.kind === 'refused' && again.reason, 'not_pending');
  });

  it('accepts a decision a moment before the expiry', async () => {
    const w = world();
    const request = await w.create();
    w.advance(30 * 60_000 - 1);
    assert.equal((await w.decide(request.id, bob, 'approve')).kind, 'applied');
  });

  it('refuses a decision on a cancelled request', async () => {
    const w = world();
    const request = await w.create();
    const cancelled = await cancelRequest({ requests: w.requests, now: w.now }, request.id, reportBot);
    assert.equal(cancelled.kind, 'cancelled');
    const outcome = await w.decide(request.id, bob, 'approve');
    assert.equal(outcome.kind === 'refused' && outcome.reason, 'not_pending');
    assert.equal(await w.status(request.id), 'cancelled');
  });

  it('refuses a late vote once the request is decided', async () => {
    const w = world();
    const request = await w.create();
    await w.decide(request.id, bob, 'deny');
    const late = await w.decide(request.id, carol, 'approve');
    assert.equal(late.kind === 'refused' && late.reason, 'not_pending');
    assert.equal(await w.status(request.id), 'denied');
  });
});

describe('applyDecision: counting votes', () => {
  it('quorum 2: one approver approving twice is not enough; a second approver approves', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'] });
    assert.equal(request.quorum, 2);
    const first = await w.decide(request.id, bob, 'approve');
    assert.equal(first.kind === 'applied' && first.status, 'pending');
    const twice = await w.decide(request.id, bob, 'approve');
    assert.equal(twice.kind === 'refused' && twice.reason, 'already_voted');
    assert.equal(await w.status(request.id), 'pending');
    const second = await w.decide(request.id, carol, 'approve');
    assert.equal(second.kind === 'applied' && second.status, 'approved');
    assert.equal(await w.status(request.id), 'approved');
    const executed = await w.execute(request.id);
    assert.equal(executed.kind, 'completed');
    assert.equal(w.runs.length, 1);
  });

  it('quorum 2: a deny after one approval denies', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'] });
    await w.decide(request.id, bob, 'approve');
    const deny = await w.decide(request.id, carol, 'deny', { reason: 'too broad' });
    assert.equal(deny.kind === 'applied' && deny.status, 'denied');
    assert.equal((await w.execute(request.id)).kind, 'skipped');
    assert.equal(w.runs.length, 0);
  });

  it('an approver may change their approval into a deny, which denies', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'] });
    await w.decide(request.id, bob, 'approve');
    const deny = await w.decide(request.id, bob, 'deny');
    assert.equal(deny.kind === 'applied' && deny.status, 'denied');
  });

  it('a redelivered decision message changes nothing and records nothing', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'] });
    const first = await w.decide(request.id, bob, 'approve', { decisionId: 'teams-42' });
    assert.equal(first.kind, 'applied');
    const before = await w.requests.get(request.id);
    const again = await w.decide(request.id, bob, 'approve', { decisionId: 'teams-42' });
    assert.deepEqual(again, { kind: 'duplicate', events: [] });
    assert.deepEqual(await w.requests.get(request.id), before);
  });

  it('the same decision message delivered twice after approval leads to one execution', async () => {
    const w = world();
    const request = await w.create();
    await w.decide(request.id, bob, 'approve', { decisionId: 'msg-1' });
    await w.execute(request.id);
    const redelivered = await w.decide(request.id, bob, 'approve', { decisionId: 'msg-1' });
    assert.equal(redelivered.kind, 'duplicate');
    await w.execute(request.id);
    assert.equal(w.runs.length, 1);
    assert.equal(await w.status(request.id), 'completed');
  });

  it('maxRows lowers the cap and never raises it', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'], maxRows: 500 });
    await w.decide(request.id, bob, 'approve', { maxRows: 100 });
    await w.decide(request.id, carol, 'approve', { maxRows: 5000 });
    const stored = (await w.requests.get(request.id))!.value;
    assert.equal(stored.status, 'approved');
    assert.equal(stored.maxRows, 100);
  });

  it('concurrent votes of two approvers on quorum 2 both count', async () => {
    const w = world();
    const request = await w.create({ policyIds: ['bulk-read-two'] });
    const outcomes = await Promise.all([
      w.decide(request.id, bob, 'approve'),
      w.decide(request.id, carol, 'approve'),
    ]);
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['applied', 'applied']);
    const stored = (await w.requests.get(request.id))!.value;
    assert.equal(stored.status, 'approved');
    assert.equal(stored.votes.length, 2);
  });
});

describe('cancelRequest', () => {
  it('lets only the requester (same issuer and id) cancel, and only while pending', async () => {
    const w = world();
    const request = await w.create();
    const deps = { requests: w.requests, now: w.now };
    assert.equal((await cancelRequest(deps, request.id, bob)).kind, 'not_found');
    assert.equal(
      (await cancelRequest(deps, request.id, { ...reportBot, issuer: 'https://other.test/' })).kind,
      'not_found',
    );
    // The human the agent acts for is not the requester either.
    assert.equal((await cancelRequest(deps, request.id, alice)).kind, 'not_found');
    assert.equal(await w.status(request.id), 'pending');
    const cancelled = await cancelRequest(deps, request.id, reportBot);
    assert.equal(cancelled.kind, 'cancelled');
    assert.equal(cancelled.kind === 'cancelled' && cancelled.event.to, 'cancelled');
    assert.deepEqual(await cancelRequest(deps, request.id, reportBot), {
      kind: 'not_pending',
      status: 'cancelled',
    });
    assert.equal(ISSUER, reportBot.issuer);
  });
});
