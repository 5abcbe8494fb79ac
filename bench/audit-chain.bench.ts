import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Database } from '@azure/cosmos';
import { httpVerifySource } from '../cli/commands/audit-verify-http.js';
import { startDevHost } from '../cli/dev/host.js';
import { sealCheckpoint } from '../shared/audit/chain/checkpoint.js';
import type { CheckpointStore } from '../shared/audit/chain/checkpoint-store.js';
import { CosmosAuditLaneReader } from '../shared/audit/chain/cosmos-audit-lane-reader.js';
import { CosmosCheckpointStore } from '../shared/audit/chain/cosmos-checkpoint-store.js';
import { CosmosLaneHeadStore } from '../shared/audit/chain/cosmos-lane-head-store.js';
import { ensureChainContainers } from '../shared/audit/chain/cosmos-layout.js';
import type { LaneHeadStore } from '../shared/audit/chain/lane-head-store.js';
import type { AuditLaneReader } from '../shared/audit/chain/lane-reader.js';
import { type AuditEventSink, ChainedAuditLog } from '../shared/audit/chain/lanes.js';
import { jwks, LocalEs256Signer } from '../shared/audit/chain/signers.js';
import { verifyAuditChain } from '../shared/audit/chain/verify.js';
import type { AuditEvent } from '../shared/audit/event.js';
import { CosmosAuditStore } from '../shared/store/cosmos-audit-store.js';
import { createCosmosClient, ensureContainers } from '../shared/store/cosmos-client.js';
import { MemoryChainEventStore } from '../tests/support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../tests/support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../tests/support/memory-lane-head-store.js';
import { startCosmosProcess } from './cosmos-process.js';
import { printStats, type Stats } from './harness.js';

const CONCURRENCY = 32;

function event(i: number): AuditEvent {
  const requestId = randomUUID();
  return {
    kind: 'request',
    id: `${requestId}:0`,
    requestId,
    seq: 0,
    time: new Date(Date.UTC(2026, 11, 1, 12, 0, 0, i % 1000)).toISOString(),
    principal: { id: 'bench-agent', kind: 'agent', groups: [], roles: [] },
    transport: 'rest',
    connection: 'crm',
    action: 'query',
    statement: 'select id, full_name, email, city from customers where id = $1',
    params: [i],
    fingerprint: 'bench',
    facts: null,
    decision: { outcome: 'allow', policyIds: ['allow-read'], reasons: [] },
    status: 200,
    errorCode: null,
    rowsReturned: 1,
    truncated: false,
    masking: null,
    purpose: null,
    durationMs: 1,
  };
}

/** `total` appends through `sink`, `CONCURRENCY` at a time; per-append latency and throughput. */
async function concurrentAppends(name: string, sink: AuditEventSink, total: number): Promise<Stats> {
  const times = new Float64Array(total);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < total; i = next++) {
        const start = performance.now();
        await sink.append(event(i));
        times[i] = performance.now() - start;
      }
    }),
  );
  const wall = performance.now() - t0;
  times.sort();
  const pick = (q: number) => times[Math.min(total - 1, Math.floor(q * total))] as number;
  return {
    name,
    iterations: total,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
    meanMs: times.reduce((a, b) => a + b, 0) / total,
    // Throughput of the whole concurrent run, not 1/mean.
    opsPerSec: total / (wall / 1000),
  };
}

async function timeVerify(
  name: string,
  parts: { reader: AuditLaneReader; heads: LaneHeadStore; checkpoints: CheckpointStore },
  signer: LocalEs256Signer,
): Promise<void> {
  const sealed = await sealCheckpoint({
    heads: parts.heads,
    checkpoints: parts.checkpoints,
    signer,
    lanes: 16,
  });
  if (!sealed.ok) throw new Error(`seal failed: ${sealed.error}`);
  const keys = (await jwks([signer])).keys;
  const t0 = performance.now();
  const report = await verifyAuditChain({ lanes: 16, ...parts, keys });
  const ms = performance.now() - t0;
  if (!report.ok) throw new Error('bench chain does not verify');
  console.log(
    `${name}\t${report.events} records\t${ms.toFixed(0)} ms\t${((ms * 10_000) / report.events).toFixed(0)} ms per 10,000 records`,
  );
}

/** The emulator resets a connection now and then under load: a failed append is retried as a new event. */
async function appendRetrying(store: { append(e: AuditEvent): Promise<void> }, i: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.append(event(i));
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/**
 * The time `audit verify` takes per 10,000 records on the local host, in-process (the verifier
 * on the host's Cosmos containers) and over HTTP (the CLI's reader, through the audit export
 * routes with an auditor's token), on the same chain in the same run, with the ratio.
 * AGENTGATE_BENCH_VERIFY_RECORDS sets the record count (default 10,000).
 */
export async function benchVerifyOverHttp(): Promise<void> {
  const records = Number(process.env.AGENTGATE_BENCH_VERIFY_RECORDS ?? 10_000);
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-bench-verify-'));
  const host = await startDevHost({
    port: 0,
    stateDir: dir,
    customers: 50,
    env: {},
    noLock: true,
    noAzurite: true,
    skipTimers: ['sealAuditCheckpoint', 'verifyAuditWindow', 'expireApprovals'],
  });
  try {
    const chain = host.gateway.auditChain;
    if (!chain) throw new Error('the local host has no audit chain');
    const t0 = performance.now();
    let next = 0;
    // Appended through the host's chained store: the same lanes and heads requests use.
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < records; i = next++) await appendRetrying(chain.store, i);
      }),
    );
    await chain.seal(new Date());
    console.log(
      `${records} records appended and sealed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const auditor = await host.issuer.mint({ user: 'bench-auditor', groups: ['auditors'] });
    const remote = await httpVerifySource({ baseUrl: host.url, token: auditor });
    const keys = await remote.jwks();
    const ports = chain.exportPorts;
    if (!ports) throw new Error('the local host has no lane reader');
    const time = async (name: string, run: () => Promise<{ ok: boolean; events: number }>) => {
      const start = performance.now();
      const report = await run().catch((e: unknown) => {
        // The in-process emulator scans the whole container per query: on a loaded machine a
        // query can pass the client's 10 s timeout. Say so rather than print no figure at all.
        console.log(`${name}\tfailed after ${(performance.now() - start).toFixed(0)} ms: ${String(e)}`);
        return undefined;
      });
      if (!report) return Number.NaN;
      const ms = performance.now() - start;
      if (!report.ok) throw new Error(`${name}: the chain does not verify`);
      const per = (ms * 10_000) / report.events;
      console.log(
        `${name}\t${report.events} records\t${ms.toFixed(0)} ms\t${per.toFixed(0)} ms per 10,000 records`,
      );
      return per;
    };
    const inProcess = await time('verify, in-process (local host stores)', () =>
      verifyAuditChain({
        lanes: ports.lanes,
        reader: ports.reader,
        checkpoints: ports.checkpoints,
        heads: ports.heads,
        keys,
        live: true,
      }),
    );
    const overHttp = await time('verify, over HTTP (export routes)', () =>
      verifyAuditChain({ ...remote.source, keys }),
    );
    console.log(`verify over HTTP / in-process: ${(overHttp / inProcess).toFixed(2)}x`);
  } finally {
    await host.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function delayed(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The sink with `ms` added before each append (a farther store). */
function slowSink(sink: AuditEventSink, ms: number): AuditEventSink {
  return {
    append: async (e) => {
      await delayed(ms);
      await sink.append(e);
    },
  };
}

/** The head store with `ms` added before each call. */
function slowHeads(heads: LaneHeadStore, ms: number): LaneHeadStore {
  return {
    get: async (lane) => {
      await delayed(ms);
      return heads.get(lane);
    },
    set: async (lane, next, ifMatch) => {
      await delayed(ms);
      return heads.set(lane, next, ifMatch);
    },
  };
}

interface Variant {
  name: string;
  sink: AuditEventSink;
  heads: LaneHeadStore;
  reader: AuditLaneReader;
}

/** The median of each figure over several runs of one case (the machine is shared and noisy). */
function median(name: string, runs: Stats[]): Stats {
  const mid = (f: (r: Stats) => number) =>
    runs.map(f).sort((x, y) => x - y)[Math.floor(runs.length / 2)] as number;
  return {
    name: `${name} (median of ${runs.length})`,
    iterations: runs[0]?.iterations ?? 0,
    p50Ms: mid((r) => r.p50Ms),
    p99Ms: mid((r) => r.p99Ms),
    meanMs: mid((r) => r.meanMs),
    opsPerSec: mid((r) => r.opsPerSec),
  };
}

const ROUNDS = 3;

/** Lane counts the leased variant runs with: the default, and more lanes than concurrent appends. */
const LEASED_LANES = [16, 64];

/**
 * Unchained, chained reserve-first (every batch writes the head first) and chained with
 * leases (at each of LEASED_LANES), interleaved over ROUNDS rounds so that drift of the
 * machine or the store hits all of them alike; each figure is the median over the rounds.
 */
async function compare(title: string, plain: AuditEventSink, chained: Variant, total: number): Promise<void> {
  // Warm-up, discarded: the first round on a fresh store otherwise pays the JIT and the store's growth.
  await concurrentAppends('warm-up', plain, Math.min(total, 500));
  const reserveLog = new ChainedAuditLog({ sink: chained.sink, heads: chained.heads });
  const runs = new Map<string, Stats[]>();
  const add = (name: string, stats: Stats) => runs.set(name, [...(runs.get(name) ?? []), stats]);
  for (let round = 0; round < ROUNDS; round++) {
    add(`unchained, ${chained.name}`, await concurrentAppends('unchained', plain, total));
    add(
      `chained reserve-first, ${chained.name}`,
      await concurrentAppends('reserve-first', reserveLog, total),
    );
    for (const lanes of LEASED_LANES) {
      // A process of its own each round, handing its leases back after. Taking them is a
      // one-off per process, not what an append costs, so it happens before the timing starts.
      // The variants share the store: each log continues a lane from the head the last one left.
      const leasedLog = new ChainedAuditLog({
        sink: chained.sink,
        heads: chained.heads,
        lanes,
        leases: { reader: chained.reader },
      });
      await Promise.all(Array.from({ length: 64 }, (_, i) => leasedLog.append(event(i))));
      add(
        `chained leased, ${lanes} lanes, ${chained.name}`,
        await concurrentAppends('leased', leasedLog, total),
      );
      await leasedLog.close();
    }
  }
  const all = [...runs].map(([name, stats]) => median(name, stats));
  const unchained = all[0] as Stats;
  printStats(title, all, unchained);
  for (const c of all.slice(1)) {
    const cost = (x: number) => `${(x * 100).toFixed(0)}%`;
    console.log(
      `${c.name}: p50 cost ${cost(c.p50Ms / unchained.p50Ms - 1)}, throughput cost ${cost(1 - c.opsPerSec / unchained.opsPerSec)}`,
    );
  }
}

/**
 * Chained against unchained appends on the same store in the same run, 32 at a time: in
 * memory (alone, and with 3 ms injected per store operation, the chain's head store too, as
 * it would share the Cosmos account), and on the Cosmos DB emulator (alone and with 3 ms
 * injected); then the time verify takes.
 */
export async function benchAuditChain(options: { cosmosOnly?: boolean } = {}): Promise<void> {
  const signer = LocalEs256Signer.generate('bench');
  const total = 2000;
  for (const ms of options.cosmosOnly ? [] : [0, 3]) {
    const events = new MemoryChainEventStore({ latencyMs: ms });
    await compare(
      `audit chain: ${total} appends, ${CONCURRENCY} concurrent, in memory ${ms} ms`,
      new MemoryChainEventStore({ latencyMs: ms }),
      {
        name: `memory ${ms} ms`,
        sink: events,
        heads: new MemoryLaneHeadStore({ latencyMs: ms }),
        reader: events,
      },
      total,
    );
  }

  // In a process of its own, as Cosmos DB is another machine in Azure: in this process its CPU
  // would be charged to whichever variant ran beside it.
  const emulator = await startCosmosProcess();
  const client = createCosmosClient({
    endpoint: emulator.endpoint,
    key: emulator.key,
    allowSelfSigned: true,
  });
  try {
    const cosmosTotal = 600;
    let database: Database | undefined;
    for (const ms of [0, 3]) {
      // A fresh database per round: each round's chains start at the genesis.
      await database?.delete();
      database = await ensureContainers(client, `bench-chain-${randomUUID()}`);
      await ensureChainContainers(database);
      const audit = database.container('audit');
      const store = new CosmosAuditStore(audit);
      // The port takes records today and events once the pipeline change lands.
      const plainSink: AuditEventSink = { append: (e) => store.append(e as never) };
      const heads = new CosmosLaneHeadStore(database.container('auditLanes'));
      const sink = ms > 0 ? slowSink(plainSink, ms) : plainSink;
      const suffix = ms > 0 ? ` + ${ms} ms` : '';
      await compare(
        `audit chain: ${cosmosTotal} appends, ${CONCURRENCY} concurrent, Cosmos emulator${suffix}`,
        sink,
        {
          name: `Cosmos${suffix}`,
          sink,
          heads: ms > 0 ? slowHeads(heads, ms) : heads,
          reader: new CosmosAuditLaneReader(audit),
        },
        cosmosTotal,
      );
    }
    if (!database) throw new Error('no database');
    const audit = database.container('audit');
    const heads = new CosmosLaneHeadStore(database.container('auditLanes'));

    console.log('\n## audit verify');
    const verifyEvents = new MemoryChainEventStore();
    const verifyHeads = new MemoryLaneHeadStore();
    const log = new ChainedAuditLog({ sink: verifyEvents, heads: verifyHeads });
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => log.append(event(i + j))));
    }
    await timeVerify(
      'verify, memory',
      { reader: verifyEvents, heads: verifyHeads, checkpoints: new MemoryCheckpointStore() },
      signer,
    );
    await timeVerify(
      'verify, Cosmos emulator',
      {
        reader: new CosmosAuditLaneReader(audit),
        heads,
        checkpoints: new CosmosCheckpointStore(database.container('auditCheckpoints')),
      },
      signer,
    );
    await database.delete();
  } finally {
    client.dispose();
    await emulator.stop();
  }
  if (options.cosmosOnly) return;
  console.log('\n## audit verify on the local host: in-process and over HTTP');
  await benchVerifyOverHttp();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--verify-only')) await benchVerifyOverHttp();
  else await benchAuditChain({ cosmosOnly: process.argv.includes('--cosmos-only') });
  process.exit(0);
}
