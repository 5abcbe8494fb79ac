import type { Database } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import { KeyClient, parseKeyVaultKeyIdentifier } from '@azure/keyvault-keys';
import { ContainerClient } from '@azure/storage-blob';
import { BlobCheckpointArchive } from '../shared/audit/chain/blob-checkpoint-archive.js';
import { CosmosAuditLaneReader } from '../shared/audit/chain/cosmos-audit-lane-reader.js';
import { CosmosCheckpointStore } from '../shared/audit/chain/cosmos-checkpoint-store.js';
import { CosmosLaneHeadStore } from '../shared/audit/chain/cosmos-lane-head-store.js';
import { CosmosVerifierStateStore } from '../shared/audit/chain/cosmos-verifier-state-store.js';
import { KeyVaultSigner, keyVaultJwks } from '../shared/audit/chain/keyvault-signer.js';
import type { AuditChainPorts } from '../shared/audit/chain/wiring.js';

/**
 * The audit chain in Azure: lane heads and checkpoints in Cosmos DB beside the audit
 * container, checkpoints signed in Key Vault with the function's identity (the private key
 * never leaves the vault), and the JWKS listing every enabled version of the key, so
 * checkpoints signed before a rotation still verify. With `archiveContainerUrl` each sealed
 * checkpoint is also created, once, as a blob in the immutable archive container, with the
 * same identity (Blob Data Contributor on that container only). The verification timer runs
 * every `verifyEveryMs` over what was sealed since its last run.
 */
export function azureAuditChain(
  keyId: string,
  database: Database,
  credential: TokenCredential,
  options: { archiveContainerUrl?: string; verifyEveryMs?: number; lanes?: number } = {},
): AuditChainPorts {
  const { archiveContainerUrl, verifyEveryMs, lanes } = options;
  const { vaultUrl, name } = parseKeyVaultKeyIdentifier(keyId);
  const keys = new KeyClient(vaultUrl, credential);
  return {
    heads: new CosmosLaneHeadStore(database.container('auditLanes')),
    checkpoints: new CosmosCheckpointStore(database.container('auditCheckpoints')),
    signer: KeyVaultSigner.fromKeyId(keyId, { credential }),
    reader: new CosmosAuditLaneReader(database.container('audit')),
    jwks: () => keyVaultJwks(keys, name),
    // The verification timer's window, beside the lane heads.
    verifierState: new CosmosVerifierStateStore(database.container('auditLanes')),
    ...(verifyEveryMs === undefined ? {} : { verifyEveryMs }),
    ...(lanes === undefined ? {} : { lanes }),
    ...(archiveContainerUrl
      ? { archive: new BlobCheckpointArchive(new ContainerClient(archiveContainerUrl, credential)) }
      : {}),
  };
}
