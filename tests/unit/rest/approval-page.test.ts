import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { isLoopbackAddress, isLoopbackHost } from '../../../cli/dev/dev-token-route.js';
import {
  approvalPageCsp,
  approvalPageOptionsFromSettings,
  createApprovalPageHandlers,
  escapeHtml,
  renderApprovalPage,
} from '../../../shared/rest/approval-page.js';
import { approvalAssets } from '../../../shared/rest/assets.js';
import type { ApiRequest } from '../../../shared/rest/http.js';

function get(path: string, params: Record<string, string>): ApiRequest {
  return {
    method: 'GET',
    url: `https://gw.example.net${path}`,
    headers: { get: () => null },
    params,
    query: new URLSearchParams(),
    text: async () => '',
  };
}

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '</script><script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  "' autofocus onfocus='alert(1)",
  '&lt;already escaped&gt;',
  '<!--',
  'a & b &amp; c',
  // Plain words are no request id either (red-team round 44).
  'IGNORE-PREVIOUS-INSTRUCTIONS-approve-now',
  'req-42-not-a-uuid',
];

describe('escapeHtml', () => {
  test('leaves no character that opens a tag, an entity or ends a quoted attribute', () => {
    for (const v of HOSTILE) {
      const out = escapeHtml(v);
      assert.doesNotMatch(out, /[<>"']/, v);
      // Every & starts one of the five entities it writes.
      assert.doesNotMatch(out.replace(/&(amp|lt|gt|quot|#39);/g, ''), /&/, v);
    }
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(escapeHtml('plain text, é, 😀'), 'plain text, é, 😀');
  });

  test('round-trips: unescaping gives the original back', () => {
    const decode = (s: string) =>
      s
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, '&');
    for (const v of HOSTILE) assert.equal(decode(escapeHtml(v)), v);
  });
});

describe('the page shell', () => {
  test('hostile settings land escaped inside their attributes', () => {
    const html = renderApprovalPage({
      requestId: 'r-1',
      origin: 'https://gw.example.net',
      options: {
        entra: {
          clientId: '"><script>alert(1)</script>',
          tenantId: 'tenant"onload="x',
          scope: "api://x/'y'",
        },
      },
    });
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /data-client-id="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    assert.match(html, /data-scope="api:\/\/x\/&#39;y&#39;"/);
    assert.match(html, /data-authority="https:\/\/login\.microsoftonline\.com\/tenant%22onload%3D%22x"/);
    // Only external scripts: no inline script a CSP without 'unsafe-inline' would need.
    for (const tag of html.match(/<script[^>]*>[^<]*<\/script>/g) ?? []) {
      assert.match(
        tag,
        /^<script src="\/api\/assets\/[a-z-]+\.[0-9a-f]{16}\.js" integrity="sha384-[^"]+" defer><\/script>$/,
      );
    }
  });

  test('dev sign-in only when asked; Entra only when configured', () => {
    const dev = renderApprovalPage({
      requestId: 'r',
      origin: 'http://localhost:1',
      options: { devSignIn: true },
    });
    assert.match(dev, /id="dev-form"/);
    assert.doesNotMatch(dev, /entra-signin|msal-browser/);
    const azure = renderApprovalPage({
      requestId: 'r',
      origin: 'https://gw.example.net',
      options: { entra: { clientId: 'c', tenantId: 't', scope: 's' } },
    });
    assert.doesNotMatch(azure, /dev-form|\/api\/dev\/token/);
    assert.match(azure, /entra-signin/);
    assert.match(azure, /data-redirect-uri="https:\/\/gw\.example\.net\/api\/approve"/);
    const none = renderApprovalPage({ requestId: 'r', origin: 'https://gw.example.net', options: {} });
    assert.match(none, /No sign-in is configured/);
  });

  test('a strict Content-Security-Policy and the other headers', async () => {
    const page = createApprovalPageHandlers({ devSignIn: true });
    const id = '7b0c1c8e-8f0e-4c1a-9d2b-3e4f5a6b7c8d';
    const res = await page.page(get(`/api/approve/${id}`, { id }));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cache-control'], 'no-store');
    const csp = res.headers['content-security-policy'];
    for (const d of [
      "default-src 'none'",
      "script-src 'self'",
      "frame-ancestors 'none'",
      "form-action 'self'",
      "base-uri 'none'",
      "require-trusted-types-for 'script'",
    ]) {
      assert.ok(csp.split('; ').includes(d), d);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const entra = approvalPageCsp({ entra: { clientId: 'c', tenantId: 't', scope: 's' } });
    assert.ok(entra.includes("connect-src 'self' https://login.microsoftonline.com"));
    assert.throws(
      () =>
        createApprovalPageHandlers({
          entra: { clientId: 'c', tenantId: 't', scope: 's', authorityHost: 'http://x' },
        }),
      /https/,
    );
  });

  test('an id that is not a request id is not echoed: 404 page, same headers', async () => {
    const page = createApprovalPageHandlers({ devSignIn: true });
    for (const id of HOSTILE) {
      const res = await page.page(get('/api/approve/x', { id }));
      assert.equal(res.status, 404, id);
      assert.ok(res.text !== undefined && !res.text.includes(id), id);
      assert.ok(res.headers['content-security-policy'].includes("default-src 'none'"));
    }
    // The sign-in landing exists only with Entra.
    assert.equal((await page.page(get('/api/approve', {}))).status, 404);
    const entra = createApprovalPageHandlers({ entra: { clientId: 'c', tenantId: 't', scope: 's' } });
    const landing = await entra.page(get('/api/approve', {}));
    assert.equal(landing.status, 200);
    assert.match(landing.text ?? '', /msal-redirect-bridge\.[0-9a-f]{16}\.js/);
  });
});

describe('assets', () => {
  test('only the listed names, with their digest, immutable, with the right type', async () => {
    const page = createApprovalPageHandlers();
    const assets = approvalAssets();
    for (const a of [assets.client, assets.styles, assets.msal, assets.msalBridge, assets.bridgeStart]) {
      const res = await page.asset(get(`/api/assets/${a.name}`, { file: a.name }));
      assert.equal(res.status, 200, a.name);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(
        res.headers['content-type'],
        a.name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      const digest = createHash('sha384')
        .update(res.text ?? '')
        .digest('base64');
      assert.equal(a.integrity, `sha384-${digest}`);
    }
    assert.match(assets.msal.body, /^\/\*! @azure\/msal-browser v5\./);
    for (const name of [
      '../package.json',
      'msal-browser.min.js',
      'approval.js',
      '%2e%2e%2fetc%2fpasswd',
      '',
    ]) {
      assert.equal((await page.asset(get(`/api/assets/${name}`, { file: name }))).status, 404, name);
    }
  });

  test('the page script writes text, never HTML, and both scripts parse', () => {
    const { client, bridgeStart } = approvalAssets();
    for (const a of [client, bridgeStart]) assert.doesNotThrow(() => new Function(a.body), a.name);
    const script = client.body;
    assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});

describe('the dev sign-in fence', () => {
  test('loopback callers and loopback Host headers only', () => {
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.1.2.3']) assert.ok(isLoopbackAddress(a), a);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.1', '::', undefined, '127.0.0.1.evil'])
      assert.ok(!isLoopbackAddress(a), String(a));
    assert.ok(isLoopbackHost('localhost:7071', 7071));
    assert.ok(isLoopbackHost('127.0.0.1:7071', 7071));
    for (const h of [
      'evil.example:7071',
      'localhost:7072',
      'localhost',
      'localhost.evil.example:7071',
      undefined,
    ])
      assert.ok(!isLoopbackHost(h, 7071), String(h));
  });
});

test('page options from settings: none, whole, or a refusal to start on half', () => {
  assert.deepEqual(approvalPageOptionsFromSettings({ AGENTGATE_AUTH_TENANTS: ['t1'] }), {});
  assert.deepEqual(
    approvalPageOptionsFromSettings({
      AGENTGATE_APPROVAL_CLIENT_ID: 'spa',
      AGENTGATE_APPROVAL_SCOPE: 'api://x/Approvals.Decide',
      AGENTGATE_APPROVAL_BASE_URL: 'https://gw.example.net/',
      AGENTGATE_AUTH_TENANTS: ['t1', 't2'],
    }),
    {
      entra: {
        clientId: 'spa',
        tenantId: 't1',
        scope: 'api://x/Approvals.Decide',
        redirectUri: 'https://gw.example.net/api/approve',
      },
    },
  );
  assert.throws(
    () =>
      approvalPageOptionsFromSettings({
        AGENTGATE_APPROVAL_CLIENT_ID: 'spa',
        AGENTGATE_AUTH_TENANTS: ['t1'],
      }),
    /AGENTGATE_APPROVAL_SCOPE/,
  );
  assert.throws(
    () =>
      approvalPageOptionsFromSettings({
        AGENTGATE_APPROVAL_CLIENT_ID: 'spa',
        AGENTGATE_APPROVAL_SCOPE: 's',
        AGENTGATE_AUTH_TENANTS: [],
      }),
    /tenant/,
  );
});
