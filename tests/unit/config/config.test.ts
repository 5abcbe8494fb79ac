import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfigPath } from '../../../functions/runtime.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { readSettings, SETTINGS } from '../../../shared/config/settings.js';

describe('settings', () => {
  test('reads only the listed settings, with defaults and lists split', () => {
    const s = readSettings({
      AGENTGATE_AUTH_TENANTS: ' 11111111-1111-1111-1111-111111111111 , ',
      AGENTGATE_AUTH_AUDIENCES: 'api://agentgate,abc',
      SOMETHING_ELSE: 'ignored',
    });
    assert.deepEqual(s.AGENTGATE_AUTH_TENANTS, ['11111111-1111-1111-1111-111111111111']);
    assert.deepEqual(s.AGENTGATE_AUTH_AUDIENCES, ['api://agentgate', 'abc']);
    assert.equal(s.COSMOS_DATABASE, 'agentgate');
    assert.equal('SOMETHING_ELSE' in s, false);
  });

  test('an unresolved Key Vault reference stops the start instead of becoming a key', () => {
    assert.throws(
      () =>
        readSettings({
          AGENTGATE_MASKING_KEY: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/k/)',
        }),
      /AGENTGATE_MASKING_KEY: the Key Vault reference did not resolve/,
    );
  });

  test('bad values name the setting', () => {
    assert.throws(() => readSettings({ COSMOS__accountEndpoint: 'not a url' }), /COSMOS__accountEndpoint/);
    assert.throws(() => readSettings({ AGENTGATE_MASKING_KEY: 'short' }), /AGENTGATE_MASKING_KEY/);
  });

  test('every setting is documented', () => {
    for (const [name, doc] of Object.entries(SETTINGS)) assert.ok(doc.length > 10, name);
  });

  test('a relative config path is resolved against the package, not the working directory', () => {
    assert.equal(resolveConfigPath('/etc/agentgate.yaml'), '/etc/agentgate.yaml');
    assert.match(resolveConfigPath('agentgate.config.yaml'), /^\/.*\/agentgate\.config\.yaml$/);
    assert.notEqual(resolveConfigPath('agentgate.config.yaml'), 'agentgate.config.yaml');
  });
});

describe('connections config', () => {
  const base = {
    id: 'sales',
    engine: 'postgres',
    environment: 'prod',
    target: { host: 'h', database: 'd', user: 'u', auth: 'entra' },
  };

  test('fills defaults', () => {
    const c = parseConfig({ connections: [base] }).connections[0];
    assert.equal(c.maxRows, 1000);
    assert.equal(c.statementTimeoutMs, 15_000);
    assert.equal(c.defaultSchema, 'public');
    assert.deepEqual(c.classification, {});
  });

  test('refuses what it does not understand, naming the field', () => {
    assert.throws(() => parseConfig({ connections: [{ ...base, passwrd: 'x' }] }), /Unrecognized key/);
    assert.throws(() => parseConfig({ connections: [{ ...base, id: 'Bad Id' }] }), /connections\.0\.id/);
    assert.throws(() => parseConfig({ connections: [base, base] }), /duplicate connection id sales/);
    assert.throws(() => parseConfig({ connections: [] }), /connections/);
    assert.throws(
      () =>
        parseConfig({ connections: [{ ...base, target: { ...base.target, auth: 'password-from-env' } }] }),
      /passwordEnv is required/,
    );
    assert.throws(
      () => parseConfig({ connections: [{ ...base, classification: { 'customers.email': 'pii.email' } }] }),
      /classification/,
    );
    assert.throws(() => parseConfig({ connections: [{ ...base, maxRows: 0 }] }), /maxRows/);
  });
});
