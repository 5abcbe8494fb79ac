import type { AuditExportPorts } from '../audit/chain/export.js';
import type { BudgetSpender } from '../budget/index.js';
import type { CallbackPorts } from '../callbacks/ports.js';
import type { BlobConnectionConfig, ConnectionConfig, GatewayConfig } from '../config/connections.js';
import type { BlobConnector } from '../connectors/blob/port.js';
import type { Connector } from '../connectors/connector.js';
import type { Masker } from '../masking/index.js';
import type { PolicyEngine } from '../policy/index.js';
import type { Notifier } from '../ports/notifier.js';
import type { Queue } from '../ports/queue.js';
import type { RequestStore } from '../ports/request-store.js';
import type { ResultStore } from '../ports/result-store.js';
import type { CatalogCache } from '../query/catalog-cache.js';
import type { AuditStore } from '../store/audit-store.js';
import type { InFlightLimit } from './in-flight.js';
import type { ReplayKeeper } from './replay-keep.js';

/** Where server-side failures and refusals are reported (their causes never reach the caller). */
export interface GatewayLogEvent {
  level: 'error' | 'warn';
  requestId: string;
  code: string;
  status: number;
  message: string;
  cause: string | undefined;
  /** For refusals: the policies that refused, or the token failure's reason. */
  policyIds?: string[];
  reason?: string;
}

/** The approval workflow's ports; without them a request that needs approval answers 501. */
export interface ApprovalPorts {
  requests: RequestStore;
  results: ResultStore;
  queue: Queue;
  notifier: Notifier;
  /** The approval page of a request, as approvers reach it. */
  approveUrl(requestId: string): string;
  /** How long a completed result stays readable (default 1 hour). */
  resultTtlMs?: number;
  /** Rows per cursor FETCH when an approved read is streamed into the result store (default 2000). */
  batchRows?: number;
  /** Signed notices to a requester's `callbackUrl`; without them a callbackUrl is refused. */
  callbacks?: CallbackPorts;
}

/** Storage accounts (connections of kind `blob`) and their adapter; blob routes 404 without. */
export interface BlobPorts {
  connections: ReadonlyMap<string, BlobConnectionConfig>;
  connectorFor(connection: BlobConnectionConfig): BlobConnector;
}

/** What the use cases are built from: ports and settled configuration, nothing transport-shaped. */
export interface UseCaseDeps {
  policy: PolicyEngine;
  config: GatewayConfig;
  connections: ReadonlyMap<string, ConnectionConfig>;
  /** The connector for a connection (adapters cache pools per connection). */
  connectorFor(connection: ConnectionConfig): Connector;
  audit: AuditStore;
  masker: Masker;
  catalogs: CatalogCache;
  /** Rows and bytes released per principal and connection; budgets are off without it. */
  budgets?: BudgetSpender;
  approvals?: ApprovalPorts;
  blobs?: BlobPorts;
  /** Where released results of connections with `replay` are kept; nothing is kept without it. */
  replay?: ReplayKeeper;
  /**
   * Statements in flight per principal on the query path (shared/use-cases/in-flight.ts); the
   * composition root always sets it, from the config's `limits`.
   */
  inFlight?: InFlightLimit;
  /** The audit chain's stores for the export routes (verify over HTTP); absent without a chain. */
  auditExport?: AuditExportPorts;
  now: () => Date;
  newId: () => string;
  log: (event: GatewayLogEvent) => void;
}

/** One JSON line on stderr: the Functions host ships it to Application Insights. */
export function logToStderr(event: GatewayLogEvent): void {
  const line = JSON.stringify({ source: 'agentgate', ...event });
  if (event.level === 'error') console.error(line);
  else console.warn(line);
}
