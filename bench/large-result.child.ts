import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevHost } from '../cli/dev/host.js';
import { baseline, report, statusMb } from './child-rss.js';
import { cosmosFromEnv } from './cosmos-process.js';

/**
 * One approved large read on the local host, in a process of its own so its peak RSS is its
 * own: an agent's read of every customer is held for approval, a data owner approves, the
 * consumer runs it (cursor FETCH, masking, the result store on the Cosmos DB emulator) and
 * the agent fetches the result (in pages of AGENTGATE_BENCH_PAGE rows). Prints one JSON line. Run by bench/large-result.bench.ts.
 *
 * Peak RSS is the kernel's high-water mark (VmHWM), reset after the host has started and
 * loaded its data, so it covers the approval run and the fetch and nothing before.
 */

const ROWS = Number(process.env.AGENTGATE_BENCH_ROWS ?? 100_000);
const SQL = process.env.AGENTGATE_BENCH_SQL ?? 'select id, city, email from customers';
/** Rows per page of the result fetch; 0 fetches the result whole. */
const PAGE = Number(process.env.AGENTGATE_BENCH_PAGE ?? 10_000);

const stateDir = await mkdtemp(join(tmpdir(), 'agentgate-bench-large-'));
const host = await startDevHost({
  port: 0,
  stateDir,
  customers: ROWS,
  env: process.env,
  noLock: true,
  noAzurite: true,
  // Set by the bench: the emulator in a process of its own, as Cosmos DB is elsewhere in Azure.
  ...cosmosFromEnv(),
});
try {
  const agent = await host.issuer.mint({ agent: 'bulk-agent' });
  const owner = await host.issuer.mint({ user: 'olga', groups: ['data-owners'] });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${host.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  };
  const asked = await call('POST', '/api/v1/connections/demo/query', agent, { sql: SQL, purpose: 'bench' });
  if (asked.status !== 202) throw new Error(`expected 202, got ${asked.status}: ${asked.text.slice(0, 300)}`);
  const id = String(JSON.parse(asked.text).approval.approvalRequestId);

  const rssBeforeMb = baseline();
  const t0 = performance.now();
  const decided = await call('POST', `/api/v1/approvals/${id}/decision`, owner, { decision: 'approve' });
  if (decided.status !== 202) throw new Error(`decision: ${decided.status} ${decided.text.slice(0, 300)}`);
  let status = '';
  while (status !== 'completed' && status !== 'failed') {
    await new Promise((r) => setTimeout(r, 5));
    status = JSON.parse((await call('GET', `/api/v1/requests/${id}`, agent)).text).request?.status ?? '';
  }
  const t1 = performance.now();
  if (status !== 'completed') throw new Error(`the approved request ${status}`);
  const peakAfterRunMb = statusMb('VmHWM');
  let rows = 0;
  let bytes = 0;
  let pages = 0;
  let continuation: string | undefined;
  do {
    const query = PAGE > 0 ? `?limit=${PAGE}${continuation ? `&continuation=${continuation}` : ''}` : '';
    const fetched = await call('GET', `/api/v1/requests/${id}/result${query}`, agent);
    if (fetched.status !== 200) throw new Error(`result: ${fetched.status} ${fetched.text.slice(0, 300)}`);
    const page = JSON.parse(fetched.text) as { rowCount: number; continuation?: string };
    rows += Number(page.rowCount);
    bytes += Buffer.byteLength(fetched.text);
    pages++;
    continuation = PAGE > 0 ? page.continuation : undefined;
  } while (continuation !== undefined);
  const t2 = performance.now();
  report({
    rows,
    pages,
    runMs: t1 - t0,
    fetchMs: t2 - t1,
    bytes,
    rssBeforeMb,
    peakAfterRunMb,
    peakMb: statusMb('VmHWM'),
  });
} finally {
  await host.stop();
  await rm(stateDir, { recursive: true, force: true });
}
