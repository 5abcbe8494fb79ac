import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevHost } from '../cli/dev/host.js';
import { resetPeak, statusMb } from './rss.js';

/**
 * One approved large read on the local host, in a process of its own so its peak RSS is its
 * own: an agent's read of every customer is held for approval, a data owner approves, the
 * consumer runs it (cursor FETCH, masking, the result store on the Cosmos DB emulator) and
 * the agent fetches the result. Prints one JSON line. Run by bench/large-result.bench.ts.
 *
 * Peak RSS is the kernel's high-water mark (VmHWM), reset after the host has started and
 * loaded its data, so it covers the approval run and the fetch and nothing before.
 */

const ROWS = Number(process.env.AGENTGATE_BENCH_ROWS ?? 100_000);
const SQL = process.env.AGENTGATE_BENCH_SQL ?? 'select id, city, email from customers';

const stateDir = await mkdtemp(join(tmpdir(), 'agentgate-bench-large-'));
const host = await startDevHost({ port: 0, stateDir, customers: ROWS, env: process.env, noLock: true });
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

  globalThis.gc?.();
  const rssBeforeMb = statusMb('VmRSS');
  resetPeak();
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
  const fetched = await call('GET', `/api/v1/requests/${id}/result`, agent);
  const t2 = performance.now();
  if (fetched.status !== 200) throw new Error(`result: ${fetched.status} ${fetched.text.slice(0, 300)}`);
  const rows = Number(JSON.parse(fetched.text).rowCount);
  console.log(
    JSON.stringify({
      rows,
      runMs: t1 - t0,
      fetchMs: t2 - t1,
      bytes: Buffer.byteLength(fetched.text),
      rssBeforeMb,
      peakAfterRunMb,
      peakMb: statusMb('VmHWM'),
    }),
  );
} finally {
  await host.stop();
  await rm(stateDir, { recursive: true, force: true });
}
