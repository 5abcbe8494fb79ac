import { BlobServiceClient, ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { BlobCheckpointArchive } from '../../shared/audit/chain/blob-checkpoint-archive.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../shared/connectors/blob/azure-blob-connector.js';

/** The archive container's name, as `modules/audit-chain.bicep` names it in Azure. */
export const ARCHIVE_CONTAINER = 'audit-checkpoints';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Azurite's well-known account key (public; Azurite only): never used for another host. */
function azuriteCredential(): StorageSharedKeyCredential {
  return new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
}

/**
 * The local host's write-once checkpoint copy: the same BlobCheckpointArchive Azure uses, on
 * a container of the host's Azurite, so `npm start` archives every sealed checkpoint and
 * `agentgate audit verify --archive` compares against it. Azurite has no immutability
 * policy, but the conditional create still refuses a second write of a checkpoint.
 */
export async function localCheckpointArchive(
  accountUrl: string,
): Promise<{ archive: BlobCheckpointArchive; url: string }> {
  const service = new BlobServiceClient(accountUrl, azuriteCredential(), { retryOptions: { maxTries: 2 } });
  const container = service.getContainerClient(ARCHIVE_CONTAINER);
  await container.createIfNotExists();
  return { archive: new BlobCheckpointArchive(container), url: container.url };
}

/** An http URL on loopback is the local host's Azurite; anything else is not. */
export function isLocalArchiveUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname) && parsed.username === '';
}

/** The archive of a local host at `url` (http, loopback), read with Azurite's public key. */
export function localArchiveAt(url: string): BlobCheckpointArchive {
  if (!isLocalArchiveUrl(url)) throw new Error(`${url} is not a local (loopback http) archive`);
  return new BlobCheckpointArchive(
    new ContainerClient(url, azuriteCredential(), { retryOptions: { maxTries: 2 } }),
  );
}
