import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyDecision, decisionMessageSchema } from '../../shared/approvals/index.js';
import { allResources, asRecord, propsOf, templateOrSkip } from './arm.js';

/**
 * The Teams Logic App (infra/bicep/modules/teams-approvals.bicep) is a second channel onto
 * `approval-decisions`. Its decision message, taken from the compiled template and with its
 * workflow expressions replaced by what a Teams answer and Graph would give, must be exactly
 * what the decision consumer accepts. A workflow expression this test does not know fails it,
 * so the contract cannot drift unnoticed.
 */

const OBJECT_ID = '6b1d6c4e-2f1a-4a59-9f57-3c1d2b9e0a11';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const GROUP_ID = '0f3a5d2c-8b9e-4c1d-a2f3-5e6d7c8b9a00';

/** Each Logic App expression the decision may use, with the value it takes in a sample run. */
const EXPRESSIONS: Record<string, unknown> = {
  "body('Parse_request')?['requestId']": 'req-1',
  "body('Post_card_and_wait')?['responder']?['objectId']": OBJECT_ID,
  "body('Post_card_and_wait')?['responder']?['tenantId']": TENANT_ID,
  "body('Post_card_and_wait')?['responder']?['userPrincipalName']": 'dana@contoso.example',
  "body('Post_card_and_wait')?['data']?['decision']": 'approve',
  "body('Check_approver_group')?['value']": [GROUP_ID],
  "parameters('loginEndpoint')": 'https://login.microsoftonline.com/',
};

function evaluate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(evaluate);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v)]));
  }
  if (typeof value !== 'string') return value;
  if (value.startsWith('@') && !value.startsWith('@{')) {
    const expr = value.slice(1);
    assert.ok(expr in EXPRESSIONS, `unknown expression in the decision: ${expr}`);
    return EXPRESSIONS[expr];
  }
  return value.replace(/@\{([^}]*)\}/g, (_, expr: string) => {
    assert.ok(expr in EXPRESSIONS, `unknown expression in the decision: ${expr}`);
    return String(EXPRESSIONS[expr]);
  });
}

function workflowActions(template: NonNullable<ReturnType<typeof templateOrSkip>>) {
  const workflow = allResources(template).find(
    (l) => l.path.join('/') === 'teams-approvals' && l.resource.type === 'Microsoft.Logic/workflows',
  );
  assert.ok(workflow, 'the Logic App is in the template');
  const definition = asRecord(propsOf(workflow).definition, 'definition');
  return asRecord(definition.actions, 'actions');
}

describe('Teams Logic App decision contract', () => {
  it('the composed decision is exactly the approval-decisions message schema', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const actions = workflowActions(template);
    const compose = asRecord(actions.Compose_decision, 'Compose_decision');
    const message = evaluate(compose.inputs);
    const parsed = decisionMessageSchema.safeParse(message);
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
    assert.equal(parsed.data.approver.id, OBJECT_ID, "the responder's Entra object id");
    assert.equal(parsed.data.approver.kind, 'human');
    assert.equal(parsed.data.approver.issuer, `https://login.microsoftonline.com/${TENANT_ID}/v2.0`);
    assert.deepEqual(parsed.data.approver.groups, [GROUP_ID]);
    assert.equal(parsed.data.decisionId, `req-1:teams:${OBJECT_ID}`);
  });

  it('the card offers exactly the two decisions the schema knows', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const actions = workflowActions(template);
    const init = asRecord(asRecord(actions.Build_card, 'Build_card').inputs, 'inputs');
    const card = (init.variables as Array<{ value: { actions: Array<{ type: string; data?: unknown }> } }>)[0]
      ?.value;
    const submitted = (card?.actions ?? []).filter((a) => a.type === 'Action.Submit').map((a) => a.data);
    assert.deepEqual(submitted, [{ decision: 'approve' }, { decision: 'deny' }]);
    for (const data of submitted) {
      const decision = (data as { decision: string }).decision;
      const message = { ...(evaluate(asRecord(actions.Compose_decision, 'c').inputs) as object), decision };
      assert.ok(decisionMessageSchema.safeParse(message).success, decision);
    }
  });

  it('the Service Bus message id is the decision id (duplicate detection)', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const send = asRecord(workflowActions(template).Send_decision, 'Send_decision');
    const body = asRecord(asRecord(send.inputs, 'inputs').body, 'body');
    assert.equal(body.MessageId, "@{outputs('Compose_decision')?['decisionId']}");
    assert.equal(body.ContentData, "@{base64(string(outputs('Compose_decision')))}");
  });

  it('the old contract (objectId/userPrincipalName, approved/denied, via) would be refused', async () => {
    const old = {
      requestId: 'req-1',
      decision: 'approved',
      approver: { objectId: OBJECT_ID, tenantId: TENANT_ID, userPrincipalName: 'dana@contoso.example' },
      respondedAt: '2026-01-01T00:00:00Z',
      via: 'teams-logic-app',
    };
    assert.equal(decisionMessageSchema.safeParse(old).success, false);
    const outcome = await applyDecision(
      { requests: { get: async () => null } as never, mayApprove: () => true, now: () => new Date() },
      old,
    );
    assert.deepEqual(outcome, { kind: 'refused', reason: 'invalid_message', events: [] });
  });
});
