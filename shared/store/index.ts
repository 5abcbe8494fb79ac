export { AUDIT_PAGE_MAX, AUDIT_PAGE_MIN } from './audit-search.js';
export type { AuditFilter, AuditPage, AuditStore } from './audit-store.js';
export { CosmosAuditStore, type CosmosAuditStoreOptions } from './cosmos-audit-store.js';
export {
  COSMOS_REQUEST_TIMEOUT_MS,
  type CosmosClientOptions,
  type CosmosEmulatorClientOptions,
  type CosmosEntraOptions,
  createCosmosClient,
  ensureContainers,
} from './cosmos-client.js';
export { COSMOS_CONTAINERS, type CosmosContainerName } from './cosmos-layout.js';
