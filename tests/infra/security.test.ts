import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allResources, asRecord, byType, propsOf, single, templateOrSkip } from './arm.js';

/** Keyless by construction: local auth off everywhere, no shared keys, no secrets in outputs. */

const PRIVATE_OFF = "[if(parameters('privateNetworking'), 'Disabled', 'Enabled')]";

describe('compiled template: authentication', () => {
  it('turns local auth off on Cosmos DB, Service Bus, Application Insights and Log Analytics', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const cosmos = propsOf(single(template, 'Microsoft.DocumentDB/databaseAccounts'));
    assert.equal(cosmos.disableLocalAuth, true);
    assert.equal(cosmos.disableKeyBasedMetadataWriteAccess, true);
    assert.equal(propsOf(single(template, 'Microsoft.ServiceBus/namespaces')).disableLocalAuth, true);
    assert.equal(propsOf(single(template, 'Microsoft.Insights/components')).DisableLocalAuth, true);
    const workspace = propsOf(single(template, 'Microsoft.OperationalInsights/workspaces'));
    assert.equal(asRecord(workspace.features, 'workspace features').disableLocalAuth, true);
  });

  it('turns shared key access off on storage', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    // The host's account and the audit checkpoint archive (modules/audit-chain.bicep).
    const accounts = byType(template, 'Microsoft.Storage/storageAccounts');
    assert.equal(accounts.length, 2);
    for (const account of accounts) {
      const storage = propsOf(account);
      assert.equal(storage.allowSharedKeyAccess, false);
      assert.equal(storage.allowBlobPublicAccess, false);
      assert.equal(storage.defaultToOAuthAuthentication, true);
      assert.equal(storage.minimumTlsVersion, 'TLS1_2');
    }
  });

  it('keeps Key Vault in RBAC mode with purge protection', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const vault = propsOf(single(template, 'Microsoft.KeyVault/vaults'));
    assert.equal(vault.enableRbacAuthorization, true);
    assert.equal(vault.enablePurgeProtection, true);
    assert.equal(vault.enableSoftDelete, true);
    assert.equal(vault.accessPolicies, undefined);
  });

  it('never reads a key or a connection string with a list* function, anywhere', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const text = JSON.stringify(template);
    assert.doesNotMatch(text, /\blist(Keys|ConnectionStrings|AccountSas|ServiceSas|Secrets|Credentials?)\(/i);
    assert.doesNotMatch(text, /AuthorizationRules/i, 'no Service Bus SAS rules');
  });
});

describe('compiled template: outputs', () => {
  it('no output carries a secret', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const templates = [
      template,
      ...allResources(template).flatMap((l) => (l.path.length ? [l.template] : [])),
    ];
    for (const tpl of templates) {
      for (const [name, output] of Object.entries(tpl.outputs)) {
        assert.ok(!/^secure/i.test(output.type), `output ${name} is of a secure type`);
        assert.doesNotMatch(name, /key$|secret$|password|connectionstring|token$/i, `output ${name}`);
        const value = JSON.stringify(output.value ?? '');
        assert.doesNotMatch(value, /list[A-Za-z]*\(|ConnectionString|InstrumentationKey/i, `output ${name}`);
      }
    }
  });
});

describe('compiled template: Function App', () => {
  it('runs on Flex Consumption (FC1, Linux, Node 22) with the package reached by identity', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const plan = single(template, 'Microsoft.Web/serverfarms');
    assert.deepEqual(plan.resource.sku, { name: 'FC1', tier: 'FlexConsumption' });
    assert.equal(propsOf(plan).reserved, true);
    const site = single(template, 'Microsoft.Web/sites');
    assert.equal(site.resource.kind, 'functionapp,linux');
    const props = propsOf(site);
    const config = asRecord(props.functionAppConfig, 'functionAppConfig');
    assert.deepEqual(config.runtime, { name: 'node', version: '22' });
    const storage = asRecord(asRecord(config.deployment, 'deployment').storage, 'deployment storage');
    assert.equal(storage.type, 'blobContainer');
    assert.deepEqual(storage.authentication, {
      type: 'UserAssignedIdentity',
      userAssignedIdentityResourceId: "[parameters('identityId')]",
    });
  });

  it('is HTTPS only, TLS 1.2, without FTP or basic publishing credentials', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const props = propsOf(single(template, 'Microsoft.Web/sites'));
    assert.equal(props.httpsOnly, true);
    const siteConfig = asRecord(props.siteConfig, 'siteConfig');
    assert.equal(siteConfig.minTlsVersion, '1.2');
    assert.equal(siteConfig.scmMinTlsVersion, '1.2');
    assert.equal(siteConfig.ftpsState, 'Disabled');
    const policies = byType(template, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    assert.deepEqual(policies.map((p) => /'(ftp|scm)'/.exec(p.resource.name)?.[1]).sort(), ['ftp', 'scm']);
    for (const p of policies) assert.equal(propsOf(p).allow, false);
  });
});

describe('compiled template: Service Bus queues', () => {
  it('creates the approval queues with lock duration, max delivery count and dead-lettering', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const queues = single(template, 'Microsoft.ServiceBus/namespaces/queues');
    const q = propsOf(queues);
    assert.equal(q.lockDuration, 'PT1M');
    assert.equal(q.maxDeliveryCount, 5);
    assert.equal(q.deadLetteringOnMessageExpiration, true);
    const call = template.resources.find((r) => r.name === 'servicebus');
    const params = asRecord(asRecord(call?.properties, 'servicebus module').parameters, 'parameters');
    assert.deepEqual(asRecord(params.queueNames, 'queueNames').value, [
      "[variables('requestsQueueName')]",
      "[variables('decisionsQueueName')]",
      "[variables('callbacksQueueName')]",
    ]);
    assert.equal(template.variables.requestsQueueName, 'approval-requests');
    assert.equal(template.variables.decisionsQueueName, 'approval-decisions');
    assert.equal(template.variables.callbacksQueueName, 'callbacks');
  });
});

describe('compiled template: private networking', () => {
  it('turns public network access off on Cosmos DB, Service Bus, Storage and Key Vault when enabled', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    for (const type of [
      'Microsoft.DocumentDB/databaseAccounts',
      'Microsoft.ServiceBus/namespaces',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.KeyVault/vaults',
    ]) {
      const found = byType(template, type);
      assert.ok(found.length > 0, type);
      for (const r of found) assert.equal(propsOf(r).publicNetworkAccess, PRIVATE_OFF, type);
    }
  });

  it('puts a private endpoint with a private DNS zone in front of each of them', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const endpoints = asRecord(template.variables, 'variables').privateEndpoints;
    assert.ok(Array.isArray(endpoints));
    const groups = endpoints.map((e) => asRecord(e, 'endpoint').groupId).sort();
    // Two blob endpoints: the host's storage account and the audit checkpoint archive.
    assert.deepEqual(groups, ['Sql', 'blob', 'blob', 'namespace', 'vault']);
    const zones = single(template, 'Microsoft.Network/privateDnsZones');
    assert.deepEqual(zones.template.variables.dnsZoneNames, {
      cosmos: 'privatelink.documents.azure.com',
      serviceBus: 'privatelink.servicebus.windows.net',
      blob: "[format('privatelink.blob.{0}', environment().suffixes.storage)]",
      keyVault: 'privatelink.vaultcore.azure.net',
    });
    const vnet = propsOf(single(template, 'Microsoft.Network/virtualNetworks'));
    assert.match(JSON.stringify(vnet.subnets), /"serviceName":"Microsoft\.App\/environments"/);
    const site = propsOf(single(template, 'Microsoft.Web/sites'));
    assert.match(String(site.virtualNetworkSubnetId), /subnetId/);
  });
});
