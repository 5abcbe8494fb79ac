import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';
import { createApprovalPageHandlers } from '../../shared/rest/approval-page.js';
import type { ApiRequest } from '../../shared/rest/http.js';

/**
 * The approval page in a real browser: headless Chromium (the Debian `chromium` package,
 * installed by scripts/ensure-chromium.sh) driven by playwright-core. With CI=true a missing
 * browser fails the run; elsewhere the suite is skipped with the reason.
 */
function findChromium(): string | undefined {
  // As in scripts/ensure-chromium.sh: a browser named by AGENTGATE_CHROMIUM is the only one tried.
  const named = process.env.AGENTGATE_CHROMIUM;
  if (named) return existsSync(named) ? named : undefined;
  const candidates = [
    // The real binary: /usr/bin/chromium is a wrapper script around it.
    '/usr/lib/chromium/chromium',
    '/usr/lib/chromium-browser/chromium-browser',
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  for (const name of ['chromium', 'chromium-browser']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  return undefined;
}

const CHROMIUM = findChromium();

function skipUnlessChromium(): false | string {
  if (CHROMIUM) return false;
  const why =
    'no Chromium for the approval page browser test: install the Debian "chromium" package ' +
    '(scripts/ensure-chromium.sh) or set AGENTGATE_CHROMIUM.';
  if (process.env.CI === 'true')
    throw new Error(`${why} With CI=true this fails the run instead of skipping.`);
  return `${why} Skipped (outside CI).`;
}

const SKIP = skipUnlessChromium();

const HOSTILE_PURPOSE = '<img src=x onerror=alert(1)>';
const HOSTILE_SQL =
  "select id, email, city from customers where city <> '</script><script>alert(2)</script>'";

interface Watch {
  dialogs: string[];
  errors: string[];
}

/** Every dialog (an alert would mean script injection) and every console error or CSP report. */
function watch(page: Page): Watch {
  const w: Watch = { dialogs: [], errors: [] };
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    // Failed loads are reported with their URL below; the browser's own favicon probe is not the page's.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) w.errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico')
      w.errors.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => w.errors.push(String(e)));
  return w;
}

describe('approval page in headless Chromium (local host)', { skip: SKIP }, () => {
  let host: DevHost;
  let stateDir: string;
  let browser: Browser;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-approval-page-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });

  after(async () => {
    await browser?.close();
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function call(token: string, method: string, path: string, body?: unknown) {
    const res = await fetch(`${host.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function askForApproval(agent: string, sql: string, purpose: string, params?: unknown[]) {
    const token = await host.issuer.mint({ agent });
    const r = await call(token, 'POST', '/api/v1/connections/demo/query', {
      sql,
      purpose,
      ...(params ? { params } : {}),
    });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal((r.json.error as { code: string }).code, 'approval_required');
    const id = (r.json.approval as { approvalRequestId: string }).approvalRequestId;
    assert.match(id, /^[0-9a-f-]{36}$/);
    return { token, id };
  }

  async function signIn(page: Page, id: string, user: string, groups: string) {
    await page.goto(`${host.url}/api/approve/${id}`);
    await page.fill('#dev-user', user);
    await page.fill('#dev-groups', groups);
    await page.click('#dev-signin');
  }

  test('an agent bulk read: approved in the page, run once, the masked result fetched by the agent; hostile values shown as text', async () => {
    const { token, id } = await askForApproval('page-agent', HOSTILE_SQL, HOSTILE_PURPOSE);
    const context = await browser.newContext();
    const page = await context.newPage();
    const w = watch(page);
    const response = await page.goto(`${host.url}/api/approve/${id}`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);

    await signIn(page, id, 'dana', 'data-owners');
    await page.waitForSelector('#request:not([hidden])');
    assert.equal(await page.textContent('#f-purpose'), HOSTILE_PURPOSE);
    assert.equal(await page.textContent('#statement'), HOSTILE_SQL);
    assert.equal(await page.textContent('#f-status'), 'pending');
    assert.equal(await page.textContent('#f-approverGroup'), 'data-owners');
    assert.match((await page.textContent('#f-requester')) ?? '', /agent/);
    assert.match((await page.textContent('#reasons')) ?? '', /\S/);
    // Nothing was injected: no image element, no script beyond the page's own, no dialog.
    assert.equal(await page.locator('img').count(), 0);
    // Playwright's own API only: the page's CSP (rightly) refuses string evaluation.
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script');
    assert.equal(await page.locator('script').count(), 1);
    assert.match(
      (await page.locator('script').getAttribute('src')) ?? '',
      /^\/api\/assets\/approval\.[0-9a-f]{16}\.js$/,
    );

    await page.click('#approve');
    await page.locator('#message', { hasText: /^The request is completed\.$/ }).waitFor({ timeout: 60_000 });
    assert.deepEqual(w.dialogs, []);
    assert.deepEqual(w.errors, []);
    await context.close();

    // The agent follows its request to the end, then fetches the masked result.
    let status = '';
    for (let i = 0; i < 60 && status !== 'completed'; i++) {
      const s = await call(token, 'GET', `/api/v1/requests/${id}`);
      assert.equal(s.status, 200);
      status = (s.json.request as { status: string }).status;
      if (status !== 'completed') await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 'completed');
    const result = await call(token, 'GET', `/api/v1/requests/${id}/result`);
    assert.equal(result.status, 200, JSON.stringify(result.json));
    const rows = result.json.rows as Array<{ id: number; email: string; city: string }>;
    assert.ok(rows.length > 1000, `a bulk read: ${rows.length} rows`);
    for (const row of rows.slice(0, 50))
      assert.match(row.email, /^.\*\*\*@/, 'emails are masked for the agent');
    assert.ok((result.json.masking as { cellsMasked: number }).cellsMasked >= rows.length);
  });

  test('the page shows the bound parameters: what runs is the statement with them', async () => {
    // Red-team round 14: approvers saw `ssn < $1` and never the value bound to it.
    const { id } = await askForApproval(
      'page-agent-params',
      'select id from customers where ssn < $1 and city <> $2',
      'params check',
      ['5', 'card 4111 1111 1111 1111'],
    );
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, id, 'dana', 'data-owners');
    await page.waitForSelector('#request:not([hidden])');
    const items = await page.locator('#params li').allTextContents();
    // Content-scanned like any value the caller wrote: the card is masked here too.
    assert.deepEqual(items, ['$1 = "5"', '$2 = "card ************1111"']);
    await context.close();
  });

  test('every parameter is shown whole, and characters that hide or reorder text are written as codes', async () => {
    // Red-team round 16: a cut at 500 characters hid ",2,...,7" behind 520 spaces, the 51st
    // parameter was "and 1 more", and a bidi override reordered what the page showed.
    const hidden = `1${' '.repeat(520)},2,3,4,5,6,7`;
    const params: unknown[] = [
      hidden,
      ...Array.from({ length: 50 }, (_, i) => `p${i + 2}`),
      '\u202eeoD enaJ',
    ];
    const sql = `select id from customers where ssn is not null and city <> $1 and city <> $51 and city <> $52 and ${Array.from({ length: 49 }, (_, i) => `$${i + 2}::text <> ''`).join(' and ')}`;
    const { id } = await askForApproval('page-agent-long', sql, 'long params', params);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, id, 'dana', 'data-owners');
    await page.waitForSelector('#request:not([hidden])');
    const items = await page.locator('#params li').allTextContents();
    assert.equal(items.length, 52);
    assert.equal(items[0], `$1 = ${JSON.stringify(hidden)}`);
    assert.equal(items[50], '$51 = "p51"');
    assert.equal(items[51], '$52 = "[U+202E]eoD enaJ"');
    await context.close();
  });

  test('a person outside the approver group sees nothing and cannot decide', async () => {
    const { id } = await askForApproval('page-agent-2', 'select id, city from customers', 'monthly report');
    const context = await browser.newContext();
    const page = await context.newPage();
    const w = watch(page);
    await signIn(page, id, 'mallory', 'marketing');
    await page.locator('#message', { hasText: /not one of its approvers/ }).waitFor();
    assert.equal(await page.isHidden('#request'), true);
    assert.equal(await page.isHidden('#decide'), true);
    assert.equal(await page.textContent('#statement'), '');
    assert.deepEqual(w.dialogs, []);
    await context.close();
  });

  test('the dev sign-in refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: host.port, path: '/api/dev/token', method: 'POST', headers },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ user: 'eve', groups: ['data-owners'] }));
      });
    const json = { 'content-type': 'application/json' };
    assert.equal(await post({ ...json, host: `localhost:${host.port}` }), 200);
    assert.equal(await post({ ...json, host: `rebound.example:${host.port}` }), 403);
    assert.equal(await post({ ...json, host: `localhost:${host.port}`, origin: 'http://evil.example' }), 403);
    assert.equal(
      await post({ ...json, host: `localhost:${host.port}`, 'sec-fetch-site': 'cross-site' }),
      403,
    );
    assert.equal(await post({ 'content-type': 'text/plain', host: `localhost:${host.port}` }), 415);
    // Not a route of the Azure table: only the local host answers it.
    assert.equal(
      host.routes.some((r) => r.route.startsWith('dev/')),
      false,
    );
  });
});

/**
 * Entra sign-in as the browser sees it, against a hand-written fake of Entra ID (Entra cannot
 * run here): the page must load MSAL under its own CSP (Trusted Types included), start the
 * authorization code flow with PKCE, come back through the redirect URI's bridge, and call
 * the gateway with the access token it got.
 */
describe('approval page Entra sign-in (fake Entra, headless Chromium)', { skip: SKIP }, () => {
  const TENANT = '11111111-2222-3333-4444-555555555555';
  const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const SCOPE = 'api://agentgate-test/Approvals.Decide';
  const ACCESS_TOKEN = 'fake-entra-access-token';
  let server: Server;
  let origin: string;
  let browser: Browser;
  const seenAuth: string[] = [];

  before(async () => {
    const pages = createApprovalPageHandlers({ entra: { clientId: CLIENT, tenantId: TENANT, scope: SCOPE } });
    server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const apiReq = (params: Record<string, string>): ApiRequest => ({
        method: req.method ?? 'GET',
        url: `${origin}${url.pathname}`,
        headers: { get: (n) => (req.headers[n.toLowerCase()] as string | undefined) ?? null },
        params,
        query: url.searchParams,
        text: async () => '',
      });
      let m = /^\/api\/approve(?:\/([^/]+))?$/.exec(url.pathname);
      let out = m ? await pages.page(apiReq(m[1] ? { id: decodeURIComponent(m[1]) } : {})) : undefined;
      m = /^\/api\/assets\/([^/]+)$/.exec(url.pathname);
      if (m) out = await pages.asset(apiReq({ file: m[1] ?? '' }));
      if (out) {
        res.writeHead(out.status, out.headers).end(out.text);
        return;
      }
      if (url.pathname === '/api/v1/requests/0f8e6d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f') {
        seenAuth.push(req.headers.authorization ?? '');
        const ok = req.headers.authorization === `Bearer ${ACCESS_TOKEN}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            ok
              ? {
                  requestId: 'x',
                  request: {
                    id: '0f8e6d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f',
                    status: 'pending',
                    connection: 'demo',
                    statement: HOSTILE_SQL,
                    requester: { kind: 'agent', id: 'agent:x', name: '<b>bot</b>' },
                    approverGroup: 'data-owners',
                    quorum: 1,
                    maxRows: 1000,
                    estimatedRows: 3000,
                    policyIds: ['agent-bulk-read-approval'],
                    reasons: ['<script>alert(3)</script>'],
                    purpose: HOSTILE_PURPOSE,
                    votes: [],
                    createdAt: '2026-12-01T22:00:00Z',
                    updatedAt: '2026-12-01T22:00:00Z',
                    expiresAt: '2026-12-01T22:30:00Z',
                  },
                }
              : { error: { code: 'invalid_token', message: 'no' } },
          ),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    origin = `http://localhost:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  test('authorization code with PKCE, back through the bridge, then the API with the bearer token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const w = watch(page);
    const authorizeUrls: URL[] = [];
    let tokenBody = '';
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await context.route('https://login.microsoftonline.com/**', async (route) => {
      const url = new URL(route.request().url());
      const base = `https://login.microsoftonline.com/${TENANT}`;
      if (url.pathname.endsWith('/openid-configuration') || url.pathname.includes('/discovery/')) {
        return route.fulfill({
          contentType: 'application/json',
          headers: { 'access-control-allow-origin': '*' },
          body: JSON.stringify({
            token_endpoint: `${base}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            issuer: `${base}/v2.0`,
            jwks_uri: `${base}/discovery/v2.0/keys`,
            response_types_supported: ['code'],
            tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
            metadata: [
              {
                preferred_network: 'login.microsoftonline.com',
                preferred_cache: 'login.windows.net',
                aliases: ['login.microsoftonline.com'],
              },
            ],
          }),
        });
      }
      if (url.pathname.endsWith('/oauth2/v2.0/authorize')) {
        authorizeUrls.push(url);
        const state = url.searchParams.get('state') ?? '';
        const back = new URL(url.searchParams.get('redirect_uri') ?? '');
        const mode = url.searchParams.get('response_mode');
        const answer = new URLSearchParams({
          code: 'fake-code',
          state,
          client_info: b64({ uid: 'user-oid', utid: TENANT }),
        });
        back[mode === 'query' ? 'search' : 'hash'] = answer.toString();
        return route.fulfill({ status: 302, headers: { location: back.toString() } });
      }
      if (url.pathname.endsWith('/oauth2/v2.0/token')) {
        tokenBody = route.request().postData() ?? '';
        const nonce = authorizeUrls.at(-1)?.searchParams.get('nonce') ?? '';
        const now = Math.floor(Date.now() / 1000);
        const idToken = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
          aud: CLIENT,
          iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
          tid: TENANT,
          oid: 'user-oid',
          sub: 'user-sub',
          nonce,
          iat: now,
          nbf: now,
          exp: now + 3600,
          name: 'Dana Approver',
          preferred_username: 'dana@contoso.example',
        })}.sig`;
        return route.fulfill({
          contentType: 'application/json',
          headers: { 'access-control-allow-origin': '*' },
          body: JSON.stringify({
            token_type: 'Bearer',
            scope: SCOPE,
            expires_in: 3600,
            ext_expires_in: 3600,
            access_token: ACCESS_TOKEN,
            id_token: idToken,
            client_info: b64({ uid: 'user-oid', utid: TENANT }),
          }),
        });
      }
      return route.fulfill({ status: 404, body: '' });
    });

    await page.goto(`${origin}/api/approve/0f8e6d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f`);
    await page.waitForSelector('#entra-signin:not([disabled])');
    await page.click('#entra-signin');
    await page.waitForSelector('#request:not([hidden])', { timeout: 30_000 });

    const auth = authorizeUrls[0];
    assert.ok(auth, 'the page went to the authorize endpoint');
    assert.equal(auth.searchParams.get('client_id'), CLIENT);
    assert.equal(auth.searchParams.get('response_type'), 'code');
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.match(auth.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(auth.searchParams.get('redirect_uri'), `${origin}/api/approve`);
    assert.ok((auth.searchParams.get('scope') ?? '').split(' ').includes(SCOPE));
    assert.match(
      tokenBody,
      /code_verifier=[A-Za-z0-9_~.-]{43,128}/,
      'the code is redeemed with its PKCE verifier',
    );
    assert.ok(seenAuth.includes(`Bearer ${ACCESS_TOKEN}`), 'the API is called with the Entra access token');

    assert.equal(await page.textContent('#f-purpose'), HOSTILE_PURPOSE);
    assert.equal(await page.textContent('#statement'), HOSTILE_SQL);
    assert.equal(await page.textContent('#reasons li'), '<script>alert(3)</script>');
    assert.match((await page.textContent('#f-requester')) ?? '', /<b>bot<\/b>/);
    assert.equal(await page.locator('img, b').count(), 0);
    assert.match((await page.textContent('#who')) ?? '', /dana@contoso\.example/);
    assert.deepEqual(w.dialogs, []);
    assert.deepEqual(
      w.errors.filter((e) => /Content Security Policy|Trusted Type/i.test(e)),
      [],
    );
    await context.close();
  });
});
