/**
 * The Cosmos DB containers the gateway uses, with their partition keys and TTLs. The Cosmos
 * adapter creates them in development; Bicep provisions exactly these in Azure (the infra
 * test compares the two).
 */
export const COSMOS_CONTAINERS = {
  /** Audit records, partitioned by UTC day so appends spread over time and a day reads cheaply. Never expire. */
  audit: { partitionKey: '/day', defaultTtlSeconds: null },
  /** Approval requests, one per request id. Kept 30 days. */
  requests: { partitionKey: '/id', defaultTtlSeconds: 30 * 24 * 3600 },
  /**
   * Results of approved requests, readable by the requester for a limited time: a head item
   * and chunk items per result, all in the result's own partition. Each item sets its own
   * TTL from the result's expiry; the default only bounds an item that somehow has none.
   */
  results: { partitionKey: '/resultId', defaultTtlSeconds: 24 * 3600 },
  /** Rows and bytes released per principal and connection in a sliding window. Kept 2 days. */
  budgets: { partitionKey: '/id', defaultTtlSeconds: 2 * 24 * 3600 },
  /** The audit chain's lane heads and signed checkpoints (shared/audit/chain/cosmos-layout.ts). Never expire. */
  auditLanes: { partitionKey: '/id', defaultTtlSeconds: null },
  auditCheckpoints: { partitionKey: '/id', defaultTtlSeconds: null },
} as const;

export type CosmosContainerName = keyof typeof COSMOS_CONTAINERS;
