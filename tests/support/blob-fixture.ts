import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalAzurite, startAzurite } from '../../cli/dev/azurite.js';
import { DEMO_FILES_CONNECTION, seedDemoFiles } from '../../cli/dev/demo-files.js';
import type { BudgetStore } from '../../shared/budget/index.js';
import { composeGateway, type Gateway } from '../../shared/compose.js';
import { parseConfig } from '../../shared/config/connections.js';
import type { BlobConnector } from '../../shared/connectors/blob/port.js';
import { blobConnectorRegistry } from '../../shared/connectors/blob/registry.js';
import { createTokenVerifier, type DevIssuer, loadOrCreateDevIssuer } from '../../shared/identity/index.js';
import { InboxNotifier } from '../../shared/notify/inbox.js';
import { loadPolicyEngine } from '../../shared/policy/index.js';
import type { ResultStore } from '../../shared/ports/result-store.js';
import { InProcessQueue } from '../../shared/queue/in-process-queue.js';
import type { Principal } from '../../shared/types.js';
import type { GatewayLogEvent } from '../../shared/use-cases/index.js';
import { FakeConnector } from './fake-connector.js';
import { POLICY_DIR } from './gateway-fixture.js';
import { MemoryAuditStore } from './memory-audit-store.js';
import { MemoryRequestStore } from './memory-request-store.js';
import { MemoryResultStore } from './memory-result-store.js';

export interface BlobFixture {
  azurite: LocalAzurite;
  gateway: Gateway;
  audit: MemoryAuditStore;
  requests: MemoryRequestStore;
  /** The approval queues; nothing consumes them unless a test starts the consumers. */
  queue: InProcessQueue;
  logged: GatewayLogEvent[];
  issuer: DevIssuer;
  stop(): Promise<void>;
}

/** The real gateway over Azurite (in memory) holding the demo files, audited in memory. */
export async function blobFixture(
  overrides: Record<string, unknown> = {},
  parts: {
    budgets?: BudgetStore;
    /** The approved results' store (default: in memory). */
    results?: ResultStore;
    /** Fields of the fixture's SQL connection `demo` (a table budget a blob shares, say). */
    demo?: Record<string, unknown>;
    /** Wraps the real Azurite connector (a test injecting a failure part-way). */
    wrapConnector?: (connector: BlobConnector) => BlobConnector;
  } = {},
): Promise<BlobFixture> {
  const azurite = await startAzurite();
  await seedDemoFiles(azurite.accountUrl, 50);
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-blob-'));
  const issuer = await loadOrCreateDevIssuer({ dir, issuer: 'http://localhost/agentgate-dev' });
  const config = parseConfig({
    connections: [
      { id: 'demo', engine: 'postgres', environment: 'prod', target: 'embedded-demo', ...parts.demo },
      { ...DEMO_FILES_CONNECTION, approvalBytes: 20_000, ...overrides },
    ],
  });
  const audit = new MemoryAuditStore();
  const requests = new MemoryRequestStore();
  const queue = new InProcessQueue();
  const blobs = blobConnectorRegistry({ demoAccountUrl: azurite.accountUrl });
  const logged: GatewayLogEvent[] = [];
  const gateway = composeGateway({
    log: (e) => logged.push(e),
    verifier: createTokenVerifier({
      dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
    }),
    policy: await loadPolicyEngine(POLICY_DIR),
    config,
    connectorFor: () => new FakeConnector(),
    blobConnectorFor: parts.wrapConnector
      ? (c) => (parts.wrapConnector as (x: BlobConnector) => BlobConnector)(blobs.connectorFor(c))
      : blobs.connectorFor,
    audit,
    ...(parts.budgets ? { budgets: parts.budgets } : {}),
    maskingKey: 'unit-test-masking-key-0123456789',
    approvals: {
      requests,
      results: parts.results ?? new MemoryResultStore(),
      queue,
      notifier: new InboxNotifier(),
      approveUrl: (id) => `http://localhost/api/approve/${id}`,
    },
  });
  return {
    azurite,
    gateway,
    audit,
    requests,
    queue,
    logged,
    issuer,
    async stop() {
      await queue.close();
      await blobs.closeAll();
      await azurite.stop();
    },
  };
}

export function principal(kind: 'agent' | 'human', id = `${kind}-1`): Principal {
  return {
    kind,
    id,
    tenantId: undefined,
    appId: undefined,
    name: id,
    groups: [],
    roles: [],
    scopes: [],
    onBehalfOf: undefined,
    issuer: 'http://localhost/agentgate-dev',
    tokenId: `${id}-token`,
  };
}

let n = 0;
export function start() {
  n++;
  return {
    requestId: `req-${n}-${Date.now()}`,
    time: new Date('2026-12-02T10:00:00Z'),
    transport: 'rest' as const,
  };
}
