import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { HttpRequest } from '../../../functions/sdk.js';
import type { MaintenanceEvent, RequestEvent } from '../../../shared/audit/event.js';
import { digestOf } from '../../../shared/audit/result-digest.js';
import { composeGateway, type Gateway } from '../../../shared/compose.js';
import { parseConfig } from '../../../shared/config/connections.js';
import {
  createTokenVerifier,
  type DevIssuer,
  loadOrCreateDevIssuer,
} from '../../../shared/identity/index.js';
import { loadPolicyEngine } from '../../../shared/policy/index.js';
import type { SessionPage } from '../../../shared/use-cases/audit-sessions.js';
import type { GatewayLogEvent } from '../../../shared/use-cases/index.js';
import { MAX_PENDING_WRITES, ReplayKeeper } from '../../../shared/use-cases/replay-keep.js';
import { FakeConnector } from '../../support/fake-connector.js';
import { POLICY_DIR, queryRequest } from '../../support/gateway-fixture.js';
import { MemoryAuditStore } from '../../support/memory-audit-store.js';
import { MemoryResultStore } from '../../support/memory-result-store.js';

/**
 * Kept results for replay (shared/use-cases/replay-keep.ts, replay-rows.ts) through the real
 * core: identity, analysis, Cedar, masking, the audit event, on the in-memory test stores.
 */

const CARDS = ['4111111111111111', '5500005555555559', '340000000000009'];
const columns = [
  { name: 'id', type: 'int4', tableId: 100, columnId: 1 },
  { name: 'card_number', type: 'text', tableId: 100, columnId: 2 },
];
const SQL = 'select id, card_number from customers where id < 10';

interface Body {
  rows: Array<Record<string, unknown>>;
  columns: Array<{ name: string; type: string }>;
}

function connection(id: string, replay?: { keepRows?: number }) {
  return {
    id,
    engine: 'postgres',
    environment: 'prod',
    target: 'embedded-demo',
    maxRows: 500,
    classification: { 'public.customers.card_number': 'pci.pan' },
    exposure: { 'public.customers': {} },
    ...(replay ? { replay } : {}),
  };
}

describe('replay: kept results', () => {
  let gateway: Gateway;
  let audit: MemoryAuditStore;
  let results: MemoryResultStore;
  let connector: FakeConnector;
  let issuer: DevIssuer;
  let agent: string;
  let auditor: string;
  let logged: GatewayLogEvent[];

  beforeEach(async () => {
    issuer = await loadOrCreateDevIssuer({
      dir: await mkdtemp(join(tmpdir(), 'agentgate-keep-')),
      issuer: 'http://localhost/agentgate-dev',
    });
    audit = new MemoryAuditStore();
    results = new MemoryResultStore();
    connector = new FakeConnector();
    connector.result = {
      columns,
      rows: CARDS.map((card_number, i) => ({ id: i + 1, card_number })),
      rowCount: 3,
      truncated: false,
    };
    connector.sources = [
      { schema: 'public', table: 'customers', column: 'id' },
      { schema: 'public', table: 'customers', column: 'card_number' },
    ];
    logged = [];
    gateway = composeGateway({
      log: (e) => logged.push(e),
      verifier: createTokenVerifier({
        dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
      }),
      policy: await loadPolicyEngine(POLICY_DIR),
      config: parseConfig({ connections: [connection('demo'), connection('kept', { keepRows: 2 })] }),
      connectorFor: () => connector,
      audit,
      maskingKey: 'unit-test-masking-key-0123456789',
      replay: { results, ttlMs: 7 * 24 * 3600 * 1000 },
    });
    agent = await issuer.mint({ agent: 'keep-agent' });
    auditor = await issuer.mint({ user: 'audrey', groups: ['auditors'] });
  });

  async function read(conn: string): Promise<{ status: number; body: Body; event: RequestEvent }> {
    const res = await gateway.api.query(queryRequest(agent, { sql: SQL }, conn));
    await gateway.replay?.drain();
    const event = audit.all().find((e) => e.action === 'query');
    assert.ok(event, 'the read was audited');
    return { status: res.status, body: res.body as Body, event };
  }

  async function sessions(token: string, rows = true) {
    const q = new URLSearchParams({ principal: 'agent:keep-agent', ...(rows ? { rows: 'true' } : {}) });
    const res = await gateway.api.auditSessions(
      new HttpRequest({
        method: 'GET',
        url: `http://localhost/api/v1/audit/sessions?${q}`,
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    return { status: res.status, page: res.body as SessionPage };
  }

  test('off by default: a connection without replay keeps nothing and its event names nothing', async () => {
    const { status, event } = await read('demo');
    assert.equal(status, 200);
    assert.equal(event.replay, undefined);
    assert.deepEqual(gateway.replay?.stats(), { kept: 0, failed: 0, pending: 0 });
  });

  test('the kept rows are the first N masked rows released, no clear value, linked by digest', async () => {
    const { status, body, event } = await read('kept');
    assert.equal(status, 200);
    assert.equal(body.rows.length, 3);
    const link = event.replay;
    assert.ok(link, 'the event names the kept copy');
    assert.equal(link.rows, 2, 'capped at keepRows');
    assert.equal(link.complete, false);
    const stored = await results.get(link.replayResultId, new Date());
    assert.ok(stored);
    assert.deepEqual(stored.rows, body.rows.slice(0, 2), 'exactly the rows the agent received');
    assert.equal(stored.requestId, event.requestId);
    for (const card of CARDS) assert.doesNotMatch(JSON.stringify(stored), new RegExp(card));
    assert.equal(link.digest, digestOf({ columns: body.columns, rows: body.rows.slice(0, 2) }));
    assert.equal(event.releasedDigest, digestOf(body), 'the released digest is unchanged');
    assert.ok(Date.parse(stored.expiresAt) - Date.parse(stored.createdAt) === 7 * 24 * 3600 * 1000);
  });

  test('every row kept: the kept digest is the released digest itself', async () => {
    connector.result = { ...connector.result, rows: connector.result.rows.slice(0, 1), rowCount: 1 };
    const { body, event } = await read('kept');
    assert.equal(event.replay?.complete, true);
    assert.equal(event.replay?.digest, event.releasedDigest);
    assert.equal(event.releasedDigest, digestOf(body));
  });

  test('replay with rows: verified against the event, the rows shown to an auditor', async () => {
    const { body } = await read('kept');
    const { status, page } = await sessions(auditor);
    assert.equal(status, 200, JSON.stringify(page));
    const kept = page.commands.find((c) => c.action === 'query')?.kept;
    assert.equal(kept?.check, 'verified');
    assert.deepEqual(kept?.result?.rows, body.rows.slice(0, 2));
    const plain = await sessions(auditor, false);
    const link = plain.page.commands.find((c) => c.action === 'query')?.kept;
    assert.equal(link?.rows, 2, 'without rows the link is shown');
    assert.equal(link?.result, undefined, 'and no rows');
  });

  test('a tampered kept copy is flagged and not shown, whether or not its own digest was fixed', async () => {
    const { event } = await read('kept');
    const id = event.replay?.replayResultId ?? '';
    // Rewritten consistently (the store's own check passes): only the audit event catches it.
    results.tamper(id, (r) => {
      (r.rows[0] as unknown as Record<string, unknown>).card_number = '4111111111111111';
      r.digest = digestOf(r);
    });
    let kept = (await sessions(auditor)).page.commands[0]?.kept;
    assert.equal(kept?.check, 'mismatch');
    assert.equal(kept?.result, undefined);
    assert.doesNotMatch(JSON.stringify(kept), /4111111111111111/);
    // Rows changed behind the store's digest: the store refuses it, replay flags it.
    results.tamper(id, (r) => {
      r.rows.pop();
    });
    kept = (await sessions(auditor)).page.commands[0]?.kept;
    assert.equal(kept?.check, 'mismatch');
  });

  test('kept rows are for the auditors group only: an Auditor role without the group, and agents, get 403', async () => {
    await read('kept');
    const roleOnly = await issuer.mint({ user: 'rolf', roles: ['Auditor'] });
    assert.equal((await sessions(roleOnly, false)).status, 200, 'the role may replay');
    const refused = await sessions(roleOnly);
    assert.equal(refused.status, 403);
    assert.doesNotMatch(JSON.stringify(refused.page), /card_number/);
    assert.equal((await sessions(agent)).status, 403);
    assert.equal((await sessions(await issuer.mint({ user: 'bob', groups: ['staff'] }))).status, 403);
  });

  test('result store down: the read is answered, the failure logged, counted, audited and shown', async () => {
    results.unavailable = true;
    const { status, body, event } = await read('kept');
    assert.equal(status, 200);
    assert.equal(body.rows.length, 3);
    assert.ok(event.replay, 'the event names the copy it meant to keep');
    assert.equal(gateway.replay?.stats().failed, 1);
    assert.ok(logged.some((e) => e.code === 'replay_keep_failed' && e.requestId === event.requestId));
    const failure = audit
      .events()
      .find((e): e is MaintenanceEvent => e.kind === 'maintenance' && e.task === 'replay.keep');
    assert.equal(failure?.ok, false);
    assert.equal(failure?.detail.requestId, event.requestId);
    results.unavailable = false;
    const kept = (await sessions(auditor)).page.commands[0]?.kept;
    assert.equal(kept?.check, 'missing');
    assert.match(kept?.failure ?? '', /store_unavailable|unavailable/);
  });

  test('result store down at replay: unreadable, the session still shown', async () => {
    await read('kept');
    results.unavailable = true;
    const { status, page } = await sessions(auditor);
    assert.equal(status, 200);
    assert.equal(page.commands[0]?.kept?.check, 'unreadable');
  });

  test('no audit, no copy: a read refused at the audit keeps nothing and names nothing', async () => {
    audit.setAvailable(false);
    const res = await gateway.api.query(queryRequest(agent, { sql: SQL }, 'kept'));
    await gateway.replay?.drain();
    assert.equal(res.status, 503);
    assert.deepEqual(gateway.replay?.stats(), { kept: 0, failed: 0, pending: 0 });
  });

  test('a reader who saw a class in clear (a data steward) is not kept: the copy would hold clear values', async () => {
    const steward = await issuer.mint({ user: 'stu', groups: ['data-stewards'] });
    const res = await gateway.api.query(queryRequest(steward, { sql: SQL }, 'kept'));
    await gateway.replay?.drain();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /4111111111111111/, 'the steward saw the card in clear');
    const event = audit.all()[0];
    assert.ok((event?.unmaskedClasses ?? []).includes('pci.pan'));
    assert.equal(event?.replay, undefined);
    assert.equal(gateway.replay?.stats().kept, 0);
  });

  test('a denied read keeps nothing', async () => {
    const res = await gateway.api.query(queryRequest(agent, { sql: 'select * from customers' }, 'kept'));
    await gateway.replay?.drain();
    assert.equal(res.status, 403);
    assert.equal(audit.all()[0]?.replay, undefined);
    assert.equal(gateway.replay?.stats().kept, 0);
  });

  test('the response does not wait for the kept write', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const open = results.open.bind(results);
    results.open = (opening) => {
      const writer = open(opening);
      return { ...writer, commit: async (c) => gate.then(() => writer.commit(c)) };
    };
    const res = await gateway.api.query(queryRequest(agent, { sql: SQL }, 'kept'));
    assert.equal(res.status, 200);
    assert.equal(gateway.replay?.stats().pending, 1, 'answered while the copy is still being written');
    release();
    await gateway.replay?.drain();
    assert.equal(gateway.replay?.stats().kept, 1);
  });

  test('config: keepRows defaults to 100 and is bounded', () => {
    const cfg = parseConfig({ connections: [connection('a', {})] });
    assert.equal(cfg.connections[0]?.replay?.keepRows, 100);
    assert.equal(parseConfig({ connections: [connection('a')] }).connections[0]?.replay, undefined);
    assert.throws(() => parseConfig({ connections: [connection('a', { keepRows: 0 })] }));
    assert.throws(() => parseConfig({ connections: [connection('a', { keepRows: 100_000 })] }));
  });

  test('a hanging store: writes past the in-flight cap are refused at once and counted', async () => {
    const keeper = new ReplayKeeper(results);
    let release: () => void = () => {};
    const hang = new Promise<void>((r) => {
      release = r;
    });
    const failures: unknown[] = [];
    for (let i = 0; i <= MAX_PENDING_WRITES; i++) {
      keeper.track(
        () => hang,
        async (e) => {
          failures.push(e);
        },
      );
    }
    assert.deepEqual(keeper.stats(), { kept: 0, failed: 1, pending: MAX_PENDING_WRITES });
    assert.match(String(failures[0]), /in flight/);
    release();
    await keeper.drain();
    assert.deepEqual(keeper.stats(), { kept: MAX_PENDING_WRITES, failed: 1, pending: 0 });
  });
});
