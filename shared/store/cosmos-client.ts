import { Agent } from 'node:https';
import { CosmosClient, type Database } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import { COSMOS_CONTAINERS } from './cosmos-layout.js';

/** Each HTTP request to Cosmos gives up after this long, so a dead store fails instead of hanging. */
export const COSMOS_REQUEST_TIMEOUT_MS = 10_000;

/** In Azure: Entra ID only (the account has local auth disabled), no keys anywhere. */
export interface CosmosEntraOptions {
  endpoint: string;
  credential: TokenCredential;
}

/**
 * Development and tests only: the in-process emulator with its self-signed certificate.
 * The explicit flag keeps this from being chosen by accident; TLS checks are relaxed for
 * this one client's agent, never process-wide.
 */
export interface CosmosEmulatorClientOptions {
  endpoint: string;
  key: string;
  allowSelfSigned: true;
}

export type CosmosClientOptions = CosmosEntraOptions | CosmosEmulatorClientOptions;

const failFast = {
  requestTimeout: COSMOS_REQUEST_TIMEOUT_MS,
  // Throttling retries only; bounded so a saturated account surfaces as an error quickly.
  retryOptions: { maxRetryAttemptCount: 3, maxWaitTimeInSeconds: 5 },
};

export function createCosmosClient(options: CosmosClientOptions): CosmosClient {
  if ('credential' in options) {
    return new CosmosClient({
      endpoint: options.endpoint,
      aadCredentials: options.credential,
      connectionPolicy: { ...failFast },
    });
  }
  if (options.allowSelfSigned !== true) {
    throw new TypeError('A key-based Cosmos client is only for the local emulator (allowSelfSigned: true).');
  }
  return new CosmosClient({
    endpoint: options.endpoint,
    key: options.key,
    agent: new Agent({ rejectUnauthorized: false, keepAlive: true }),
    // The emulator has no regions to discover; discovery would only add requests and retries.
    connectionPolicy: { ...failFast, enableEndpointDiscovery: false },
  });
}

/**
 * Creates the database and every container of COSMOS_CONTAINERS if missing. Development and
 * tests only: in Azure, Bicep provisions them and the gateway's identity has data-plane
 * rights only, so the Azure adapter never calls this.
 */
export async function ensureContainers(client: CosmosClient, databaseId: string): Promise<Database> {
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  for (const [id, layout] of Object.entries(COSMOS_CONTAINERS)) {
    await database.containers.createIfNotExists({
      id,
      partitionKey: { paths: [layout.partitionKey] },
      // null leaves TTL off altogether (not -1), so no audit item can opt in to expiring.
      ...(layout.defaultTtlSeconds === null ? {} : { defaultTtl: layout.defaultTtlSeconds }),
    });
  }
  return database;
}
