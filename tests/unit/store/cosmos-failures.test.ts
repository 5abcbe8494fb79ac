import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { startCosmosEmulator } from '../../../cli/dev/cosmos-emulator.js';
import { isGatewayError } from '../../../shared/errors.js';
import { CosmosAuditStore } from '../../../shared/store/cosmos-audit-store.js';
import { createCosmosClient, ensureContainers } from '../../../shared/store/cosmos-client.js';
import { auditRecord } from '../../contract/audit-store.contract.js';

const unavailable = (e: unknown) => isGatewayError(e) && e.code === 'audit_unavailable' && e.status === 503;

/** Settles with the outcome, or with 'hung' when the store did not answer within `ms`. */
async function within<T>(ms: number, promise: Promise<T>): Promise<PromiseSettledResult<T> | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    return await Promise.race([Promise.allSettled([promise]).then(([r]) => r!), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The rejection reason; fails the test if the operation hung or succeeded. */
function rejectionOf<T>(outcome: PromiseSettledResult<T> | 'hung'): unknown {
  if (outcome === 'hung') assert.fail('the store did not answer within the bound');
  if (outcome.status === 'fulfilled') assert.fail('the operation succeeded against a dead store');
  return outcome.reason;
}

describe('CosmosAuditStore when the store is gone', () => {
  it('rejects append and search with audit_unavailable once the emulator has stopped', async () => {
    const emulator = await startCosmosEmulator();
    const client = createCosmosClient({
      endpoint: emulator.endpoint,
      key: emulator.key,
      allowSelfSigned: true,
    });
    try {
      const database = await ensureContainers(client, `down-${randomUUID()}`);
      const store = new CosmosAuditStore(database.container('audit'), { timeoutMs: 3000 });
      await store.append(auditRecord(1));
      await emulator.stop();

      const appended = await within(8000, store.append(auditRecord(2)));
      const appendedReason = rejectionOf(appended);
      assert.ok(unavailable(appendedReason), String(appendedReason));

      // Reads retry on connection errors inside the SDK; the store's deadline still bounds them.
      const searched = await within(8000, store.search({}, { limit: 5 }));
      const searchedReason = rejectionOf(searched);
      assert.ok(unavailable(searchedReason), String(searchedReason));
    } finally {
      client.dispose();
      await emulator.stop();
    }
  });

  it('rejects append with audit_unavailable when nothing listens on the port', async () => {
    // Take a free port and release it, so the connection is refused.
    const probe = await startCosmosEmulator();
    const endpoint = probe.endpoint;
    await probe.stop();
    const client = createCosmosClient({ endpoint, key: probe.key, allowSelfSigned: true });
    try {
      const container = client.database('agentgate').container('audit');
      const store = new CosmosAuditStore(container, { timeoutMs: 3000 });
      const appended = await within(8000, store.append(auditRecord(3)));
      const appendedReason = rejectionOf(appended);
      assert.ok(unavailable(appendedReason), String(appendedReason));
    } finally {
      client.dispose();
    }
  });

  it('gives up on a store that accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const client = createCosmosClient({
      endpoint: `https://127.0.0.1:${port}`,
      key: 'k',
      allowSelfSigned: true,
    });
    try {
      const store = new CosmosAuditStore(client.database('d').container('audit'), { timeoutMs: 1000 });
      const appended = await within(8000, store.append(auditRecord(5)));
      const appendedReason = rejectionOf(appended);
      assert.ok(unavailable(appendedReason), String(appendedReason));
    } finally {
      client.dispose();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('still refuses a record it cannot partition, before any network call', async () => {
    const client = createCosmosClient({ endpoint: 'https://127.0.0.1:9', key: 'k', allowSelfSigned: true });
    try {
      const store = new CosmosAuditStore(client.database('d').container('audit'), { timeoutMs: 1000 });
      await assert.rejects(store.append(auditRecord(4, { time: '2024-06-01 10:00' })), TypeError);
      await assert.rejects(store.append(auditRecord(4, { id: 'a/b' })), TypeError);
    } finally {
      client.dispose();
    }
  });
});

describe('createCosmosClient', () => {
  it('refuses a key without the explicit emulator flag', () => {
    const options = { endpoint: 'https://127.0.0.1:9', key: 'k', allowSelfSigned: false } as unknown as {
      endpoint: string;
      key: string;
      allowSelfSigned: true;
    };
    assert.throws(() => createCosmosClient(options), TypeError);
  });
});
