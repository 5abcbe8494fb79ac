import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { demoConfig, startDevHost } from '../cli/dev/host.js';
import { HttpRequest, InvocationContext } from '../functions/sdk.js';
import { composeGateway } from '../shared/compose.js';
import { connectorRegistry } from '../shared/connectors/registry.js';
import { createTokenVerifier } from '../shared/identity/index.js';
import { loadPolicyEngine } from '../shared/policy/index.js';
import { MemoryAuditStore } from '../tests/support/memory-audit-store.js';
import { loadBaselineGateway } from './baseline.js';
import { measure, printStats } from './harness.js';

/**
 * The whole gateway against a direct `pg` query on the same embedded database, in the same
 * run: what an agent pays for authentication, analysis, Cedar, masking and a durable audit
 * record (to the Cosmos DB emulator) on every request.
 */
export async function benchPipeline(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'agentgate-bench-'));
  const host = await startDevHost({ port: 0, stateDir, env: {}, noLock: true });
  const token = await host.issuer.mint({ agent: 'bench-agent' });
  const [connection] = host.routes.filter((r) => r.name === 'query');
  const sql = 'select id, full_name, email, city from customers where id = $1';
  const direct = new pg.Client({
    host: '127.0.0.1',
    port: demoPort(host),
    user: 'postgres',
    database: 'postgres',
  });
  try {
    await direct.connect();
    let n = 0;
    const next = () => (n++ % 5000) + 1;
    const iterations = 300;
    const baseline = await measure(
      'direct pg (baseline)',
      async () => {
        await direct.query('begin read only');
        await direct.query(sql, [next()]);
        await direct.query('rollback');
      },
      { iterations },
    );
    const core = await measure(
      'gateway core (in-process)',
      async () => {
        const res = await host.gateway.api.query(request(token, sql, next()));
        if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
      },
      { iterations },
    );
    // The same core with the audit going to memory: separates the gateway's own cost from the
    // Cosmos DB emulator, which runs in this process and shares its event loop.
    const memoryAudit = composeGateway({
      verifier: createTokenVerifier({
        dev: { issuer: host.issuer.issuer, audience: host.issuer.audience, keys: host.issuer.keys },
      }),
      policy: await loadPolicyEngine(join(import.meta.dirname, '..', 'policies')),
      config: demoConfig(),
      connectorFor: connectorRegistry({ demo: host.demo }).connectorFor,
      audit: new MemoryAuditStore(),
      maskingKey: 'bench-masking-key-0123456789',
    }).api;
    const coreMemory = await measure(
      'gateway core, audit in memory',
      async () => {
        const res = await memoryAudit.query(request(token, sql, next()));
        if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
      },
      { iterations },
    );
    const handler = await measure(
      'Functions handler (HttpRequest)',
      async () => {
        const res = await connection.handler(request(token, sql, next()), fakeContext());
        if (res.status !== 200) throw new Error(`handler answered ${res.status}`);
      },
      { iterations },
    );
    const http = await measure(
      'local host over HTTP',
      async () => {
        const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ sql, params: [next()] }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      },
      { iterations },
    );
    printStats(
      'Query pipeline vs direct pg (same embedded database, same run)',
      [baseline, core, coreMemory, handler, http],
      baseline,
    );
  } finally {
    await direct.end().catch(() => {});
    await host.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The commit the A/B compares with: the last one before the core reshape (issue 8). */
const BASELINE_COMMIT = process.env.AGENTGATE_BENCH_BASELINE ?? '45e485a';

/**
 * Old and new gateway core in one run, audit in memory for both, on the same demo database:
 * calls alternate (old, new, new, old, ...) so that drift on a shared machine falls on both
 * alike. Prints each p50, their ratio, and the spread of the ratio over rounds as the noise.
 */
export async function benchPipelineAB(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'agentgate-bench-ab-'));
  const host = await startDevHost({ port: 0, stateDir, env: {}, noLock: true });
  try {
    const token = await host.issuer.mint({ agent: 'bench-agent' });
    const sql = 'select id, full_name, email, city from customers where id = $1';
    const dev = { issuer: host.issuer.issuer, audience: host.issuer.audience, keys: host.issuer.keys };
    const maskingKey = 'bench-masking-key-0123456789';
    const current = composeGateway({
      verifier: createTokenVerifier({ dev }),
      policy: await loadPolicyEngine(join(import.meta.dirname, '..', 'policies')),
      config: demoConfig(),
      connectorFor: connectorRegistry({ demo: host.demo }).connectorFor,
      audit: new MemoryAuditStore(),
      maskingKey,
    }).api;
    const old = await loadBaselineGateway(BASELINE_COMMIT, {
      dev,
      demo: { host: host.demo?.host ?? '127.0.0.1', port: demoPort(host) },
      maskingKey,
    });
    if ('skipped' in old) {
      console.log(`\n## Pipeline A/B: skipped (${old.skipped})`);
      return;
    }
    let n = 0;
    const next = () => (n++ % 5000) + 1;
    const sides = [
      { name: `gateway core at ${old.commit}`, run: (id: number) => old.query(request(token, sql, id)) },
      { name: 'gateway core now', run: (id: number) => current.query(request(token, sql, id)) },
    ];
    for (const side of sides) {
      const res = await side.run(1);
      if (res.status !== 200) throw new Error(`${side.name} answered ${res.status}`);
      for (let i = 0; i < 50; i++) await side.run(next());
    }
    const rounds = 8;
    const perRound = 60;
    const samples: number[][] = [[], []];
    const roundRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const round: number[][] = [[], []];
      for (let i = 0; i < perRound; i++) {
        // ABBA order: neither side always runs first after the other's pool warmed the DB.
        const order = (i + r) % 2 === 0 ? [0, 1] : [1, 0];
        for (const s of order) {
          const id = next();
          const t0 = performance.now();
          const res = await sides[s].run(id);
          round[s].push(performance.now() - t0);
          if (res.status !== 200) throw new Error(`${sides[s].name} answered ${res.status}`);
        }
      }
      samples[0].push(...round[0]);
      samples[1].push(...round[1]);
      roundRatios.push(p50(round[1]) / p50(round[0]));
    }
    const [a, b] = samples.map(p50);
    roundRatios.sort((x, y) => x - y);
    console.log(
      `\n## Pipeline A/B in one run (audit in memory, ${rounds} x ${perRound} calls each, interleaved)`,
    );
    console.log(['case', 'calls', 'p50 ms'].join('\t'));
    console.log([sides[0].name, samples[0].length, a.toFixed(4)].join('\t'));
    console.log([sides[1].name, samples[1].length, b.toFixed(4)].join('\t'));
    console.log(
      `now / ${old.commit} p50: ${(b / a).toFixed(2)}x (per round ${roundRatios[0].toFixed(2)}-${roundRatios[rounds - 1].toFixed(2)}x)`,
    );
  } finally {
    await host.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

function p50(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

function demoPort(host: Awaited<ReturnType<typeof startDevHost>>): number {
  if (host.demo === undefined) throw new Error('the dev host started without the demo database');
  return host.demo.port;
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

function fakeContext(): InvocationContext {
  return new InvocationContext({ functionName: 'query' });
}
