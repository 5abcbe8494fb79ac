import { type AuditChain, type AuditChainPorts, chainAuditStore } from './audit/chain/wiring.js';
import { BudgetLedger, type BudgetStore } from './budget/index.js';
import type { BlobConnectionConfig, ConnectionConfig, GatewayConfig } from './config/connections.js';
import type { BlobConnector } from './connectors/blob/port.js';
import type { Connector } from './connectors/connector.js';
import type { TokenVerifier } from './identity/index.js';
import { createMasker } from './masking/index.js';
import { type McpOptions, mcpOptionsFromEnv } from './mcp/auth.js';
import { createMcpApi, type McpApi } from './mcp/endpoint.js';
import type { PolicyEngine } from './policy/index.js';
import type { ResultStore } from './ports/result-store.js';
import { createCatalogCache } from './query/catalog-cache.js';
import type { ApprovalPageOptions } from './rest/approval-page.js';
import { createRestApi, type RestApi } from './rest/rest-api.js';
import { ROUTES, type RouteDefinition } from './rest/routes.js';
import type { AuditStore } from './store/audit-store.js';
import {
  APPROVAL_MAX_DELIVERIES,
  CALLBACK_MAX_DELIVERIES,
  TRIGGER_TABLE,
  type TriggerDefinition,
  type TriggerHandlers,
} from './triggers.js';
import { applyApprovalDecision, expireApprovals, notifyApprovers } from './use-cases/approval-workflow.js';
import { deliverCallback } from './use-cases/callbacks.js';
import { type ApprovalPorts, logToStderr, type UseCaseDeps } from './use-cases/deps.js';
import { InFlightLimit } from './use-cases/in-flight.js';
import { createUseCases, type GatewayLogEvent, type UseCases } from './use-cases/index.js';
import { ReplayKeeper } from './use-cases/replay-keep.js';

/** The adapters a host has built; everything else is assembled the same way for every host. */
export interface GatewayParts {
  config: GatewayConfig;
  /** Loaded first by the host, so a bad policy stops the start before anything else starts. */
  policy: PolicyEngine;
  verifier: TokenVerifier;
  audit: AuditStore;
  budgets?: BudgetStore;
  connectorFor(connection: ConnectionConfig): Connector;
  /** The adapter of blob connections (shared/connectors/blob/registry.ts); blob routes 404 without. */
  blobConnectorFor?: (connection: BlobConnectionConfig) => BlobConnector;
  maskingKey: string | undefined;
  version?: string;
  log?: (event: GatewayLogEvent) => void;
  now?: () => Date;
  newId?: () => string;
  /** The MCP endpoint's OAuth metadata and origins (default: from the app settings). */
  mcp?: McpOptions;
  /** The approval workflow's stores, queue and notifier; without them approvals answer 501. */
  approvals?: ApprovalPorts;
  /** Lane heads, checkpoints and a signer: with them every audit event is hash-linked. */
  auditChain?: AuditChainPorts;
  /** Sign-in settings of the approval page (shared/rest/approval-page.ts). */
  approvalPage?: ApprovalPageOptions;
  /**
   * Where connections with `replay` keep released results (default: the approval workflow's
   * result store), and for how long (`AGENTGATE_REPLAY_TTL_DAYS`, default 30 days).
   */
  replay?: { results?: ResultStore; ttlMs?: number };
}

export interface Gateway {
  useCases: UseCases;
  /** The REST adapter over the use cases. */
  api: RestApi;
  /** The MCP adapter over the same use cases. */
  mcp: McpApi;
  routes: readonly RouteDefinition[];
  triggers: readonly TriggerDefinition[];
  triggerHandlers: TriggerHandlers;
  /** The audit chain, when the host configured one (checkpoint keys for verifiers). */
  auditChain?: AuditChain;
  /** The connections actually configured (for the start banner and `doctor`). */
  connections: readonly ConnectionConfig[];
  /** Writes of kept replay results, when a result store is there (drain before stopping). */
  replay?: ReplayKeeper;
}

/**
 * The one composition root: the Functions entry, the local host, the test fixture and the
 * bench all build the gateway here from the adapters they chose. A bad masking operator or
 * a missing key stops the start.
 */
export function composeGateway(parts: GatewayParts): Gateway {
  const masker = createMasker({
    operators: parts.config.masking.operators,
    ...(parts.maskingKey === undefined ? {} : { tokenKey: parts.maskingKey }),
  });
  const now = parts.now ?? (() => new Date());
  const newId = parts.newId ?? (() => crypto.randomUUID());
  const log = parts.log ?? logToStderr;
  const chain = parts.auditChain ? chainAuditStore(parts.audit, parts.auditChain, newId, log) : undefined;
  const replayResults = parts.replay?.results ?? parts.approvals?.results;
  const replay = replayResults ? new ReplayKeeper(replayResults, parts.replay?.ttlMs) : undefined;
  const deps: UseCaseDeps = {
    policy: parts.policy,
    config: parts.config,
    connections: new Map(parts.config.connections.map((c) => [c.id, c])),
    connectorFor: parts.connectorFor,
    audit: chain ? chain.store : parts.audit,
    masker,
    catalogs: createCatalogCache(),
    // One ledger per gateway: reads spend what it reserved ahead, not a store write each.
    ...(parts.budgets ? { budgets: new BudgetLedger(parts.budgets, { now }) } : {}),
    ...(parts.approvals ? { approvals: parts.approvals } : {}),
    ...(parts.blobConnectorFor
      ? {
          blobs: {
            connections: new Map((parts.config.blobConnections ?? []).map((c) => [c.id, c])),
            connectorFor: parts.blobConnectorFor,
          },
        }
      : {}),
    ...(chain?.exportPorts ? { auditExport: chain.exportPorts } : {}),
    ...(replay ? { replay } : {}),
    // Per instance: every transport's query calls share it.
    inFlight: new InFlightLimit(parts.config.limits.concurrentQueriesPerPrincipal),
    now,
    newId,
    log,
  };
  const useCases = createUseCases(deps);
  const api = createRestApi({
    useCases,
    verifier: parts.verifier,
    now,
    newId,
    version: parts.version ?? '0.0.0',
    ...(parts.approvalPage ? { approvalPage: parts.approvalPage } : {}),
  });
  const mcp = createMcpApi({
    useCases,
    verifier: parts.verifier,
    now,
    newId,
    version: parts.version ?? '0.0.0',
    // Hosts pass their settings; the core never reads process.env.
    options: parts.mcp ?? mcpOptionsFromEnv({}),
  });
  return {
    useCases,
    api,
    mcp,
    routes: ROUTES,
    triggers: TRIGGER_TABLE,
    triggerHandlers: triggerHandlers(deps, chain),
    ...(chain ? { auditChain: chain } : {}),
    connections: parts.config.connections,
    ...(replay ? { replay } : {}),
  };
}

/** What the trigger table runs, bound to the same ports as the use cases. */
function triggerHandlers(deps: UseCaseDeps, chain: AuditChain | undefined): TriggerHandlers {
  const sealing = {
    ...(chain ? { sealAuditCheckpoint: (now: Date) => chain.seal(now) } : {}),
    ...(chain?.verify ? { verifyAuditWindow: chain.verify } : {}),
  };
  const approvals = deps.approvals;
  if (!approvals) return sealing;
  const w = { ...deps, approvals };
  return {
    ...sealing,
    notifyApprovers: (message) => notifyApprovers(w, message, APPROVAL_MAX_DELIVERIES),
    applyDecisions: async (message) => {
      await applyApprovalDecision(w, message);
    },
    expireApprovals: async () => {
      await expireApprovals(w);
    },
    deliverCallbacks: (message) => deliverCallback(w, message, CALLBACK_MAX_DELIVERIES),
  };
}
