import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '@azure/cosmos';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { CosmosBudgetStore } from '../shared/budget/index.js';
import { createCallbackPorts } from '../shared/callbacks/ports.js';
import { composeGateway, type Gateway } from '../shared/compose.js';
import { type GatewayConfig, loadConfigFile } from '../shared/config/connections.js';
import { readSettings, type Settings } from '../shared/config/settings.js';
import { blobConnectorRegistry } from '../shared/connectors/blob/registry.js';
import { connectorRegistry } from '../shared/connectors/registry.js';
import { createTokenVerifier } from '../shared/identity/index.js';
import { mcpOptionsFromEnv } from '../shared/mcp/auth.js';
import { parseGroupWebhooks } from '../shared/notify/group-webhooks.js';
import { TeamsWebhookNotifier } from '../shared/notify/teams-webhook.js';
import type { PolicyEngine } from '../shared/policy/index.js';
import { approverGroups as groupsOf, loadPolicyEngine } from '../shared/policy/index.js';
import { ServiceBusQueue } from '../shared/queue/service-bus-queue.js';
import { approvalPageOptionsFromSettings } from '../shared/rest/approval-page.js';
import { preloadPostgresParser } from '../shared/sql/pg/parse.js';
import { CosmosAuditStore } from '../shared/store/cosmos-audit-store.js';
import { createCosmosClient } from '../shared/store/cosmos-client.js';
import { CosmosRequestStore } from '../shared/store/cosmos-request-store.js';
import { CosmosResultStore } from '../shared/store/cosmos-result-store.js';
import type { ApprovalPorts } from '../shared/use-cases/deps.js';
import { azureAuditChain } from './audit-chain.js';
import { DEFAULT_POLICY_DIR } from './policy-dir.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

// The Azure composition root: managed identity everywhere, no keys. Built once per worker.

/** Where the shipped policies are; its own module so the self-check need not load this one. */
export { DEFAULT_POLICY_DIR };

/** The package root (the repo from sources, dist/ in the deployed bundle). */
const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A relative AGENTGATE_CONFIG names a file shipped in the package, whatever the working directory. */
export function resolveConfigPath(path: string): string {
  return isAbsolute(path) ? path : resolve(PACKAGE_ROOT, path);
}

/**
 * Every approver group a policy or a connection (SQL or blob) names: each gets the configured
 * webhook. Read as a decision reads them, so a request's group always has a webhook.
 */
export function approverGroups(config: GatewayConfig, policy: PolicyEngine): string[] {
  const lists = [...config.connections, ...(config.blobConnections ?? [])].map((c) => c.approvers);
  for (const id of policy.policyIds()) lists.push(policy.annotations(id)?.approvers ?? '');
  return [...new Set(lists.flatMap((list) => groupsOf(list)))];
}

/**
 * The approval workflow in Azure: Service Bus with the app's identity, the request and
 * result stores in Cosmos DB, approvers told through the Teams Workflows webhook. Without a
 * Service Bus namespace or a base URL for links, requests that need approval answer 501.
 */
function azureApprovals(
  settings: Settings,
  config: GatewayConfig,
  policy: PolicyEngine,
  database: Database,
  credential: TokenCredential,
): ApprovalPorts | undefined {
  const namespace = settings.SERVICEBUS__fullyQualifiedNamespace;
  const base = settings.AGENTGATE_APPROVAL_BASE_URL?.replace(/\/+$/, '');
  if (!namespace || !base) return undefined;
  const url = settings.AGENTGATE_TEAMS_WEBHOOK_URL;
  const webhooks = parseGroupWebhooks(
    url ? Object.fromEntries(approverGroups(config, policy).map((g) => [g, url])) : {},
  );
  return {
    requests: new CosmosRequestStore(database.container('requests')),
    results: new CosmosResultStore(database.container('results')),
    queue: new ServiceBusQueue({ fullyQualifiedNamespace: namespace, credential }),
    notifier: new TeamsWebhookNotifier({ webhooks }),
    approveUrl: (id) => `${base}/api/approve/${encodeURIComponent(id)}`,
    // Without a key, a callbackUrl is refused (400 callback_refused) rather than sent unsigned.
    ...(settings.AGENTGATE_CALLBACK_KEY
      ? {
          callbacks: createCallbackPorts({
            config: config.approvals?.callbacks,
            key: settings.AGENTGATE_CALLBACK_KEY,
            allowLoopback: false,
            publicUrl: (path) => `${base}${path}`,
          }),
        }
      : {}),
  };
}

// One tracer provider per worker, even when the gateway is built again after a failed start.
let telemetry: Promise<Telemetry | undefined> | undefined;
function startTelemetryOnce(env: Record<string, string | undefined>, credential: TokenCredential) {
  telemetry ??= startTelemetry(env, { credential }).catch((e: unknown) => {
    // Traces are not worth refusing requests over; the host's own logs still flow.
    console.warn('agentgate: Application Insights tracing could not start', e);
    return undefined;
  });
  return telemetry;
}

export async function createAzureGateway(
  env: Record<string, string | undefined> = process.env,
): Promise<Gateway> {
  const settings = readSettings(env);
  if (!settings.AGENTGATE_CONFIG) throw new Error('AGENTGATE_CONFIG is not set');
  if (!settings.COSMOS__accountEndpoint) throw new Error('COSMOS__accountEndpoint is not set');
  if (settings.AGENTGATE_AUTH_TENANTS.length === 0 || settings.AGENTGATE_AUTH_AUDIENCES.length === 0) {
    throw new Error('AGENTGATE_AUTH_TENANTS and AGENTGATE_AUTH_AUDIENCES must be set');
  }

  const clientId = settings.AZURE_CLIENT_ID ?? settings.COSMOS__clientId;
  const credential: TokenCredential = clientId
    ? new ManagedIdentityCredential({ clientId })
    : new DefaultAzureCredential();

  // Read on every start (not only the first), so what the entry reads does not hang on order.
  await startTelemetryOnce(
    {
      APPLICATIONINSIGHTS_CONNECTION_STRING: env.APPLICATIONINSIGHTS_CONNECTION_STRING,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
    },
    credential,
  );
  // The parser's WASM compiles in the background while the policies load on this thread.
  const parser = preloadPostgresParser();
  // The packaged policies carry the stamp the build wrote after validating them in full.
  const policyDir = settings.AGENTGATE_POLICY_DIR ?? DEFAULT_POLICY_DIR;
  const policy = await loadPolicyEngine(policyDir, undefined, {
    trustStamp: policyDir === DEFAULT_POLICY_DIR,
  });
  await parser;
  const config = await loadConfigFile(resolveConfigPath(settings.AGENTGATE_CONFIG));
  const cosmos = createCosmosClient({ endpoint: settings.COSMOS__accountEndpoint, credential });
  const database = cosmos.database(settings.COSMOS_DATABASE);
  const approvals = azureApprovals(settings, config, policy, database, credential);
  const keyId = settings.AGENTGATE_AUDIT_SIGNING_KEY_ID;

  return composeGateway({
    ...(approvals ? { approvals } : {}),
    // With a signing key every audit event is hash-linked and the seal timer signs checkpoints.
    ...(keyId
      ? {
          auditChain: azureAuditChain(keyId, database, credential, {
            ...(settings.AGENTGATE_AUDIT_ARCHIVE_URL
              ? { archiveContainerUrl: settings.AGENTGATE_AUDIT_ARCHIVE_URL }
              : {}),
            verifyEveryMs: settings.AGENTGATE_AUDIT_VERIFY_MINUTES * 60_000,
            lanes: settings.AGENTGATE_AUDIT_LANES,
          }),
        }
      : {}),
    approvalPage: approvalPageOptionsFromSettings(settings),
    mcp: mcpOptionsFromEnv(env),
    config,
    policy,
    verifier: createTokenVerifier({
      entra: { tenants: settings.AGENTGATE_AUTH_TENANTS, audiences: settings.AGENTGATE_AUTH_AUDIENCES },
    }),
    audit: new CosmosAuditStore(database.container('audit')),
    budgets: new CosmosBudgetStore(database.container('budgets')),
    connectorFor: connectorRegistry({ credential, env }).connectorFor,
    blobConnectorFor: blobConnectorRegistry({ credential }).connectorFor,
    maskingKey: settings.AGENTGATE_MASKING_KEY,
    // Kept replay results (connections with `replay`) go to the results container whether
    // or not the approval workflow is on.
    replay: {
      results: approvals?.results ?? new CosmosResultStore(database.container('results')),
      ttlMs: settings.AGENTGATE_REPLAY_TTL_DAYS * 24 * 3600 * 1000,
    },
  });
}
