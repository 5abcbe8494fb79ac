import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { startDevHost } from '../cli/dev/host.js';
import { measure, printStats } from './harness.js';

/**
 * An allowed query over MCP against the same query over REST, in the same run on the same
 * local host (PGlite, the Cosmos DB emulator): what the MCP adapter costs on top of the use
 * case (a fresh stateless server and transport per request, JSON-RPC framing, the client's
 * output-schema validation).
 */
export async function benchMcp(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'agentgate-bench-mcp-'));
  const host = await startDevHost({ port: 0, stateDir, env: {}, noLock: true });
  const token = await host.issuer.mint({ agent: 'bench-agent' });
  const sql = 'select id, full_name, email, city from customers where id = $1';
  const client = new Client({ name: 'agentgate-bench', version: '1.0.0' });
  try {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${host.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    let n = 0;
    const next = () => (n++ % 5000) + 1;
    const iterations = 300;
    const overRest = async () => {
      const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql, params: [next()] }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    };
    const overMcpFetch = async () => {
      const res = await fetch(`${host.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: n,
          method: 'tools/call',
          params: { name: 'query', arguments: { connection: 'demo', sql, params: [next()] } },
        }),
      });
      const body = (await res.json()) as { result?: { isError?: boolean } };
      if (res.status !== 200 || !body.result || body.result.isError) throw new Error(`MCP ${res.status}`);
    };
    const overMcpSdk = async () => {
      const result = await client.callTool({
        name: 'query',
        arguments: { connection: 'demo', sql, params: [next()] },
      });
      if (result.isError) throw new Error('MCP tool error');
    };
    // Warm every path first (JIT, pools, the emulator's containers), so order does not favour one.
    for (let i = 0; i < 100; i++) {
      await overRest();
      await overMcpFetch();
      await overMcpSdk();
    }
    const rest = await measure('REST over HTTP (baseline)', overRest, { iterations });
    const raw = await measure('MCP tools/call over HTTP (fetch)', overMcpFetch, { iterations });
    const sdk = await measure('MCP tools/call (SDK Client)', overMcpSdk, { iterations });
    const restAgain = await measure('REST over HTTP, again (drift check)', overRest, { iterations });
    printStats('Allowed query: MCP vs REST (same local host, same run)', [rest, raw, sdk, restAgain], rest);
  } finally {
    await client.close().catch(() => {});
    await host.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
