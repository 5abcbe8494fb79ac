import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ArmTemplate, allResources, type Located, moduleCall, propsOf, templateOrSkip } from './arm.js';

/**
 * Every role assignment names the function identity (or, for the two Teams queue rights, the
 * Logic App's own identity) and the narrowest built-in role that works, at the scope it needs.
 */

const ROLES = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
  '00000000-0000-0000-0000-000000000002': 'Cosmos DB Built-in Data Contributor',
  // The audit chain (modules/audit-chain.bicep): sign with the checkpoint key, write the archive.
  '12338af0-0e69-4776-bea7-57ae8d297424': 'Key Vault Crypto User',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1': 'Storage Blob Data Reader',
} as const;

/** Broad roles that would work but give more than needed: never assigned. */
const TOO_BROAD = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  '090c5cfd-751d-490a-894a-3ce6f1109419': 'Azure Service Bus Data Owner',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '5bd9cd88-fe45-4216-938b-f97437e15450': 'DocumentDB Account Contributor',
};

const FUNCTION_PRINCIPAL = "[parameters('functionPrincipalId')]";
/** Auditors (people or groups, set at deployment) who may read the checkpoint archive. */
const AUDITOR_PRINCIPAL = "[parameters('auditorPrincipalIds')[copyIndex()]]";
const LOGIC_APP_PRINCIPAL =
  "[reference(resourceId('Microsoft.Logic/workflows', parameters('name')), '2019-05-01', 'full').identity.principalId]";

interface Grant {
  module: string;
  principal: 'function' | 'logic-app' | 'auditor';
  role: string;
  scope: string;
  perQueue: boolean;
}

const GUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;

function grantOf(located: Located): Grant {
  const props = propsOf(located);
  const principalId = String(props.principalId);
  const principal =
    principalId === FUNCTION_PRINCIPAL
      ? 'function'
      : principalId === LOGIC_APP_PRINCIPAL
        ? 'logic-app'
        : principalId === AUDITOR_PRINCIPAL
          ? 'auditor'
          : undefined;
  assert.ok(
    principal,
    `role assignment in ${located.path.join('/')} names an unknown principal: ${principalId}`,
  );
  const role = GUID.exec(String(props.roleDefinitionId))?.[1];
  assert.ok(role, `no role definition id in ${String(props.roleDefinitionId)}`);
  let scope: string;
  if (located.resource.type === 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments') {
    scope = /\/dbs\//.test(String(props.scope)) ? 'cosmos-database' : `cosmos:${String(props.scope)}`;
  } else {
    // Auditors may be users or groups: their principal type is left to Azure.
    if (principal !== 'auditor') assert.equal(props.principalType, 'ServicePrincipal');
    scope = /resourceId\('([^']+)'/.exec(located.resource.scope ?? '')?.[1] ?? 'resource-group';
  }
  return {
    module: located.path.join('/'),
    principal,
    role,
    scope,
    perQueue: located.resource.copy !== undefined,
  };
}

function grants(template: ArmTemplate): Grant[] {
  return allResources(template)
    .filter((l) =>
      /^Microsoft\.(Authorization\/roleAssignments|DocumentDB\/databaseAccounts\/sqlRoleAssignments)$/i.test(
        l.resource.type,
      ),
    )
    .map(grantOf);
}

const describeGrant = (g: Grant): string =>
  `${g.principal}: ${ROLES[g.role as keyof typeof ROLES] ?? g.role} on ${g.scope}${g.perQueue ? ' (each)' : ''}`;

describe('role assignments', () => {
  it('are exactly the narrow built-in roles the function identity needs', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const functionGrants = grants(template)
      .filter((g) => g.principal === 'function')
      .map(describeGrant)
      .sort();
    assert.deepEqual(
      functionGrants,
      [
        'function: Azure Service Bus Data Receiver on Microsoft.ServiceBus/namespaces/queues (each)',
        'function: Azure Service Bus Data Sender on Microsoft.ServiceBus/namespaces/queues (each)',
        'function: Cosmos DB Built-in Data Contributor on cosmos-database',
        'function: Key Vault Secrets User on Microsoft.KeyVault/vaults',
        'function: Monitoring Metrics Publisher on Microsoft.Insights/components',
        'function: Storage Blob Data Owner on Microsoft.Storage/storageAccounts',
        'function: Key Vault Crypto User on Microsoft.KeyVault/vaults/keys',
        'function: Storage Blob Data Contributor on Microsoft.Storage/storageAccounts/blobServices/containers',
        // Blob targets: read-only, on each container a blob connection exposes.
        'function: Storage Blob Data Reader on Microsoft.Storage/storageAccounts/blobServices/containers (each)',
      ].sort(),
    );
  });

  it('give the Logic App only receive on approval-requests and send on approval-decisions', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const logicApp = grants(template).filter((g) => g.principal === 'logic-app');
    assert.deepEqual(logicApp.map(describeGrant).sort(), [
      'logic-app: Azure Service Bus Data Receiver on Microsoft.ServiceBus/namespaces/queues',
      'logic-app: Azure Service Bus Data Sender on Microsoft.ServiceBus/namespaces/queues',
    ]);
    const module = allResources(template).filter(
      (l) =>
        l.path.join('/') === 'teams-approvals' &&
        l.resource.type === 'Microsoft.Authorization/roleAssignments',
    );
    const byRole = new Map(
      module.map((l) => [GUID.exec(String(propsOf(l).roleDefinitionId))?.[1], l.resource.scope]),
    );
    assert.match(
      String(byRole.get('4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')),
      /parameters\('requestsQueueName'\)/,
    );
    assert.match(
      String(byRole.get('69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')),
      /parameters\('decisionsQueueName'\)/,
    );
  });

  it('never use a broad role', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    for (const g of grants(template)) {
      assert.ok(!(g.role in TOO_BROAD), `${describeGrant(g)} is broader than needed`);
      assert.ok(g.role in ROLES, `${describeGrant(g)}: unexpected role`);
    }
  });

  it('all name the identity that main.bicep creates for the Function App', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    for (const g of grants(template)) {
      if (g.principal !== 'function') continue;
      const call = moduleCall(template, g.module);
      assert.match(
        String(call.params.functionPrincipalId),
        /^\[reference\(resourceId\('Microsoft\.Resources\/deployments', 'identity'\).*\.outputs\.principalId\.value\]$/,
        `${g.module} must receive the Function App identity`,
      );
    }
    const identity = moduleCall(template, 'identity');
    assert.ok(
      identity.template.resources.some((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities'),
    );
  });
});
