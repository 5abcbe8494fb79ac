import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { demoConfig, startDevHost } from '../cli/dev/host.js';
import { HttpRequest } from '../functions/sdk.js';
import { createCallbackPorts } from '../shared/callbacks/ports.js';
import { composeGateway, type GatewayParts } from '../shared/compose.js';
import { connectorRegistry } from '../shared/connectors/registry.js';
import { createTokenVerifier } from '../shared/identity/index.js';
import { InboxNotifier } from '../shared/notify/inbox.js';
import { loadPolicyEngine } from '../shared/policy/index.js';
import { InProcessQueue } from '../shared/queue/in-process-queue.js';
import { MemoryAuditStore } from '../tests/support/memory-audit-store.js';
import { MemoryRequestStore } from '../tests/support/memory-request-store.js';
import { MemoryResultStore } from '../tests/support/memory-result-store.js';
import { printStats, type Stats } from './harness.js';

/**
 * The approval workflow, measured on the local host (PGlite, the Cosmos DB emulator, the
 * in-process queues):
 *  1. from the approver's decision POST to the result being readable by the requester, over
 *     HTTP, p50 of 20 requests (the agent polls its status every 5 ms, then reads the result);
 *  2. what composing the approval workflow adds to a direct allowed read: the same point read
 *     through two gateways built in this run over the same database and an in-memory audit,
 *     one with the approval ports (stores, queue, notifier, callbacks), one without,
 *     alternating call by call so the machine's load falls on both alike.
 */
export async function benchApprovals(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'agentgate-bench-approvals-'));
  const host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
  const queue = new InProcessQueue();
  try {
    await decisionToResult(host);
    await directReadCost(host, queue);
  } finally {
    await queue.close();
    await host.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

type Host = Awaited<ReturnType<typeof startDevHost>>;

async function decisionToResult(host: Host): Promise<void> {
  const agent = await host.issuer.mint({ agent: 'bench-agent', ttlSeconds: 3600 });
  const alice = await host.issuer.mint({ user: 'alice', groups: ['data-owners'], ttlSeconds: 3600 });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${host.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const times: number[] = [];
  const rows: number[] = [];
  for (let i = 0; i < 20; i++) {
    const asked = await call('POST', '/api/v1/connections/demo/query', agent, {
      sql: 'select id, city, email from customers',
      purpose: 'bench',
    });
    if (asked.status !== 202) throw new Error(`expected 202, got ${asked.status}`);
    const id = String((asked.json.approval as { approvalRequestId: string }).approvalRequestId);
    const t0 = performance.now();
    const decided = await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'approve' });
    if (decided.status !== 202) throw new Error(`decision answered ${decided.status}`);
    for (;;) {
      const s = await call('GET', `/api/v1/requests/${id}`, agent);
      const status = (s.json.request as { status?: string } | undefined)?.status;
      if (status === 'completed') break;
      if (status !== 'pending' && status !== 'approved' && status !== 'executing') {
        throw new Error(`request ${id} ended ${status}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const result = await call('GET', `/api/v1/requests/${id}/result`, agent);
    if (result.status !== 200) throw new Error(`result answered ${result.status}`);
    times.push(performance.now() - t0);
    rows.push(Number(result.json.rowCount));
  }
  times.sort((a, b) => a - b);
  const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
  console.log('\n## Approval: decision POST to readable result (local host, HTTP, 20 requests)');
  console.log(['requests', 'rows each', 'p50 ms', 'min ms', 'p90 ms', 'max ms'].join('\t'));
  console.log(
    [
      times.length,
      rows[0],
      pick(0.5).toFixed(1),
      times[0]?.toFixed(1),
      pick(0.9).toFixed(1),
      times.at(-1)?.toFixed(1),
    ].join('\t'),
  );
}

async function directReadCost(host: Host, queue: InProcessQueue): Promise<void> {
  const token = await host.issuer.mint({ agent: 'bench-agent', ttlSeconds: 3600 });
  const policy = await loadPolicyEngine(join(import.meta.dirname, '..', 'policies'));
  const base: GatewayParts = {
    verifier: createTokenVerifier({
      dev: { issuer: host.issuer.issuer, audience: host.issuer.audience, keys: host.issuer.keys },
    }),
    policy,
    config: demoConfig(),
    connectorFor: connectorRegistry({ ...(host.demo ? { demo: host.demo } : {}) }).connectorFor,
    audit: new MemoryAuditStore(),
    maskingKey: 'bench-masking-key-0123456789',
  };
  const without = composeGateway(base).api;
  const withApprovals = composeGateway({
    ...base,
    audit: new MemoryAuditStore(),
    approvals: {
      requests: new MemoryRequestStore(),
      results: new MemoryResultStore(),
      queue,
      notifier: new InboxNotifier(),
      approveUrl: (id) => `http://localhost/api/approve/${id}`,
      callbacks: createCallbackPorts({
        config: demoConfig().approvals?.callbacks,
        key: 'bench-callback-key-0123456789abcdef',
        allowLoopback: true,
        publicUrl: (p) => `http://localhost${p}`,
      }),
    },
  }).api;
  const sql = 'select id, full_name, email, city from customers where id = $1';
  let n = 0;
  const read = (api: typeof without) => async () => {
    const res = await api.query(request(token, sql, (n++ % 3000) + 1));
    if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
  };
  const iterations = 400;
  for (let i = 0; i < 100; i++) {
    await read(without)();
    await read(withApprovals)();
  }
  // Alternating call by call, so the load of a shared machine falls on both alike.
  const times = { without: [] as number[], with: [] as number[] };
  for (let i = 0; i < iterations; i++) {
    const order = i % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
    for (const which of order) {
      const t0 = performance.now();
      await read(which === 'with' ? withApprovals : without)();
      times[which].push(performance.now() - t0);
    }
  }
  const stats = (name: string, list: number[]): Stats => {
    const sorted = [...list].sort((x, y) => x - y);
    const total = sorted.reduce((x, y) => x + y, 0);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
    return {
      name,
      iterations: sorted.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      meanMs: total / sorted.length,
      opsPerSec: sorted.length / (total / 1000),
    };
  };
  const baseline = stats('without approvals (baseline)', times.without);
  printStats(
    'Direct allowed read: approval workflow composed vs not (in-process, alternating, same run)',
    [baseline, stats('with approvals composed', times.with)],
    baseline,
  );
}

function request(token: string, sql: string, id: number): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/v1/connections/demo/query',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    params: { connection: 'demo' },
    body: { string: JSON.stringify({ sql, params: [id] }) },
  });
}
