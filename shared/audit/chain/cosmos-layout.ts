import type { Database } from '@azure/cosmos';

/**
 * Cosmos DB containers of the audit chain, beside (not in) shared/store/cosmos-layout.ts.
 * Events themselves stay in the `audit` container; these hold the lane heads and the sealed
 * checkpoints. Neither ever expires. Bicep must provision exactly these in Azure.
 */
export const CHAIN_COSMOS_CONTAINERS = {
  /** One item per lane (`id` = `lane-<n>`), replaced only with If-Match on its etag. */
  auditLanes: { partitionKey: '/id', defaultTtlSeconds: null },
  /** One item per checkpoint (`id` = seq, zero-padded), create-only. */
  auditCheckpoints: { partitionKey: '/id', defaultTtlSeconds: null },
} as const;

/** Development and tests only (in Azure, Bicep provisions them). */
export async function ensureChainContainers(database: Database): Promise<void> {
  for (const [id, layout] of Object.entries(CHAIN_COSMOS_CONTAINERS)) {
    await database.containers.createIfNotExists({ id, partitionKey: { paths: [layout.partitionKey] } });
  }
}
