import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Container, CosmosClient } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '../../../cli/dev/cosmos-emulator.js';
import { azuriteService, DEMO_CONTAINER } from '../../../cli/dev/demo-files.js';
import { HttpRequest } from '../../../functions/sdk.js';
import type { StatementExecutedEvent } from '../../../shared/audit/event.js';
import { digestOf } from '../../../shared/audit/result-digest.js';
import type { BlobConnector } from '../../../shared/connectors/blob/port.js';
import { GatewayError } from '../../../shared/errors.js';
import type { Consumer } from '../../../shared/ports/queue.js';
import type { ResultStore } from '../../../shared/ports/result-store.js';
import { createCosmosClient, ensureContainers } from '../../../shared/store/cosmos-client.js';
import { CosmosResultStore } from '../../../shared/store/cosmos-result-store.js';
import { type BlobFixture, blobFixture } from '../../support/blob-fixture.js';

/**
 * Approved blob reads streamed whole into the result store (the Cosmos DB adapter on the
 * emulator, in small chunks, so a result is many items written as rows come): larger than a
 * direct answer may be, never truncated, audited with the bytes read and the stored digest;
 * a failure part-way, of the storage account or of the result store, leaves nothing readable.
 */

const ROWS = 3000;

function bigCsv(rows: number): string {
  const lines = ['id,full_name,email,phone,card_number,ssn,city'];
  for (let i = 1; i <= rows; i++)
    lines.push(
      `${i},Person ${i},p${i}@example.com,+41 79 555 01 ${String(i % 100).padStart(2, '0')},4111111111111111,123-45-6789,Bern`,
    );
  return `${lines.join('\n')}\n`;
}

/** Events that do not all share their fields: the stored columns are every field seen. */
function mixedNdjson(): string {
  const lines: string[] = [];
  for (let i = 0; i < 1200; i++) {
    lines.push(
      JSON.stringify(
        i === 1100
          ? { id: i, kind: 'late', late_field: 'call jane.doe@example.com' }
          : { id: i, kind: 'view', user_email: `u${i}@example.com` },
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The body errors after `after` bytes: the storage account dropping the download. */
function failingAfter(connector: BlobConnector, name: string, afterBytes: number): BlobConnector {
  return {
    ...connector,
    list: connector.list.bind(connector),
    properties: connector.properties.bind(connector),
    close: connector.close.bind(connector),
    read: async (path, range, etag, options) => {
      const read = await connector.read(path, range, etag, options);
      if (path.name !== name) return read;
      let seen = 0;
      const cut = new Transform({
        transform(chunk: Buffer, _enc, done) {
          seen += chunk.length;
          if (seen > afterBytes) done(new Error('connection reset by the storage account'));
          else done(null, chunk);
        },
      });
      read.body.pipe(cut);
      return { ...read, body: cut };
    },
  };
}

/** The real store, whose writers fail on the `nth` append (the store going away mid-run). */
function failingOnAppend(store: ResultStore, nth: number): ResultStore {
  return {
    put: (r) => store.put(r),
    get: (id, now) => store.get(id, now),
    getPage: (id, now, offset, limit) => store.getPage(id, now, offset, limit),
    delete: (id) => store.delete(id),
    open: (opening) => {
      const writer = store.open(opening);
      let n = 0;
      return {
        append: async (rows) => {
          if (++n === nth) throw new GatewayError('store_unavailable', 'The result store is unavailable.');
          await writer.append(rows);
        },
        commit: (closing) => writer.commit(closing),
        abort: () => writer.abort(),
      };
    },
  };
}

let emulator: CosmosEmulator;
let client: CosmosClient;

before(async () => {
  emulator = await startCosmosEmulator();
  client = createCosmosClient({ endpoint: emulator.endpoint, key: emulator.key, allowSelfSigned: true });
});
after(async () => {
  client.dispose();
  await emulator.stop();
});

interface World {
  fx: BlobFixture;
  results: Container;
  consumers: Consumer[];
  agent: string;
  alice: string;
  stop(): Promise<void>;
}

async function world(parts: {
  wrapConnector?: (c: BlobConnector) => BlobConnector;
  wrapResults?: (s: ResultStore) => ResultStore;
}): Promise<World> {
  const database = await ensureContainers(client, `blob-stream-${randomUUID()}`);
  const results = database.container('results');
  // Small chunks: the result is written as many items while the rows come.
  const store = new CosmosResultStore(results, { chunkBytes: 16_384 });
  const fx = await blobFixture(
    { approvalBytes: 1024, maxResponseBytes: 1024 },
    {
      results: parts.wrapResults ? parts.wrapResults(store) : store,
      ...(parts.wrapConnector ? { wrapConnector: parts.wrapConnector } : {}),
    },
  );
  const container = azuriteService(fx.azurite.accountUrl).getContainerClient(DEMO_CONTAINER);
  const csv = Buffer.from(bigCsv(ROWS));
  await container
    .getBlockBlobClient('exports/big.csv')
    .uploadData(csv, { blobHTTPHeaders: { blobContentType: 'text/csv' } });
  await container
    .getBlockBlobClient('events/mixed.ndjson')
    .uploadData(Buffer.from(mixedNdjson()), { blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
  const consumers = fx.gateway.triggers.flatMap((t) =>
    t.kind === 'queue' ? [fx.queue.consume(t.queue, t.pick(fx.gateway.triggerHandlers))] : [],
  );
  return {
    fx,
    results,
    consumers,
    agent: await fx.issuer.mint({ agent: 'bulk-agent' }),
    alice: await fx.issuer.mint({ user: 'alice', groups: ['data-owners'] }),
    async stop() {
      await Promise.allSettled(consumers.map((c) => c.close()));
      await fx.stop();
      await database.delete();
    },
  };
}

type Body = Record<string, unknown>;

async function call(
  w: World,
  name: 'readBlob' | 'requestStatus' | 'requestResult' | 'submitDecision',
  token: string,
  o: { url: string; params: Record<string, string>; body?: unknown },
): Promise<{ status: number; body: Body }> {
  const req = new HttpRequest({
    method: o.body === undefined ? 'GET' : 'POST',
    url: `http://localhost/api/${o.url}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    params: o.params,
    ...(o.body === undefined ? {} : { body: { string: JSON.stringify(o.body) } }),
  });
  const res = await w.fx.gateway.api[name](req);
  return { status: res.status, body: res.body as Body };
}

/** Asks for the read (202), approves it, and waits for the run to settle. */
async function approvedRun(
  w: World,
  path: string,
  query = '',
): Promise<{ id: string; status: string; code?: string }> {
  const asked = await call(w, 'readBlob', w.agent, {
    url: `v1/connections/demo-files/blobs/content?path=${encodeURIComponent(path)}${query}`,
    params: { connection: 'demo-files' },
  });
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const id = String((asked.body.approval as { approvalRequestId: string }).approvalRequestId);
  const decided = await call(w, 'submitDecision', w.alice, {
    url: `v1/approvals/${id}/decision`,
    params: { id },
    body: { decision: 'approve' },
  });
  assert.equal(decided.status, 202);
  for (let i = 0; i < 800; i++) {
    const r = await call(w, 'requestStatus', w.agent, { url: `v1/requests/${id}`, params: { id } });
    const request = r.body.request as { status: string; error?: { code: string } };
    if (!['pending', 'approved', 'executing'].includes(request.status))
      return { id, status: request.status, ...(request.error ? { code: request.error.code } : {}) };
    await new Promise((done) => setTimeout(done, 25));
  }
  assert.fail(`request ${id} did not settle`);
}

function executedOf(w: World, id: string): StatementExecutedEvent {
  const e = w.fx.audit.events().find((x) => x.requestId === id && x.kind === 'statement.executed');
  assert.ok(e, 'the run is audited');
  return e as StatementExecutedEvent;
}

async function itemsIn(results: Container): Promise<number> {
  const { resources } = await results.items.query('SELECT c.id FROM c').fetchAll();
  return resources.length;
}

describe('approved blob reads streamed into the result store', () => {
  it('an approved read skips the records the agent skipped, and the stored statement says so (round 44)', async () => {
    // The stored read dropped rowOffset: approved, it began at the first record.
    const w = await world({});
    try {
      const run = await approvedRun(w, 'demo-files/exports/big.csv', '&rowOffset=5&maxRows=10');
      assert.equal(run.status, 'completed', JSON.stringify(run));
      const fetched = await call(w, 'requestResult', w.agent, {
        url: `v1/requests/${run.id}/result`,
        params: { id: run.id },
      });
      assert.equal(fetched.status, 200, JSON.stringify(fetched.body).slice(0, 300));
      const rows = fetched.body.rows as Array<Record<string, unknown>>;
      assert.deepEqual(
        rows.map((r) => Number(r.id)),
        Array.from({ length: 10 }, (_, i) => i + 6),
      );
      const requested = w.fx.audit.events().find((e) => e.requestId === run.id && e.kind === 'request') as
        | { statement?: string }
        | undefined;
      assert.match(String(requested?.statement), / SKIP 5 ROWS /);
    } finally {
      await w.stop();
    }
  });

  it('a CSV many times the response cap is stored whole, masked, with the digest audited', async () => {
    const w = await world({});
    try {
      const run = await approvedRun(w, 'demo-files/exports/big.csv');
      assert.equal(run.status, 'completed', JSON.stringify(run));
      const fetched = await call(w, 'requestResult', w.agent, {
        url: `v1/requests/${run.id}/result`,
        params: { id: run.id },
      });
      assert.equal(fetched.status, 200, JSON.stringify(fetched.body).slice(0, 300));
      const rows = fetched.body.rows as Array<Record<string, unknown>>;
      const columns = fetched.body.columns as Array<{ name: string; type: string }>;
      assert.equal(rows.length, ROWS, 'every row, not one response worth');
      assert.equal(fetched.body.truncated, false);
      assert.deepEqual(
        columns.map((c) => c.name),
        ['id', 'full_name', 'email', 'phone', 'card_number', 'ssn', 'city'],
      );
      assert.deepEqual(
        rows.map((r) => Number(r.id)),
        Array.from({ length: ROWS }, (_, i) => i + 1),
        'in order',
      );
      for (const row of rows) {
        assert.doesNotMatch(String(row.card_number), /^\d{16}$/);
        assert.equal(row.ssn, '[REDACTED]');
        assert.doesNotMatch(String(row.email), /^p\d+@/);
      }
      const size = Buffer.byteLength(bigCsv(ROWS));
      const executed = executedOf(w, run.id);
      assert.equal(executed.rows, ROWS);
      assert.equal(executed.errorCode, null);
      assert.equal(executed.blob?.path, 'exports/big.csv');
      assert.equal(executed.blob?.bytesRead, size);
      assert.ok(executed.blob?.etag, 'the version read is named');
      const values = rows.map((r) => columns.map((c) => r[c.name]));
      const digest = digestOf({ columns, rows: values });
      assert.equal(executed.releasedDigest, digest, 'the digest is over everything stored');
      assert.equal(fetched.body.digest, digest);
      assert.equal(executed.bytesReturned, Buffer.byteLength(JSON.stringify(rows)), 'bytes released');
      assert.equal(executed.masking?.byClass['pci.pan'], ROWS);
      assert.ok((await itemsIn(w.results)) > 10, 'written in many chunks');
    } finally {
      await w.stop();
    }
  });

  it('NDJSON rows with different fields: every field is a column, late ones included', async () => {
    const w = await world({});
    try {
      const run = await approvedRun(w, 'demo-files/events/mixed.ndjson');
      assert.equal(run.status, 'completed', JSON.stringify(run));
      const fetched = await call(w, 'requestResult', w.agent, {
        url: `v1/requests/${run.id}/result`,
        params: { id: run.id },
      });
      const rows = fetched.body.rows as Array<Record<string, unknown>>;
      const columns = (fetched.body.columns as Array<{ name: string }>).map((c) => c.name);
      assert.deepEqual(columns, ['id', 'kind', 'user_email', 'late_field']);
      assert.equal(rows.length, 1200);
      const late = rows.find((r) => r.kind === 'late');
      assert.ok(late);
      assert.equal(late.user_email, null);
      assert.doesNotMatch(String(late.late_field), /jane\.doe@example\.com/, 'free text is scanned');
      assert.doesNotMatch(String(rows[0]?.user_email), /^u0@/);
      // The fields are found in a first pass over the same (pinned) version: twice the bytes.
      const size = Buffer.byteLength(mixedNdjson());
      assert.equal(executedOf(w, run.id).blob?.bytesRead, 2 * size);
    } finally {
      await w.stop();
    }
  });

  it('the storage account failing part-way: failed, audited, nothing readable left', async () => {
    const w = await world({ wrapConnector: (c) => failingAfter(c, 'exports/big.csv', 100_000) });
    try {
      const run = await approvedRun(w, 'demo-files/exports/big.csv');
      assert.equal(run.status, 'failed');
      assert.equal(run.code, 'target_unavailable');
      const executed = executedOf(w, run.id);
      assert.equal(executed.errorCode, 'target_unavailable');
      assert.ok((executed.blob?.bytesRead ?? 0) > 0, 'what was read before the failure is audited');
      assert.equal(executed.releasedDigest, undefined, 'nothing released');
      assert.equal(await itemsIn(w.results), 0, 'the chunks written before the failure are gone');
      const fetched = await call(w, 'requestResult', w.agent, {
        url: `v1/requests/${run.id}/result`,
        params: { id: run.id },
      });
      assert.ok(!('rows' in fetched.body));
    } finally {
      await w.stop();
    }
  });

  it('the result store failing part-way: result_store_unavailable, nothing readable left', async () => {
    const w = await world({ wrapResults: (s) => failingOnAppend(s, 3) });
    try {
      const run = await approvedRun(w, 'demo-files/exports/big.csv');
      assert.equal(run.status, 'failed');
      assert.equal(run.code, 'result_store_unavailable');
      assert.equal(executedOf(w, run.id).errorCode, 'result_store_unavailable');
      assert.equal(await itemsIn(w.results), 0);
    } finally {
      await w.stop();
    }
  });

  it("the agent's own read of the same blob keeps the response cap", async () => {
    const w = await world({});
    try {
      // Under the approval threshold (1024 bytes), so the agent is answered directly.
      const direct = await call(w, 'readBlob', w.agent, {
        url: 'v1/connections/demo-files/blobs/content?path=demo-files/exports/big.csv&offset=0&length=1000',
        params: { connection: 'demo-files' },
      });
      assert.equal(direct.status, 200, JSON.stringify(direct.body).slice(0, 300));
      assert.equal(direct.body.truncated, true);
      assert.ok(Buffer.byteLength(JSON.stringify(direct.body.rows)) <= 1024);
    } finally {
      await w.stop();
    }
  });
});
