import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CosmosClient } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import { azureAuditChain } from '../../../functions/audit-chain.js';
import { createAzureGateway } from '../../../functions/runtime.js';
import { BlobCheckpointArchive } from '../../../shared/audit/chain/blob-checkpoint-archive.js';

/** AGENTGATE_AUDIT_ARCHIVE_URL gives the chain its write-once archive; nothing is contacted. */
const KEY = 'https://kv-test.vault.azure.net/keys/audit-checkpoints/0123456789abcdef';
const env = {
  AGENTGATE_CONFIG: 'agentgate.config.example.yaml',
  AGENTGATE_AUTH_TENANTS: '00000000-0000-0000-0000-000000000001',
  AGENTGATE_AUTH_AUDIENCES: 'api://agentgate',
  COSMOS__accountEndpoint: 'https://cosmos-test.documents.azure.com:443/',
  AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000002',
  AGENTGATE_MASKING_KEY: 'unit-test-masking-key-0123456789',
  AGENTGATE_AUDIT_SIGNING_KEY_ID: KEY,
};

test('the Azure chain archives through Blob exactly when a container URL is given', () => {
  const database = new CosmosClient({
    endpoint: 'https://cosmos-test.documents.azure.com:443/',
    aadCredentials: new DefaultAzureCredential(),
  }).database('agentgate');
  const credential = new DefaultAzureCredential();
  const url = 'https://stagaudittest.blob.core.windows.net/audit-checkpoints';
  assert.ok(
    azureAuditChain(KEY, database, credential, { archiveContainerUrl: url }).archive instanceof
      BlobCheckpointArchive,
  );
  assert.equal(azureAuditChain(KEY, database, credential).archive, undefined);
});

test('the entry starts with an https archive URL and refuses any other', async () => {
  const gateway = await createAzureGateway({
    ...env,
    AGENTGATE_AUDIT_ARCHIVE_URL: 'https://stagaudittest.blob.core.windows.net/audit-checkpoints',
  });
  assert.ok(gateway.auditChain);
  await assert.rejects(
    createAzureGateway({
      ...env,
      AGENTGATE_AUDIT_ARCHIVE_URL: 'http://stagaudittest.blob.core.windows.net/x',
    }),
    /AGENTGATE_AUDIT_ARCHIVE_URL/,
  );
});
