import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startDevHost } from '../cli/dev/host.js';
import type { AuditRecord } from '../shared/audit/record.js';
import type { AuditStore } from '../shared/store/audit-store.js';
import { type PostgresServer, realPostgresAvailable } from '../tests/support/postgres-server.js';
import { startRealPgDemo } from './real-pg-demo.js';

/**
 * A bounded load test of the local host on loopback: a few thousand mixed requests (point
 * reads, denied statements, 1,000-row reads, reads bound for approval) at concurrency 8.
 * Passes when every request was answered with its expected status, the audit store holds
 * exactly one request record per request, and the process is still here. Real PostgreSQL
 * when its binaries are installed, the embedded demo otherwise.
 */
const TOTAL = Number(process.env.AGENTGATE_LOAD_REQUESTS ?? 3000);
const CONNECTIONS = Number(process.env.AGENTGATE_LOAD_CONNECTIONS ?? 8);
const READER_PASSWORD = 'load-reader-password-0123';

const MIX = [
  {
    name: 'point read',
    sql: 'select id, city, email from customers where id = $1',
    params: [42],
    status: 200,
  },
  { name: 'denied (select *)', sql: 'select * from customers where id = 1', params: [], status: 403 },
  {
    name: '1000-row read',
    sql: 'select id, full_name, email, city from customers order by id limit 1000',
    params: [],
    status: 200,
  },
  // Held for approval (202) until the agent has limits.pendingApprovalsPerPrincipal waiting,
  // then refused as too many pending (429): held or refused, nothing is released either way.
  { name: 'approval-bound', sql: 'select id, city from customers', params: [], status: [202, 429] },
] as const;

function expected(status: number, want: number | readonly number[]): boolean {
  return typeof want === 'number' ? status === want : want.includes(status);
}

export async function benchLoad(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-load-'));
  let server: PostgresServer | undefined;
  try {
    const env: Record<string, string> = {};
    if (realPostgresAvailable().ok) {
      const demo = await startRealPgDemo(dir, READER_PASSWORD);
      server = demo.server;
      Object.assign(env, demo.env);
    } else {
      console.log('(no PostgreSQL binaries: the load runs against the embedded demo)');
    }
    let inner: AuditStore | undefined;
    const host = await startDevHost({
      port: 0,
      stateDir: join(dir, 'state'),
      env,
      noLock: true,
      wrapAudit: (store) => {
        inner = store;
        return store;
      },
    });
    try {
      // Many agents, so the budget of one never turns reads into approvals.
      const tokens = await Promise.all(
        Array.from({ length: 16 }, (_, i) => host.issuer.mint({ agent: `load-agent-${i}` })),
      );
      const unexpected = new Map<string, number>();
      let n = 0;
      const requests = MIX.map((m) => ({
        method: 'POST' as const,
        path: '/api/v1/connections/demo/query',
        setupRequest: (req: autocannon.Request): autocannon.Request => ({
          ...req,
          headers: {
            authorization: `Bearer ${tokens[n++ % tokens.length]}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ sql: m.sql, params: m.params }),
        }),
        onResponse: (status: number) => {
          if (!expected(status, m.status)) {
            const key = `${m.name}: ${status}`;
            unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
          }
        },
      }));
      const before = await countRequestRecords(inner as AuditStore);
      const t0 = performance.now();
      const result = await autocannon({
        url: host.url,
        connections: CONNECTIONS,
        amount: TOTAL,
        timeout: 30,
        requests,
      });
      const seconds = (performance.now() - t0) / 1000;
      const after = await countRequestRecords(inner as AuditStore);
      const answered = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
      console.log(`\n## Load: ${TOTAL} mixed requests, ${CONNECTIONS} connections, loopback`);
      console.log(
        `answered ${answered} of ${TOTAL} in ${seconds.toFixed(1)} s (${(answered / seconds).toFixed(0)} req/s)`,
      );
      console.log(`errors ${result.errors}, timeouts ${result.timeouts}, 5xx ${result['5xx']}`);
      console.log(
        `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
      );
      console.log(
        `audit request records added: ${after - before} (one per request: ${after - before === answered})`,
      );
      console.log(`unexpected statuses: ${JSON.stringify(Object.fromEntries(unexpected))}`);
      console.log(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
      const ok =
        answered === TOTAL &&
        result.errors === 0 &&
        result.timeouts === 0 &&
        after - before === answered &&
        unexpected.size === 0;
      console.log(ok ? 'LOAD PASSED' : 'LOAD FAILED');
      if (!ok) process.exitCode = 1;
    } finally {
      await host.stop();
    }
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Request records (seq 0), counted in the store itself, page by page. */
async function countRequestRecords(store: AuditStore): Promise<number> {
  const ids = new Set<string>();
  let continuation: string | undefined;
  do {
    const page = await store.search({}, { limit: 100, ...(continuation ? { continuation } : {}) });
    for (const r of page.records as AuditRecord[]) if (r.kind === 'request') ids.add(r.requestId);
    continuation = page.continuation;
  } while (continuation);
  return ids.size;
}
