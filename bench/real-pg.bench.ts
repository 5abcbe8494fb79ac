import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type DevHost, startDevHost } from '../cli/dev/host.js';
import { HttpRequest } from '../functions/sdk.js';
import type { AuditStore } from '../shared/store/audit-store.js';
import { realPostgresAvailable } from '../tests/support/postgres-server.js';
import { type CosmosProcess, startCosmosProcess } from './cosmos-process.js';
import { measure, printStats, type Stats } from './harness.js';
import { startRealPgDemo } from './real-pg-demo.js';
import { threadCpu } from './thread-cpu.js';

/**
 * The gateway against a real PostgreSQL server on loopback (not the embedded PGlite, which
 * shares the gateway's process and ignores statement_timeout), in the same run: direct `pg`
 * (one query; begin read only / query / rollback), the gateway core called in-process, and
 * the local host over HTTP. Then the same with a delay injected into every audit append
 * (`AGENTGATE_BENCH_AUDIT_MS`, default 3 ms, about Cosmos DB in Azure).
 *
 * CPU per request is this process's (`process.cpuUsage`): the gateway alone, since the Cosmos DB
 * emulator runs in a child process (its CPU is printed apart: in Azure it is Cosmos DB's) and
 * the server is another process. Over HTTP the in-process client's own cost is included too,
 * so the core figure is the gateway's.
 */
const READER_PASSWORD = 'bench-reader-password-0123';
const POINT = 'select id, city, email from customers where id = $1';
const WIDE =
  'select id, full_name, email, phone, card_number, ssn, city, created_at from customers order by id limit 1000';
const C1_ITERATIONS = Number(process.env.AGENTGATE_BENCH_ITERATIONS ?? 300);
const C8_REQUESTS = Number(process.env.AGENTGATE_BENCH_C8 ?? 800);
const WIDE_ITERATIONS = Number(process.env.AGENTGATE_BENCH_WIDE ?? 40);
// The c=1 figure above runs mostly before V8 has compiled the hot path (it takes a few
// thousand requests); this one is taken after, as a long-lived instance runs.
const WARM_READS = Number(process.env.AGENTGATE_BENCH_WARM_READS ?? 3000);
const WARM_MEASURED = Number(process.env.AGENTGATE_BENCH_WARM_MEASURED ?? 1000);

export async function benchRealPg(): Promise<void> {
  const availability = realPostgresAvailable();
  if (!availability.ok) {
    console.log(
      `\n## Real PostgreSQL: SKIPPED (${availability.reason}; install the Debian postgresql package)`,
    );
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-bench-pg-'));
  const { server, configFile } = await startRealPgDemo(dir, READER_PASSWORD);
  try {
    const direct = new pg.Client({
      host: server.host,
      port: server.port,
      database: server.database,
      user: 'agentgate_reader',
      password: READER_PASSWORD,
    });
    await direct.connect();
    // The server is stopped at the end with these still open: that is not a bench failure.
    direct.on('error', () => undefined);
    const pool = new pg.Pool({
      host: server.host,
      port: server.port,
      database: server.database,
      user: 'agentgate_reader',
      password: READER_PASSWORD,
      max: 8,
    });
    pool.on('error', () => undefined);
    try {
      const auditMs = Number(process.env.AGENTGATE_BENCH_AUDIT_MS ?? 3);
      const plain = await runHostCases(dir, configFile, direct, pool, 0);
      const delayed = await runHostCases(dir, configFile, direct, pool, auditMs);
      console.log(`\n## Real PostgreSQL: audit latency ${auditMs} ms vs none (p50 / req/s at c=8)`);
      for (const name of Object.keys(plain)) {
        const a = plain[name] as CaseFigures;
        const b = delayed[name] as CaseFigures;
        console.log(
          `${name}\tp50 ${a.p50.toFixed(3)} -> ${b.p50.toFixed(3)} ms\treq/s ${a.rps.toFixed(0)} -> ${b.rps.toFixed(0)}`,
        );
      }
    } finally {
      await direct.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface CaseFigures {
  p50: number;
  rps: number;
}

async function runHostCases(
  dir: string,
  configFile: string,
  direct: pg.Client,
  pool: pg.Pool,
  auditMs: number,
): Promise<Record<string, CaseFigures>> {
  const stateDir = await mkdtemp(join(dir, 'state-'));
  const cosmos = await startCosmosProcess();
  const host = await startDevHost({
    port: 0,
    stateDir,
    env: { AGENTGATE_CONFIG: configFile, PGPASSWORD: READER_PASSWORD },
    noLock: true,
    noAzurite: true,
    cosmos,
    ...(auditMs > 0 ? { wrapAudit: (s: AuditStore) => delayedAudit(s, auditMs) } : {}),
  });
  try {
    const token = await host.issuer.mint({ agent: 'bench-agent' });
    // At c=8 the requests come from 8 agents: one agent may have at most 4 in flight
    // (limits.concurrentQueriesPerPrincipal), and the bench measures the gateway, not the limit.
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, i) => host.issuer.mint({ agent: `bench-agent-${i}` })),
    );
    let t = 0;
    const anyToken = () => tokens[t++ % tokens.length] as string;
    let n = 0;
    const next = () => (n++ % 10_000) + 1;
    const directOne = () => direct.query(POINT, [next()]);
    const directTx = async () => {
      await direct.query('begin read only');
      await direct.query(POINT, [next()]);
      await direct.query('rollback');
    };
    const core = async () => {
      const res = await host.gateway.api.query(coreRequest(anyToken(), POINT, next()));
      if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${String(res.body)}`);
    };
    const http = () => httpQuery(host, anyToken(), POINT, next());
    const iterations = C1_ITERATIONS;
    const label = auditMs > 0 ? ` (audit +${auditMs} ms)` : '';
    const c1: Stats[] = [
      await measure(`direct pg, one query${label}`, directOne, { iterations }),
      await measure(`direct pg, begin ro/query/rollback${label}`, directTx, { iterations }),
      await measure(`gateway core, in-process${label}`, core, { iterations }),
      await measure(`local host over HTTP${label}`, http, { iterations }),
    ];
    printStats(`Real PostgreSQL, point read, c=1${label}`, c1, c1[0]);
    const added = (c1[2] as Stats).p50Ms - (c1[0] as Stats).p50Ms;
    console.log(
      `added p50 over direct: core ${added.toFixed(3)} ms, HTTP ${((c1[3] as Stats).p50Ms - (c1[0] as Stats).p50Ms).toFixed(3)} ms`,
    );
    console.log(
      `gateway CPU per point read at c=1 (emulator in another process): core ${(c1[2] as Stats).cpuMsPerCall?.toFixed(3)} ms, HTTP (with its client) ${(c1[3] as Stats).cpuMsPerCall?.toFixed(3)} ms`,
    );
    console.log(`\n## Real PostgreSQL, point read, c=8, ${C8_REQUESTS} requests${label}`);
    console.log('case\treq/s\tgateway CPU ms/request\temulator CPU ms/request');
    const c8Direct = await concurrently(C8_REQUESTS, 8, () => pool.query(POINT, [next()]), cosmos);
    const c8Core = await concurrently(C8_REQUESTS, 8, core, cosmos);
    const c8Http = await concurrently(C8_REQUESTS, 8, http, cosmos);
    for (const [name, r] of [
      ['direct pg pool(8)', c8Direct],
      ['gateway core', c8Core],
      ['local host over HTTP', c8Http],
    ] as const) {
      console.log(
        `${name}\t${r.rps.toFixed(0)}\t${r.cpuMsPerRequest.toFixed(3)}\t${r.emulatorCpuMsPerRequest.toFixed(3)}`,
      );
    }
    // After the c=8 case, so that its figure stays comparable with earlier runs.
    if (auditMs === 0 && WARM_MEASURED > 0) await printWarm(core, directOne);

    const wideDirect = await measure(`direct pg, 1000 x 8${label}`, () => direct.query(WIDE), {
      iterations: WIDE_ITERATIONS,
      warmup: 5,
    });
    const wideHttp = await measure(
      `local host over HTTP, 1000 x 8${label}`,
      () => httpQuery(host, token, WIDE),
      {
        iterations: WIDE_ITERATIONS,
        warmup: 5,
      },
    );
    const wideCore = await measure(
      `gateway core, 1000 x 8${label}`,
      async () => {
        const res = await host.gateway.api.query(coreRequest(token, WIDE));
        if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${String(res.body)}`);
      },
      { iterations: WIDE_ITERATIONS, warmup: 5 },
    );
    printStats(`Real PostgreSQL, 1000 x 8 result, c=1${label}`, [wideDirect, wideCore, wideHttp], wideDirect);
    return {
      'point core c=1': { p50: (c1[2] as Stats).p50Ms, rps: c8Core.rps },
      'point HTTP c=1': { p50: (c1[3] as Stats).p50Ms, rps: c8Http.rps },
      '1000x8 HTTP': { p50: wideHttp.p50Ms, rps: 1000 / wideHttp.meanMs },
    };
  } finally {
    await host.stop();
    await cosmos.stop();
  }
}

/**
 * CPU per core point read at c=1 after WARM_READS more reads, with the main thread apart;
 * then p50 latency once warm, the direct query measured in the same stretch, for the added
 * latency a long-lived instance shows (the c=1 table above is mostly before V8 compiled it).
 */
async function printWarm(core: () => Promise<void>, directOne: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARM_READS; i++) await core();
  const threads0 = threadCpu();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < WARM_MEASURED; i++) await core();
  const cpu = process.cpuUsage(cpu0);
  const threads1 = threadCpu();
  const perRead = (ms: number) => (ms / WARM_MEASURED).toFixed(3);
  const split =
    threads0 && threads1
      ? ` (main thread ${perRead(threads1.mainMs - threads0.mainMs)}, helper threads ${perRead(threads1.helpersMs - threads0.helpersMs)})`
      : '';
  console.log(
    `gateway CPU per point read at c=1 once warm (${WARM_MEASURED} reads after ${WARM_READS} more): core ${perRead((cpu.user + cpu.system) / 1000)} ms${split}`,
  );
  const warm: Stats[] = [
    await measure('direct pg, one query (warm)', directOne, { iterations: WARM_MEASURED }),
    await measure('gateway core, in-process (warm)', core, { iterations: WARM_MEASURED }),
  ];
  printStats('Real PostgreSQL, point read, c=1, once warm', warm, warm[0]);
  console.log(
    `added p50 over direct once warm: core ${((warm[1] as Stats).p50Ms - (warm[0] as Stats).p50Ms).toFixed(3)} ms`,
  );
}

async function concurrently(
  total: number,
  concurrency: number,
  fn: () => Promise<unknown>,
  cosmos: CosmosProcess,
): Promise<{ rps: number; cpuMsPerRequest: number; emulatorCpuMsPerRequest: number; failed: number }> {
  for (let i = 0; i < 20; i++) await fn();
  let started = 0;
  let failed = 0;
  let firstError: unknown;
  const emulator0 = await cosmos.cpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        // A failed request is counted, not thrown: the other workers must finish before the
        // host stops, or their sessions die under them.
        await fn().catch((e: unknown) => {
          failed++;
          firstError ??= e;
        });
      }
    }),
  );
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const emulatorMs = (await cosmos.cpuMs()) - emulator0;
  if (failed > 0) console.log(`${failed} of ${total} failed; first: ${String(firstError)}`);
  return {
    rps: total / (elapsed / 1000),
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / total,
    emulatorCpuMsPerRequest: emulatorMs / total,
    failed,
  };
}

/** Every append waits `ms` first, as a store across a network would. */
export function delayedAudit(store: AuditStore, ms: number): AuditStore {
  return {
    append: async (record) => {
      await sleep(ms);
      await store.append(record);
    },
    search: (filter, page) => store.search(filter, page),
  };
}

async function httpQuery(host: DevHost, token: string, sql: string, id?: number): Promise<void> {
  const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, params: id === undefined ? [] : [id] }),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.slice(0, 300)}`);
}

function coreRequest(token: string, sql: string, id?: number): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/v1/connections/demo/query',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    params: { connection: 'demo' },
    body: { string: JSON.stringify({ sql, params: id === undefined ? [] : [id] }) },
  });
}
