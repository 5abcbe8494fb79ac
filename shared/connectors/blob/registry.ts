import type { TokenCredential } from '@azure/identity';
import type { BlobConnectionConfig } from '../../config/blob-connection.js';
import { GatewayError } from '../../errors.js';
import { createAzureBlobConnector } from './azure-blob-connector.js';
import type { BlobConnector } from './port.js';

/** What the blob adapter needs from the host: the gateway identity and where the local Azurite is. */
export interface BlobConnectorDeps {
  credential?: TokenCredential;
  /** The local emulator's account URL (`http://127.0.0.1:PORT/devstoreaccount1`) for `embedded-demo`. */
  demoAccountUrl?: string;
}

/**
 * The blob kind's factory: one SDK client per connection, kept for the process (the SDK
 * pools its HTTP connections). The SQL table in registry.ts builds `Connector`s; blob
 * connections have their own port, so their factory is this one.
 */
export function blobConnectorRegistry(deps: BlobConnectorDeps) {
  const cache = new Map<string, BlobConnector>();
  return {
    connectorFor(connection: BlobConnectionConfig): BlobConnector {
      const cached = cache.get(connection.id);
      if (cached) return cached;
      const accountUrl =
        connection.accountUrl === 'embedded-demo' ? deps.demoAccountUrl : connection.accountUrl;
      if (!accountUrl)
        throw new GatewayError('target_unavailable', 'The local storage emulator is not running.');
      const credential = connection.auth === 'azurite' ? 'azurite' : deps.credential;
      if (!credential)
        throw new GatewayError('target_unavailable', 'No identity is configured for this storage account.');
      const connector = createAzureBlobConnector({ accountUrl, credential, timeoutMs: connection.timeoutMs });
      cache.set(connection.id, connector);
      return connector;
    },
    async closeAll(): Promise<void> {
      const all = [...cache.values()];
      cache.clear();
      await Promise.allSettled(all.map((c) => c.close()));
    },
  };
}

export type BlobConnectorRegistry = ReturnType<typeof blobConnectorRegistry>;
