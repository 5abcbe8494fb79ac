import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPolicyEngineFromText } from '../../../shared/policy/index.js';
import { agent, human, queryRequest, SHIPPED_POLICY_DIR, shippedSchemaText } from './fixtures.js';

async function shippedFiles(): Promise<Array<{ name: string; text: string }>> {
  const names = (await readdir(SHIPPED_POLICY_DIR)).filter((n) => n.endsWith('.cedar'));
  return Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(SHIPPED_POLICY_DIR, name), 'utf8') })),
  );
}

const SHADOW_FORBID = {
  name: 'zz-shadow.cedar',
  text: `@id("agent-no-customers-shadow")
@mode("shadow")
@message("Agents would no longer read customers.")
forbid (principal is AgentGate::Agent, action == AgentGate::Action::"query", resource)
when { context.tables.contains("public.customers") };`,
};

describe('shadow policies', () => {
  it('a shadow forbid is reported as a would-be deny but never enforced', async () => {
    const engine = loadPolicyEngineFromText(
      [...(await shippedFiles()), SHADOW_FORBID],
      await shippedSchemaText(),
    );
    const decision = engine.decide(queryRequest(agent()));
    assert.equal(decision.outcome, 'allow');
    assert.deepEqual(decision.policyIds, ['agent-read']);
    assert.ok(decision.shadow);
    assert.equal(decision.shadow.outcome, 'deny');
    assert.equal(decision.shadow.changed, true);
    assert.deepEqual(decision.shadow.matched, [{ policyId: 'agent-no-customers-shadow', effect: 'forbid' }]);
    assert.deepEqual(decision.shadow.reasons, ['Agents would no longer read customers.']);
    assert.ok(engine.policyIds().includes('agent-no-customers-shadow'));
  });

  it('a shadow policy that does not match leaves the would-be decision equal', async () => {
    const engine = loadPolicyEngineFromText(
      [...(await shippedFiles()), SHADOW_FORBID],
      await shippedSchemaText(),
    );
    const decision = engine.decide(queryRequest(human()));
    assert.equal(decision.shadow?.changed, false);
    assert.deepEqual(decision.shadow?.matched, []);
    assert.equal(decision.shadow?.outcome, decision.outcome);
  });

  it('a shadow permit never grants: the enforced decision stays a deny', async () => {
    const schema = await shippedSchemaText();
    const engine = loadPolicyEngineFromText(
      [
        {
          name: 'p.cedar',
          text: '@id("everyone-shadow") @mode("shadow") @message("would allow") permit (principal, action, resource);',
        },
      ],
      schema,
    );
    const decision = engine.decide(queryRequest(agent()));
    assert.equal(decision.outcome, 'deny');
    assert.equal(decision.shadow?.outcome, 'allow');
    assert.deepEqual(decision.shadow?.matched, [{ policyId: 'everyone-shadow', effect: 'permit' }]);
  });

  it('without shadow policies a decision carries no shadow field', async () => {
    const engine = loadPolicyEngineFromText(await shippedFiles(), await shippedSchemaText());
    assert.equal('shadow' in engine.decide(queryRequest(agent())), false);
  });

  it('a typo in @mode stops the load', async () => {
    const schema = await shippedSchemaText();
    assert.throws(
      () =>
        loadPolicyEngineFromText(
          [
            {
              name: 'x.cedar',
              text: '@id("x") @mode("shadw") @message("m") permit (principal, action, resource);',
            },
          ],
          schema,
        ),
      /@mode\("shadw"\); expected "shadow" or "enforce"/,
    );
  });
});
