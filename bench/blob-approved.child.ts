import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_KEY } from '../cli/dev/cosmos-emulator.js';
import { DEMO_FILES_CONNECTION } from '../cli/dev/demo-files.js';
import { HttpRequest } from '../functions/sdk.js';
import type { StatementExecutedEvent } from '../shared/audit/event.js';
import { composeGateway } from '../shared/compose.js';
import { parseConfig } from '../shared/config/connections.js';
import { blobConnectorRegistry } from '../shared/connectors/blob/registry.js';
import { createTokenVerifier, loadOrCreateDevIssuer } from '../shared/identity/index.js';
import { InboxNotifier } from '../shared/notify/inbox.js';
import { loadPolicyEngine } from '../shared/policy/index.js';
import { InProcessQueue } from '../shared/queue/in-process-queue.js';
import { createCosmosClient, ensureContainers } from '../shared/store/cosmos-client.js';
import { CosmosResultStore } from '../shared/store/cosmos-result-store.js';
import { FakeConnector } from '../tests/support/fake-connector.js';
import { MemoryAuditStore } from '../tests/support/memory-audit-store.js';
import { MemoryRequestStore } from '../tests/support/memory-request-store.js';
import { resetPeak, statusMb } from './child-rss.js';
import { FileResultStore } from './file-result-store.js';

/**
 * One approved blob read end to end in a process of its own, so its peak RSS is its own: the
 * agent's read of `exports/large.csv` (uploaded by bench/blob.bench.ts to Azurite, which runs
 * in another process) is held for approval, a data owner approves, the queue consumer runs
 * it (download pinned by If-Match, csv-parse, masking, the chunked writer of the Cosmos DB
 * result store, whose emulator runs in a third process). Prints one JSON line.
 * AGENTGATE_BENCH_AZURITE and AGENTGATE_BENCH_COSMOS say where the two are.
 */

const azuriteUrl = process.env.AGENTGATE_BENCH_AZURITE ?? '';
const cosmosEndpoint = process.env.AGENTGATE_BENCH_COSMOS ?? '';
const PATH = 'demo-files/exports/large.csv';

const dir = await mkdtemp(join(tmpdir(), 'agentgate-bench-blob-'));
const issuer = await loadOrCreateDevIssuer({ dir, issuer: 'http://localhost/agentgate-dev' });
const cosmos = createCosmosClient({ endpoint: cosmosEndpoint, key: EMULATOR_KEY, allowSelfSigned: true });
const database = await ensureContainers(cosmos, `bench-blob-${randomUUID()}`);
// The Cosmos DB emulator (in memory) slows down with every item of a partition; a result of
// hundreds of MB goes to a file instead (AGENTGATE_BENCH_RESULTS=cosmos keeps the emulator).
const toFile = process.env.AGENTGATE_BENCH_RESULTS !== 'cosmos';
const results = toFile
  ? new FileResultStore(dir)
  : new CosmosResultStore(database.container('results'), { timeoutMs: 120_000 });
const audit = new MemoryAuditStore();
const requests = new MemoryRequestStore();
const queue = new InProcessQueue();
const blobs = blobConnectorRegistry({ demoAccountUrl: azuriteUrl });
const gateway = composeGateway({
  log: () => {},
  verifier: createTokenVerifier({
    dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
  }),
  policy: await loadPolicyEngine(process.env.AGENTGATE_POLICY_DIR ?? join(process.cwd(), 'policies')),
  config: parseConfig({
    connections: [
      { id: 'demo', engine: 'postgres', environment: 'prod', target: 'embedded-demo' },
      { ...DEMO_FILES_CONNECTION, timeoutMs: 120_000 },
    ],
  }),
  connectorFor: () => new FakeConnector(),
  blobConnectorFor: blobs.connectorFor,
  audit,
  maskingKey: 'bench-masking-key-0123456789abcdef',
  approvals: {
    requests,
    results,
    queue,
    notifier: new InboxNotifier(),
    approveUrl: (id) => `http://localhost/api/approve/${id}`,
  },
});
const consumers = gateway.triggers.flatMap((t) =>
  t.kind === 'queue' ? [queue.consume(t.queue, t.pick(gateway.triggerHandlers))] : [],
);

type Name = 'readBlob' | 'requestStatus' | 'submitDecision';
async function call(name: Name, token: string, url: string, params: Record<string, string>, body?: unknown) {
  const res = await gateway.api[name](
    new HttpRequest({
      method: body === undefined ? 'GET' : 'POST',
      url: `http://localhost/api/${url}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      params,
      ...(body === undefined ? {} : { body: { string: JSON.stringify(body) } }),
    }),
  );
  return { status: res.status, body: res.body as Record<string, unknown> };
}

try {
  const agent = await issuer.mint({ agent: 'bulk-agent' });
  const owner = await issuer.mint({ user: 'olga', groups: ['data-owners'] });
  const asked = await call('readBlob', agent, `v1/connections/demo-files/blobs/content?path=${PATH}`, {
    connection: 'demo-files',
  });
  if (asked.status !== 202)
    throw new Error(`expected 202, got ${asked.status}: ${JSON.stringify(asked.body)}`);
  const id = String((asked.body.approval as { approvalRequestId: string }).approvalRequestId);

  globalThis.gc?.();
  const rssBeforeMb = statusMb('VmRSS');
  resetPeak();
  const t0 = performance.now();
  const decided = await call(
    'submitDecision',
    owner,
    `v1/approvals/${id}/decision`,
    { id },
    { decision: 'approve' },
  );
  if (decided.status !== 202) throw new Error(`decision: ${decided.status}`);
  let request: { status: string; error?: { code: string } } = { status: '' };
  while (!['completed', 'failed'].includes(request.status)) {
    await new Promise((r) => setTimeout(r, 50));
    request = (await call('requestStatus', agent, `v1/requests/${id}`, { id })).body
      .request as typeof request;
  }
  const runMs = performance.now() - t0;
  const peakMb = statusMb('VmHWM');
  const executed = audit.events().find((e) => e.requestId === id && e.kind === 'statement.executed') as
    | StatementExecutedEvent
    | undefined;
  console.log(
    JSON.stringify({
      status: request.status,
      error: request.error?.code ?? null,
      rows: executed?.rows ?? 0,
      truncated: executed?.truncated ?? null,
      bytesRead: executed?.blob?.bytesRead ?? 0,
      bytesReleased: executed?.bytesReturned ?? 0,
      cellsMasked: executed?.masking?.cellsMasked ?? 0,
      digest: executed?.releasedDigest ?? null,
      runMs,
      store: toFile ? 'file' : 'cosmos',
      rssBeforeMb,
      peakMb,
    }),
  );
} finally {
  await Promise.allSettled(consumers.map((c) => c.close()));
  await queue.close();
  await blobs.closeAll();
  await database.delete().catch(() => {});
  cosmos.dispose();
  await rm(dir, { recursive: true, force: true });
}
