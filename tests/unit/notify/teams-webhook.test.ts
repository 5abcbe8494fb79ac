import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { inspect } from 'node:util';
import { parseGroupWebhooks } from '../../../shared/notify/group-webhooks.js';
import { parseRetryAfter, TeamsWebhookNotifier } from '../../../shared/notify/teams-webhook.js';
import type { NotifyOutcome } from '../../../shared/ports/notifier.js';
import { notice, SECRET_WEBHOOK } from './fixtures.js';

type Call = { url: string; init: RequestInit };

/** A fetch that answers from a script and records what it was asked. */
function scripted(answers: Array<Response | Error>) {
  const calls: Call[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
  return { calls, fetchFn };
}

const webhooks = parseGroupWebhooks({ 'sales-approvers': SECRET_WEBHOOK });

async function flush(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

/** Runs notify while advancing mocked time in steps, returning the outcome and when calls happened. */
async function run(notifier: TeamsWebhookNotifier, stepMs: number, maxSteps = 200) {
  let outcome: NotifyOutcome | undefined;
  const done = notifier.notify(notice()).then((o) => {
    outcome = o;
  });
  let elapsed = 0;
  for (let i = 0; i < maxSteps && outcome === undefined; i++) {
    await flush();
    if (outcome !== undefined) break;
    mock.timers.tick(stepMs);
    elapsed += stepMs;
  }
  await done;
  return { outcome: outcome!, elapsed };
}

function assertNoSecret(value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  assert.doesNotMatch(text, /TOP-SECRET|sig=|logic\.azure\.com|workflows\/0123abcd/);
}

describe('TeamsWebhookNotifier', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('posts the card as JSON to the group webhook, refusing redirects', async () => {
    const { calls, fetchFn } = scripted([new Response(null, { status: 202 })]);
    const { outcome } = await run(new TeamsWebhookNotifier({ webhooks, fetch: fetchFn }), 100);
    assert.deepEqual(outcome, { ok: true });
    assert.equal(calls.length, 1);
    assert.equal(calls[0].url, SECRET_WEBHOOK);
    assert.equal(calls[0].init.method, 'POST');
    assert.equal(calls[0].init.redirect, 'error');
    assert.deepEqual(calls[0].init.headers, { 'content-type': 'application/json' });
    const body = JSON.parse(String(calls[0].init.body));
    assert.equal(body.type, 'message');
    assert.equal(body.attachments[0].content.version, '1.5');
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    const { calls, fetchFn } = scripted([
      new Response(null, { status: 429, headers: { 'retry-after': '7' } }),
      new Response(null, { status: 200 }),
    ]);
    const notifier = new TeamsWebhookNotifier({ webhooks, fetch: fetchFn });
    const pending = notifier.notify(notice());
    await flush();
    assert.equal(calls.length, 1);
    mock.timers.tick(6_999);
    await flush();
    assert.equal(calls.length, 1, 'retried before Retry-After');
    mock.timers.tick(1);
    await flush();
    assert.equal(calls.length, 2);
    assert.deepEqual(await pending, { ok: true });
  });

  it('caps a long Retry-After at the maximum delay', async () => {
    const { calls, fetchFn } = scripted([
      new Response(null, { status: 429, headers: { 'retry-after': '3600' } }),
      new Response(null, { status: 200 }),
    ]);
    const notifier = new TeamsWebhookNotifier({ webhooks, fetch: fetchFn, maxDelayMs: 5_000 });
    const pending = notifier.notify(notice());
    await flush();
    mock.timers.tick(5_000);
    await flush();
    assert.equal(calls.length, 2);
    assert.deepEqual(await pending, { ok: true });
  });

  it('backs off exponentially on 5xx: 1 s, then 2 s', async () => {
    const { calls, fetchFn } = scripted([
      new Response(null, { status: 503 }),
      new Response(null, { status: 502 }),
      new Response(null, { status: 200 }),
    ]);
    const notifier = new TeamsWebhookNotifier({ webhooks, fetch: fetchFn });
    const pending = notifier.notify(notice());
    await flush();
    mock.timers.tick(999);
    await flush();
    assert.equal(calls.length, 1);
    mock.timers.tick(1);
    await flush();
    assert.equal(calls.length, 2);
    mock.timers.tick(1_999);
    await flush();
    assert.equal(calls.length, 2);
    mock.timers.tick(1);
    await flush();
    assert.equal(calls.length, 3);
    assert.deepEqual(await pending, { ok: true });
  });

  it('gives up after maxAttempts with a retryable outcome that names the status, not the URL', async () => {
    const { calls, fetchFn } = scripted(
      Array.from({ length: 4 }, () => new Response('oops', { status: 500 })),
    );
    const { outcome } = await run(new TeamsWebhookNotifier({ webhooks, fetch: fetchFn }), 500);
    assert.equal(calls.length, 4);
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && outcome.retryable);
    assert.match(!outcome.ok ? outcome.reason : '', /500.*4 tries/);
    assertNoSecret(outcome);
  });

  it('does not retry other 4xx', async () => {
    for (const status of [400, 401, 403, 404, 413]) {
      const { calls, fetchFn } = scripted([new Response(null, { status })]);
      const { outcome } = await run(new TeamsWebhookNotifier({ webhooks, fetch: fetchFn }), 500);
      assert.equal(calls.length, 1, `retried ${status}`);
      assert.deepEqual(outcome, {
        ok: false,
        retryable: false,
        reason: `the Teams webhook answered ${status}`,
      });
    }
  });

  it('retries a network failure, and keeps the URL in the error out of the outcome', async () => {
    const leak = new TypeError(`fetch failed: connect ECONNREFUSED ${SECRET_WEBHOOK}`);
    const { calls, fetchFn } = scripted([leak, leak, leak]);
    const { outcome } = await run(
      new TeamsWebhookNotifier({ webhooks, fetch: fetchFn, maxAttempts: 3 }),
      500,
    );
    assert.equal(calls.length, 3);
    assert.deepEqual(outcome, {
      ok: false,
      retryable: true,
      reason: 'the Teams webhook could not be reached (TypeError), after 3 tries',
    });
    assertNoSecret(outcome);
  });

  it('says "not retryable" for a group without a webhook, and for no group, without calling anything', async () => {
    const { calls, fetchFn } = scripted([]);
    const notifier = new TeamsWebhookNotifier({ webhooks, fetch: fetchFn });
    const other = await notifier.notify(notice({ approverGroup: 'hr-approvers' }));
    assert.deepEqual(other, {
      ok: false,
      retryable: false,
      reason: 'no Teams webhook is configured for approver group "hr-approvers"',
    });
    const none = await notifier.notify(notice({ approverGroup: null }));
    assert.equal(none.ok, false);
    assert.ok(!none.ok && !none.retryable);
    assert.equal(calls.length, 0);
  });

  it('refuses a notice whose card cannot be built, without posting it', async () => {
    const { calls, fetchFn } = scripted([]);
    const notifier = new TeamsWebhookNotifier({ webhooks, fetch: fetchFn });
    const outcome = await notifier.notify(notice({ approveUrl: 'javascript:alert(1)' }));
    assert.deepEqual(outcome, {
      ok: false,
      retryable: false,
      reason: 'the card could not be built (TypeError)',
    });
    assert.equal(calls.length, 0);
  });

  it('prints nothing at all, so the URL cannot reach a log', async () => {
    const printed: string[] = [];
    const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const saved = methods.map((m) => console[m]);
    for (const m of methods)
      console[m] = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    try {
      const { fetchFn } = scripted([new Error(SECRET_WEBHOOK), new Response(null, { status: 500 })]);
      await run(new TeamsWebhookNotifier({ webhooks, fetch: fetchFn, maxAttempts: 2 }), 500);
    } finally {
      methods.forEach((m, i) => {
        console[m] = saved[i];
      });
    }
    assert.deepEqual(printed, []);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores nonsense', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    assert.equal(parseRetryAfter('5', now), 5_000);
    assert.equal(parseRetryAfter('Tue, 01 Dec 2026 12:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});

describe('parseGroupWebhooks', () => {
  it('never shows a URL: not in JSON, inspect, or a string', () => {
    const map = parseGroupWebhooks(JSON.stringify({ 'sales-approvers': SECRET_WEBHOOK }));
    assert.equal(map.webhookFor('sales-approvers'), SECRET_WEBHOOK);
    assert.equal(map.webhookFor('nobody'), undefined);
    assert.equal(map.webhookFor(null), undefined);
    assertNoSecret(JSON.stringify(map));
    assertNoSecret(inspect(map, { depth: 5 }));
    assertNoSecret(`${map}`);
    assert.deepEqual(map.groups(), ['sales-approvers']);
  });

  it('refuses http, other hosts, explicit ports and credentials, naming the group but not the URL', () => {
    for (const bad of [
      SECRET_WEBHOOK.replace('https:', 'http:'),
      'https://evil.example/workflows?sig=TOP-SECRET',
      'https://logic.azure.com.evil.example/x?sig=TOP-SECRET',
      'https://prod-07.westeurope.logic.azure.com:8443/x?sig=TOP-SECRET',
      'https://u:TOP-SECRET@prod-07.westeurope.logic.azure.com/x',
      'not a url TOP-SECRET',
    ]) {
      assert.throws(
        () => parseGroupWebhooks({ 'sales-approvers': bad }),
        (e: Error) => {
          assert.match(e.message, /sales-approvers/);
          assertNoSecret(e.message);
          return true;
        },
      );
    }
    assert.throws(() => parseGroupWebhooks('{not json'), /not JSON/);
    assert.throws(() => parseGroupWebhooks({ '': SECRET_WEBHOOK }));
  });

  it('accepts the Power Platform and Office webhook hosts, and an extra host when configured', () => {
    const map = parseGroupWebhooks({
      a: 'https://default1234.56.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/x?sig=s',
      b: 'https://contoso.webhook.office.com/webhookb2/x',
    });
    assert.deepEqual(map.groups(), ['a', 'b']);
    const custom = parseGroupWebhooks(
      { c: 'https://hooks.contoso.test/x' },
      { allowedHostSuffixes: ['.contoso.test'] },
    );
    assert.equal(custom.webhookFor('c'), 'https://hooks.contoso.test/x');
  });
});
