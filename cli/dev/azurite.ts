import { createRequire } from 'node:module';
import { AZURITE_ACCOUNT } from '../../shared/connectors/blob/azure-blob-connector.js';

/**
 * Azurite's blob service, in this process, in memory, on loopback: what `npm start` and the
 * tests read blob connections from. In-process is lighter than a child process (no second
 * Node, no port to wait for) and stops with the host. The memory store is per server, so
 * hosts side by side do not see each other's blobs.
 */

interface AzuriteBlobServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}

type ServerCtor = new (config: unknown) => AzuriteBlobServer;
type ConfigCtor = new (...args: unknown[]) => unknown;
type StoreCtor = new (sizeLimit?: number) => unknown;

export interface LocalAzurite {
  /** `http://127.0.0.1:PORT/devstoreaccount1`, the account URL of `embedded-demo`. */
  accountUrl: string;
  stop(): Promise<void>;
}

export async function startAzurite(
  options: { host?: string; memoryLimitBytes?: number } = {},
): Promise<LocalAzurite> {
  const require = createRequire(import.meta.url);
  // Azurite has no public programmatic entry; these are the classes its own CLI builds.
  const BlobServer: ServerCtor = require('azurite/dist/src/blob/BlobServer.js').default;
  const BlobConfiguration: ConfigCtor = require('azurite/dist/src/blob/BlobConfiguration.js').default;
  const {
    MemoryExtentChunkStore,
  }: {
    MemoryExtentChunkStore: StoreCtor;
  } = require('azurite/dist/src/common/persistence/MemoryExtentStore.js');
  const host = options.host ?? '127.0.0.1';
  const store = new MemoryExtentChunkStore(options.memoryLimitBytes);
  // (host, port, keepAlive, metadataDb, extentDb, persistence, accessLog, accessLogStream,
  // debugLog, debugLogPath, loose, skipApiVersionCheck, cert, key, pwd, oauth,
  // disableProductStyleUrl, inMemoryPersistence, memoryStore)
  const config = new BlobConfiguration(
    host,
    0,
    undefined,
    undefined,
    undefined,
    undefined,
    false,
    undefined,
    false,
    undefined,
    false,
    true,
    '',
    '',
    '',
    undefined,
    false,
    true,
    store,
  );
  const server = new BlobServer(config);
  await server.start();
  const address = server.getHttpServerAddress();
  return {
    accountUrl: `${address}/${AZURITE_ACCOUNT}`,
    async stop() {
      await server.close();
      await server.clean();
    },
  };
}
