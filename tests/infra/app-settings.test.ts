import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SETTINGS } from '../../shared/config/settings.js';
import { type ArmTemplate, asRecord, moduleCall, propsOf, single, templateOrSkip } from './arm.js';

/**
 * The Function App's app settings in Bicep are exactly the settings the code reads (the keys of
 * SETTINGS), minus the local-only ones, plus a short list of host/platform settings the code
 * never reads. Adding a setting on one side only fails here.
 */

/** Read by the Functions host or the platform, not by agentgate's code. */
const PLATFORM_SETTINGS: Record<string, string> = {
  AzureWebJobsStorage__accountName: 'host storage, identity-based (no connection string)',
  AzureWebJobsStorage__credential: 'host storage uses a managed identity',
  AzureWebJobsStorage__clientId: 'which user-assigned identity the host uses for storage',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'where telemetry goes; carries no credential once local auth is off',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Entra (AAD) ingestion with the user-assigned identity',
  'AzureWebJobs.notifyApprovers.Disabled':
    'the Teams Logic App, when deployed, is the only consumer of approval-requests',
};

/** In SETTINGS for local development only: Azure must never set them. */
const LOCAL_ONLY = ['AGENTGATE_DEV_ISSUER'];

/**
 * Used by the approval workflow (a later issue). Bicep provisions them now, with the Service Bus
 * queues, so the workflow lands without an infra change.
 */
const PROVISIONED_AHEAD_OF_CODE = [
  'SERVICEBUS__fullyQualifiedNamespace',
  'SERVICEBUS__credential',
  'SERVICEBUS__clientId',
  'AGENTGATE_TEAMS_WEBHOOK_URL',
  'AGENTGATE_APPROVAL_BASE_URL',
];

/** Secrets: Key Vault references, resolved by the platform with the function identity. */
const KEY_VAULT_REFERENCES = [
  'AGENTGATE_MASKING_KEY',
  'AGENTGATE_TEAMS_WEBHOOK_URL',
  'AGENTGATE_CALLBACK_KEY',
];

/** Settings Flex Consumption rejects or that would bring back keys or connection strings. */
const FORBIDDEN = [
  'AzureWebJobsStorage',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'APPINSIGHTS_INSTRUMENTATIONKEY',
];

function appSettings(template: ArmTemplate): Record<string, string> {
  const config = single(template, 'Microsoft.Web/sites/config');
  assert.match(config.resource.name, /'appsettings'/);
  const settings: Record<string, string> = {};
  for (const [k, v] of Object.entries(propsOf(config))) {
    assert.equal(typeof v, 'string', `app setting ${k} must be a string`);
    settings[k] = String(v);
  }
  return settings;
}

const codeSettings = Object.keys(SETTINGS);

describe('Function App settings in Bicep', () => {
  it('sets every setting the code reads, except the local-only ones', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const set = new Set(Object.keys(appSettings(template)));
    const missing = codeSettings.filter((name) => !LOCAL_ONLY.includes(name) && !set.has(name));
    assert.deepEqual(missing, [], `read by the code (SETTINGS) but not set in Bicep: ${missing.join(', ')}`);
  });

  it('sets nothing the code does not read, apart from the listed platform settings', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const extra = Object.keys(appSettings(template)).filter(
      (name) => !codeSettings.includes(name) && !(name in PLATFORM_SETTINGS),
    );
    assert.deepEqual(
      extra,
      [],
      `set in Bicep but read by neither the code nor the host: ${extra.join(', ')}`,
    );
  });

  it('never sets a local-only setting', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const settings = appSettings(template);
    for (const name of LOCAL_ONLY) {
      assert.ok(codeSettings.includes(name), `${name} is listed as local-only but is not in SETTINGS`);
      assert.ok(!(name in settings), `${name} is local-only and must not be set in Azure`);
    }
  });

  it('sets each listed platform setting (the allowlist does not rot)', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const settings = appSettings(template);
    for (const name of Object.keys(PLATFORM_SETTINGS)) assert.ok(name in settings, `${name} is not set`);
  });

  it('provisions the approval-workflow settings ahead of the code', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const settings = appSettings(template);
    for (const name of PROVISIONED_AHEAD_OF_CODE) {
      assert.ok(codeSettings.includes(name), `${name} must be in SETTINGS`);
      assert.ok(name in settings, `${name} must be provisioned by Bicep`);
    }
  });

  it('sets no setting that Flex Consumption rejects or that carries a key', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const settings = appSettings(template);
    for (const name of FORBIDDEN) assert.ok(!(name in settings), `${name} must not be set`);
    for (const [name, value] of Object.entries(settings)) {
      assert.doesNotMatch(value, /list[A-Za-z]*\(|AccountKey=|SharedAccessKey|primaryKey|masterKey/i, name);
    }
  });

  it('makes every connection identity-based with the user-assigned identity', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const settings = appSettings(template);
    const clientId = "[parameters('identityClientId')]";
    const prefixes = Object.keys(settings)
      .filter((name) => name.endsWith('__credential'))
      .map((name) => name.slice(0, -'__credential'.length));
    assert.deepEqual(prefixes.sort(), ['AzureWebJobsStorage', 'COSMOS', 'SERVICEBUS']);
    for (const prefix of prefixes) {
      assert.equal(settings[`${prefix}__credential`], 'managedidentity', prefix);
      assert.equal(settings[`${prefix}__clientId`], clientId, prefix);
    }
    assert.equal(settings.AZURE_CLIENT_ID, clientId);
    assert.match(settings.COSMOS__accountEndpoint ?? '', /documentEndpoint/);
    assert.match(settings.SERVICEBUS__fullyQualifiedNamespace ?? '', /serviceBusEndpoint/);
    assert.equal(
      settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
      "[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]",
    );

    // The module receives the identity created by main.bicep, and the site runs as it.
    const call = moduleCall(template, 'function-app');
    assert.match(String(call.params.identityClientId), /'identity'\).*outputs\.clientId\.value/);
    assert.match(String(call.params.identityId), /'identity'\).*outputs\.id\.value/);
    const site = single(template, 'Microsoft.Web/sites');
    const identity = asRecord(site.resource.identity, 'site identity');
    assert.equal(identity.type, 'UserAssigned');
    assert.deepEqual(Object.keys(asRecord(identity.userAssignedIdentities, 'identities')), [
      "[format('{0}', parameters('identityId'))]",
    ]);
    assert.equal(propsOf(site).keyVaultReferenceIdentity, "[parameters('identityId')]");
  });

  it('passes secrets as Key Vault references only', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const settings = appSettings(template);
    for (const name of KEY_VAULT_REFERENCES) {
      assert.match(
        settings[name] ?? '',
        /^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}secrets\/\{1\}\/\)'/,
        name,
      );
    }
    const others = Object.entries(settings).filter(
      ([name, value]) => !KEY_VAULT_REFERENCES.includes(name) && value.includes('@Microsoft.KeyVault'),
    );
    assert.deepEqual(others, []);
  });

  it('points AGENTGATE_CONFIG at the package config and leaves the shipped policies as default', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const defaults = (name: string): unknown =>
      asRecord(template.parameters[name], `parameter ${name}`).defaultValue;
    assert.equal(defaults('configPath'), 'agentgate.config.yaml');
    // Empty: the code falls back to the policies/ folder shipped next to the bundle.
    assert.equal(defaults('policyDir'), '');
  });
});
