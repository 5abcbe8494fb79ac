import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAzureGateway } from '../../../functions/runtime.js';

/** The Functions entry builds the audit chain exactly when the signing key setting is there. */
const env = {
  AGENTGATE_CONFIG: 'agentgate.config.example.yaml',
  AGENTGATE_AUTH_TENANTS: '00000000-0000-0000-0000-000000000001',
  AGENTGATE_AUTH_AUDIENCES: 'api://agentgate',
  COSMOS__accountEndpoint: 'https://cosmos-test.documents.azure.com:443/',
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000002',
  AGENTGATE_MASKING_KEY: 'unit-test-masking-key-0123456789',
};

test('with AGENTGATE_AUDIT_SIGNING_KEY_ID: chained audit, the seal timer and the export routes', async () => {
  const gateway = await createAzureGateway({
    ...env,
    AGENTGATE_AUDIT_SIGNING_KEY_ID: 'https://kv-test.vault.azure.net/keys/audit-checkpoints/0123456789abcdef',
  });
  assert.ok(gateway.auditChain, 'the chain is built');
  assert.ok(gateway.auditChain.exportPorts, 'the export routes have a lane reader');
  assert.equal(typeof gateway.triggerHandlers.sealAuditCheckpoint, 'function');
  assert.ok(gateway.triggers.some((t) => t.name === 'sealAuditCheckpoint' && t.kind === 'timer'));
});

test('without it: no chain, the seal timer does nothing, and a bad key URL stops the start', async () => {
  const gateway = await createAzureGateway(env);
  assert.equal(gateway.auditChain, undefined);
  assert.equal(gateway.triggerHandlers.sealAuditCheckpoint, undefined);
  await assert.rejects(
    createAzureGateway({ ...env, AGENTGATE_AUDIT_SIGNING_KEY_ID: 'not a url' }),
    /AGENTGATE_AUDIT_SIGNING_KEY_ID/,
  );
});
