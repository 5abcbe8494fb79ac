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
