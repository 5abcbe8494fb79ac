import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';
import { verifyCallback } from '../../shared/callbacks/signature.js';

/**
 * The approval workflow on the local host, as agents and approvers use it over HTTP: the
 * in-process queues, the inbox notifier, the Cosmos DB emulator's request and result stores,
 * the shipped policies (bulk reads by agents need a data owner).
 */
/** The parts of the gateway's answers these tests read. */
interface Answer {
  error?: { code: string; reason?: string };
  approval?: { approvalRequestId: string };
  request?: { status: string; approverGroup: string | null };
  requests?: Array<{ id: string }>;
  rows?: Array<{ email: string }>;
  rowCount?: number;
  truncated?: boolean;
  events?: Array<{ kind: string; channel?: string; ok?: boolean; reason?: string }>;
}

/** What a callback receiver got: the raw body and the two signature headers. */
interface Received {
  path: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
}

/** A real HTTP receiver on loopback; `answer` picks each response's status by path and count. */
async function startReceiver(answer: (path: string, n: number) => number | string = () => 204) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({
        path,
        body,
        signature: req.headers['x-agentgate-signature'] as string | undefined,
        timestamp: req.headers['x-agentgate-timestamp'] as string | undefined,
      });
      const a = answer(path, received.filter((r) => r.path === path).length);
      if (typeof a === 'string') res.writeHead(302, { location: a }).end();
      else res.writeHead(a).end('ignored body');
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('approvals end to end (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let agent: string;
  let alice: string;
  let bob: string;
  let auditor: string;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-approvals-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
    agent = await host.issuer.mint({ agent: 'bulk-agent' });
    alice = await host.issuer.mint({ user: 'alice', groups: ['data-owners'] });
    bob = await host.issuer.mint({ user: 'bob', groups: ['data-owners'] });
    auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
  });

  after(async () => {
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${host.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { res, json: (text ? JSON.parse(text) : {}) as Answer };
  }

  /** An agent's read of every customer: stored for approval. */
  async function bulkRead(token = agent, extra: Record<string, unknown> = {}): Promise<string> {
    const { res, json } = await call('POST', '/api/v1/connections/demo/query', token, {
      sql: 'select id, city, email from customers',
      purpose: 'quarterly export',
      ...extra,
    });
    assert.equal(res.status, 202, JSON.stringify(json));
    assert.equal(json.error?.code, 'approval_required');
    assert.ok(!('rows' in json), 'nothing released');
    return String(json.approval?.approvalRequestId);
  }

  async function statusOf(id: string, token = agent) {
    return (await call('GET', `/api/v1/requests/${id}`, token)).json.request;
  }

  async function until(id: string, done: (status: string) => boolean, token = agent) {
    for (let i = 0; i < 150; i++) {
      const request = await statusOf(id, token);
      if (request && done(request.status)) return request;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`request ${id} did not settle`);
  }

  async function eventsOf(id: string): Promise<Array<{ kind: string }>> {
    const { res, json } = await call('GET', `/api/v1/audit/${id}`, auditor);
    assert.equal(res.status, 200);
    return json.events ?? [];
  }

  test('202 -> card in the inbox -> approve -> completed -> masked result for the requester', async () => {
    const id = await bulkRead();
    const pending = await statusOf(id);
    assert.equal(pending?.status, 'pending');
    assert.equal(pending?.approverGroup, 'data-owners');

    // The card approvers would get in Teams, with a link to the approval page.
    let card: unknown;
    for (let i = 0; i < 50 && !card; i++) {
      const inbox = (await (await fetch(`${host.url}/api/inbox`)).json()) as {
        cards: unknown[];
      };
      card = inbox.cards.find((c) => JSON.stringify(c).includes(id));
      if (!card) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(card, 'the approval card reached the inbox');
    assert.match(JSON.stringify(card), new RegExp(`/api/approve/${id}`));

    const inbox = await call('GET', '/api/v1/approvals', alice);
    assert.ok((inbox.json.requests ?? []).some((r) => r.id === id));

    const decided = await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'approve' });
    assert.equal(decided.res.status, 202);
    const done = await until(id, (s) => s === 'completed' || s === 'failed');
    assert.equal(done.status, 'completed', JSON.stringify(done));

    const result = await call('GET', `/api/v1/requests/${id}/result`, agent);
    assert.equal(result.res.status, 200);
    assert.equal(result.json.rowCount, 3000, 'the approval policy cap, not the direct-read cap');
    for (const row of result.json.rows ?? []) assert.doesNotMatch(row.email, /^[^*]+@/);

    // Another agent learns nothing of it, not even that it exists.
    const other = await host.issuer.mint({ agent: 'other-agent' });
    assert.equal((await call('GET', `/api/v1/requests/${id}/result`, other)).res.status, 404);
    assert.equal((await call('GET', `/api/v1/requests/${id}`, other)).res.status, 404);

    const kinds = (await eventsOf(id)).map((e) => e.kind);
    assert.deepEqual(kinds.slice(0, 2), ['request', 'approval.requested']);
    for (const k of ['approval.decision', 'statement.executed', 'result.released'])
      assert.ok(kinds.includes(k), k);
  });

  test("the caller's purpose and the statement's literals are content-scanned before anyone sees them (red-team rounds 18 and 38)", async () => {
    const clear = [
      '4012-8888-8888-1881',
      '4012888888881881',
      '123-45-6789',
      'ana.lopez@contoso.com',
      '5105105105105100',
    ];
    const purpose = `card ${clear[0]} ssn ${clear[2]} for ${clear[3]}, quarterly review`;
    const requester = await host.issuer.mint({ agent: 'purpose-agent' });
    const id = await bulkRead(requester, {
      purpose,
      sql: `select id, city, email from customers where city <> '${clear[4]}'`,
    });
    const seen: Array<[string, string]> = [];
    seen.push(['requester view', JSON.stringify(await statusOf(id, requester))]);
    seen.push(['approver view', JSON.stringify(await statusOf(id, alice))]);
    seen.push(['approver inbox', JSON.stringify((await call('GET', '/api/v1/approvals', alice)).json)]);
    let card = '';
    for (let i = 0; i < 50 && !card.includes(id); i++) {
      card = JSON.stringify(
        ((await (await fetch(`${host.url}/api/inbox`)).json()) as { cards: unknown[] }).cards,
      );
      if (!card.includes(id)) await new Promise((r) => setTimeout(r, 100));
    }
    seen.push(['Teams card', card]);
    seen.push(['approval page', await (await fetch(`${host.url}/api/approve/${id}`)).text()]);
    seen.push(['audit trail', JSON.stringify(await eventsOf(id))]);
    const search = await call('GET', `/api/v1/audit?limit=200&principal=agent:purpose-agent`, auditor);
    seen.push(['audit search', JSON.stringify(search.json)]);
    assert.ok(seen[6]?.[1].includes(id), 'the search found the request');
    for (const [where, text] of seen) {
      for (const value of clear) assert.ok(!text.includes(value), `${value} in clear in the ${where}`);
    }
    // What is not sensitive in it still reads as written.
    assert.match(seen[1]?.[1] ?? '', /quarterly review/);
    assert.match(card, /quarterly review/);
  });

  test('agents, outsiders and the human an agent acts for may not approve', async () => {
    const delegated = await host.issuer.mint({ agent: 'helper-agent', onBehalfOf: 'bob' });
    const id = await bulkRead(delegated);
    const outsider = await host.issuer.mint({ user: 'mallory', groups: ['analysts'] });
    for (const token of [agent, outsider, bob]) {
      const { res } = await call('POST', `/api/v1/approvals/${id}/decision`, token, { decision: 'approve' });
      assert.ok(res.status === 403 || res.status === 404, `status ${res.status}`);
    }
    assert.equal((await statusOf(id, delegated))?.status, 'pending');
  });

  test('deny -> nothing runs; a cancelled request cannot be decided', async () => {
    const denied = await bulkRead();
    await call('POST', `/api/v1/approvals/${denied}/decision`, alice, {
      decision: 'deny',
      reason: 'too broad',
    });
    await until(denied, (s) => s === 'denied');
    assert.ok(!(await eventsOf(denied)).some((e) => e.kind === 'statement.executed'), 'nothing ran');
    assert.equal((await call('GET', `/api/v1/requests/${denied}/result`, agent)).res.status, 409);

    const cancelled = await bulkRead();
    assert.equal((await call('DELETE', `/api/v1/requests/${cancelled}`, alice)).res.status, 404, 'not hers');
    assert.equal((await call('DELETE', `/api/v1/requests/${cancelled}`, agent)).res.status, 200);
    const late = await call('POST', `/api/v1/approvals/${cancelled}/decision`, alice, {
      decision: 'approve',
    });
    assert.equal(late.res.status, 409);
  });

  test('50 concurrent approvals of one request -> exactly one execution', async () => {
    const id = await bulkRead();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('POST', `/api/v1/approvals/${id}/decision`, i % 2 ? alice : bob, { decision: 'approve' }),
      ),
    );
    assert.ok(answers.every((a) => a.res.status === 202 || a.res.status === 409));
    await until(id, (s) => s === 'completed' || s === 'failed');
    // Let every queued decision drain before counting.
    await new Promise((r) => setTimeout(r, 1500));
    const executed = (await eventsOf(id)).filter((e) => e.kind === 'statement.executed');
    assert.equal(executed.length, 1);
  });

  test('an approver may lower the row cap, never raise it', async () => {
    const id = await bulkRead();
    await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'approve', maxRows: 10 });
    await until(id, (s) => s === 'completed');
    const result = await call('GET', `/api/v1/requests/${id}/result`, agent);
    assert.equal(result.json.rowCount, 10);
    assert.equal(result.json.truncated, true);
  });
  describe('signed callbacks', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let elsewhere: Awaited<ReturnType<typeof startReceiver>>;
    let key: string;

    before(async () => {
      elsewhere = await startReceiver();
      receiver = await startReceiver((path, n) => {
        if (path === '/flaky') return n === 1 ? 503 : 204;
        if (path === '/redirect') return elsewhere.url('/stolen');
        return 204;
      });
      key = (await readFile(join(stateDir, 'callback-key'), 'utf8')).trim();
    });
    after(async () => {
      await receiver?.stop();
      await elsewhere?.stop();
    });

    async function callbackTo(path: string, count = 1): Promise<Received[]> {
      for (let i = 0; i < 100; i++) {
        const got = receiver.received.filter((r) => r.path === path);
        if (got.length >= count) return got;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`no callback reached ${path}`);
    }

    async function callbackEvents(id: string) {
      for (let i = 0; i < 50; i++) {
        const events = (await eventsOf(id)).filter(
          (e) => e.kind === 'approval.notified' && (e as { channel?: string }).channel === 'callback',
        ) as Array<{ ok?: boolean; reason?: string }>;
        if (events.length > 0 && (events.at(-1)?.ok || events.at(-1)?.reason?.includes('dead-lettered')))
          return events;
        await new Promise((r) => setTimeout(r, 50));
      }
      return [];
    }

    test('completed: a notice signed with HMAC-SHA256 over timestamp and raw body', async () => {
      const id = await bulkRead(agent, { callbackUrl: receiver.url('/done?ticket=7') });
      await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'approve' });
      const [got] = await callbackTo('/done?ticket=7');
      assert.ok(got);
      assert.match(got.signature ?? '', /^sha256=[0-9a-f]{64}$/);
      const now = Math.floor(Date.now() / 1000);
      const input = {
        key,
        body: got.body,
        signature: got.signature,
        timestamp: got.timestamp,
        nowSeconds: now,
      };
      assert.equal(verifyCallback(input), true, 'the receiver verifies the MAC with the configured key');
      assert.equal(verifyCallback({ ...input, key: 'x'.repeat(64) }), false);
      assert.equal(verifyCallback({ ...input, body: got.body.replace('completed', 'failed') }), false);
      const notice = JSON.parse(got.body) as Record<string, unknown>;
      assert.equal(notice.requestId, id);
      assert.equal(notice.status, 'completed');
      assert.equal(notice.resultUrl, `${host.url}/api/v1/requests/${id}/result`);
      assert.ok(!got.body.includes('@'), 'no data in the notice');
      const result = await fetch(String(notice.resultUrl), { headers: { authorization: `Bearer ${agent}` } });
      assert.equal(result.status, 200);
      const events = await callbackEvents(id);
      assert.equal(events.at(-1)?.ok, true, 'the delivery is audited');
    });

    test('denied and cancelled requests send their notice too', async () => {
      const denied = await bulkRead(agent, { callbackUrl: receiver.url('/denied') });
      await call('POST', `/api/v1/approvals/${denied}/decision`, alice, { decision: 'deny', reason: 'no' });
      const cancelled = await bulkRead(agent, { callbackUrl: receiver.url('/cancelled') });
      assert.equal((await call('DELETE', `/api/v1/requests/${cancelled}`, agent)).res.status, 200);
      const [d] = await callbackTo('/denied');
      const [c] = await callbackTo('/cancelled');
      assert.deepEqual(
        [JSON.parse(d?.body ?? '{}').status, JSON.parse(d?.body ?? '{}').resultUrl],
        ['denied', null],
      );
      assert.equal(JSON.parse(c?.body ?? '{}').status, 'cancelled');
    });

    test('a 5xx is retried with backoff; each attempt is audited', async () => {
      const id = await bulkRead(agent, { callbackUrl: receiver.url('/flaky') });
      await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'deny' });
      const got = await callbackTo('/flaky', 2);
      assert.equal(got.length, 2);
      const events = await callbackEvents(id);
      assert.deepEqual(
        events.map((e) => [e.ok, e.reason]),
        [
          [false, 'retry:http_503'],
          [true, undefined],
        ],
      );
    });

    test('a redirect is not followed: final failure, audited and dead-lettered', async () => {
      const id = await bulkRead(agent, { callbackUrl: receiver.url('/redirect') });
      await call('POST', `/api/v1/approvals/${id}/decision`, alice, { decision: 'deny' });
      await callbackTo('/redirect');
      const events = await callbackEvents(id);
      assert.equal(events.length, 1, 'no retry after a redirect');
      assert.equal(events[0]?.reason, 'fail:redirect_not_followed:302;dead-lettered');
      assert.equal(elsewhere.received.length, 0, 'the redirect target was never contacted');
      assert.ok(host.queue.deadLetters('callbacks').some((d) => d.messageId === `callback:${id}`));
    });

    test('refused before anything runs: host off the allowlist, userinfo, IP literal, bad scheme', async () => {
      const cases: Array<[string, string]> = [
        ['https://hooks.evil.example/cb', 'host_not_allowed'],
        ['http://user:pw@127.0.0.1:9/cb', 'userinfo'],
        ['https://10.0.0.1/cb', 'ip_literal'],
        ['https://169.254.169.254/latest', 'ip_literal'],
        ['http://hooks.evil.example/cb', 'scheme'],
        ['file:///etc/passwd', 'scheme'],
      ];
      for (const [callbackUrl, reason] of cases) {
        const { res, json } = await call('POST', '/api/v1/connections/demo/query', agent, {
          sql: 'select id, city, email from customers',
          callbackUrl,
        });
        assert.equal(res.status, 400, callbackUrl);
        assert.equal(json.error?.code, 'callback_refused');
        assert.equal(json.error?.reason, reason, callbackUrl);
      }
    });
  });
});
