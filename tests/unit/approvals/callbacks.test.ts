import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { addressRefusal } from '../../../shared/callbacks/address.js';
import { guardedLookup, HttpCallbackSender } from '../../../shared/callbacks/http-sender.js';
import { createCallbackPorts } from '../../../shared/callbacks/ports.js';
import { signCallback, verifyCallback } from '../../../shared/callbacks/signature.js';
import { type CallbackPolicy, checkCallbackUrl } from '../../../shared/callbacks/url-policy.js';
import { parseConfig } from '../../../shared/config/connections.js';

const prod: CallbackPolicy = {
  allowedHosts: ['hooks.example.com', 'localhost'],
  allowedPorts: [443, 8443],
  allowLoopback: false,
};
const dev: CallbackPolicy = {
  ...prod,
  allowedHosts: [...prod.allowedHosts, '127.0.0.1'],
  allowLoopback: true,
};

function reason(url: string, policy: CallbackPolicy): string {
  const checked = checkCallbackUrl(url, policy);
  return checked.ok ? 'ok' : checked.reason;
}

describe('callback URL policy', () => {
  test('an allowlisted https host passes, with its path and query', () => {
    assert.equal(reason('https://hooks.example.com/agentgate?team=1', prod), 'ok');
    assert.equal(reason('https://HOOKS.example.com./x', prod), 'ok', 'case and trailing dot normalised');
    assert.equal(reason('https://hooks.example.com:8443/x', prod), 'ok');
  });

  test('refused: host not on the allowlist, including look-alikes', () => {
    for (const url of [
      'https://evil.example.net/',
      'https://hooks.example.com.evil.net/',
      'https://evilhooks.example.com/',
      'https://sub.hooks.example.com/',
    ]) {
      assert.equal(reason(url, prod), 'host_not_allowed', url);
    }
  });

  test('refused: http in production, even to an allowlisted host', () => {
    assert.equal(reason('http://hooks.example.com/', prod), 'scheme');
    assert.equal(reason('http://localhost:8080/', prod), 'scheme');
    for (const url of ['ftp://hooks.example.com/', 'file:///etc/passwd', 'javascript:alert(1)']) {
      assert.equal(reason(url, prod), 'scheme', url);
    }
  });

  test('refused: userinfo, fragment, other ports, malformed, too long', () => {
    assert.equal(reason('https://user:pw@hooks.example.com/', prod), 'userinfo');
    assert.equal(reason('https://hooks.example.com@evil.net/', prod), 'userinfo');
    assert.equal(reason('https://hooks.example.com/#x', prod), 'fragment');
    assert.equal(reason('https://hooks.example.com:22/', prod), 'port_not_allowed');
    assert.equal(reason('not a url', prod), 'malformed');
    assert.equal(reason(`https://hooks.example.com/${'a'.repeat(2100)}`, prod), 'malformed');
  });

  test('refused: IP literals in every spelling outside loopback in dev', () => {
    for (const url of [
      'https://10.0.0.1/',
      'https://169.254.169.254/latest/meta-data',
      'https://0x7f000001/',
      'https://2130706433/',
      'https://127.1/',
      'https://[::1]/',
      'https://[::ffff:10.0.0.1]/',
      'https://8.8.8.8/',
    ]) {
      assert.equal(reason(url, prod), 'ip_literal', url);
    }
    assert.equal(reason('https://10.0.0.1/', dev), 'ip_literal', 'dev allows loopback literals only');
  });

  test('loopback: only on the local host, and only when allowlisted', () => {
    assert.equal(reason('http://127.0.0.1:5000/cb', dev), 'ok');
    assert.equal(reason('http://localhost:5000/cb', dev), 'ok');
    assert.equal(
      reason('https://localhost/cb', prod),
      'host_not_allowed',
      'localhost is never a production receiver',
    );
    assert.equal(reason('http://[::1]:5000/cb', dev), 'host_not_allowed', '::1 not on this allowlist');
  });

  test('config: the allowlist is read from approvals.callbacks; bad hosts stop the start', () => {
    const conn = { id: 'c', engine: 'postgres', environment: 'dev', target: 'embedded-demo', exposure: {} };
    const cfg = parseConfig({
      connections: [conn],
      approvals: { callbacks: { allowedHosts: ['hooks.example.com'] } },
    });
    assert.deepEqual(cfg.approvals?.callbacks, { allowedHosts: ['hooks.example.com'], allowedPorts: [443] });
    assert.throws(() =>
      parseConfig({ connections: [conn], approvals: { callbacks: { allowedHosts: ['*.example.com'] } } }),
    );
    assert.throws(() =>
      parseConfig({ connections: [conn], approvals: { callbacks: { allowedHosts: ['https://x.com'] } } }),
    );
  });
});

describe('callback addresses', () => {
  test('public unicast passes; private, link-local, metadata, mapped and special ranges do not', () => {
    assert.equal(addressRefusal('20.50.2.1', false), null);
    assert.equal(addressRefusal('2606:4700::1111', false), null);
    for (const a of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '127.0.0.1',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
      '64:ff9b::a00:1',
      '2002:a00:1::',
    ]) {
      assert.equal(addressRefusal(a, false), 'private_address', a);
    }
    assert.equal(addressRefusal('127.0.0.1', true), null, 'loopback on the local host');
    assert.equal(addressRefusal('10.0.0.1', true), 'private_address', 'dev still refuses private ranges');
    assert.equal(addressRefusal('localhost', true), 'not_an_address');
  });

  test('DNS rebinding: the guarded lookup refuses a name that resolves to an internal address', async () => {
    const answers: LookupAddress[][] = [
      [{ address: '20.50.2.1', family: 4 }],
      [{ address: '10.0.0.7', family: 4 }],
    ];
    let call = 0;
    const fakeLookup = ((_h: string, _o: unknown, cb: (e: null, a: LookupAddress[]) => void) =>
      cb(null, answers[call++ % 2]!)) as unknown as typeof import('node:dns').lookup;
    const lookup = guardedLookup(false, fakeLookup);
    const once = () =>
      new Promise<string>((resolve) =>
        lookup('hooks.example.com', { all: true }, (err, addr) =>
          resolve(err ? 'refused' : JSON.stringify(addr)),
        ),
      );
    assert.match(await once(), /20\.50\.2\.1/);
    assert.equal(await once(), 'refused', 'the second answer points inside');
    const mixed = guardedLookup(false, ((
      _h: string,
      _o: unknown,
      cb: (e: null, a: LookupAddress[]) => void,
    ) =>
      cb(null, [
        { address: '20.50.2.1', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ])) as unknown as typeof import('node:dns').lookup);
    const r = await new Promise<string>((resolve) =>
      mixed('x', {}, (err) => resolve(err ? 'refused' : 'ok')),
    );
    assert.equal(r, 'refused', 'one internal answer refuses the name');
  });
});

describe('callback signature', () => {
  const key = 'k'.repeat(40);
  test('HMAC-SHA256 over timestamp and raw body; verify in constant time within the window', () => {
    const body = '{"requestId":"r1","status":"completed"}';
    const sig = signCallback(key, 1_800_000_000, body);
    assert.match(sig, /^sha256=[0-9a-f]{64}$/);
    const ok = { key, body, signature: sig, timestamp: '1800000000', nowSeconds: 1_800_000_010 };
    assert.equal(verifyCallback(ok), true);
    assert.equal(verifyCallback({ ...ok, body: `${body} ` }), false, 'body changed');
    assert.equal(verifyCallback({ ...ok, timestamp: '1800000001' }), false, 'timestamp is inside the MAC');
    assert.equal(verifyCallback({ ...ok, nowSeconds: 1_800_000_400 }), false, 'replayed too late');
    assert.equal(verifyCallback({ ...ok, key: 'x'.repeat(40) }), false, 'other key');
    assert.equal(verifyCallback({ ...ok, signature: undefined }), false);
  });

  test('a short key stops the start', () => {
    assert.throws(
      () =>
        createCallbackPorts({ config: undefined, key: 'short', allowLoopback: false, publicUrl: (p) => p }),
      /at least 32/,
    );
  });
});

describe('HTTP callback sender (real loopback servers)', () => {
  let target: Server;
  let elsewhere: Server;
  let targetPort = 0;
  let elsewhereHits = 0;
  const seen: Array<{ path: string; headers: IncomingMessage['headers']; body: string }> = [];

  const listen = (s: Server) =>
    new Promise<number>((resolve) =>
      s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)),
    );

  before(async () => {
    elsewhere = createServer((_req, res) => {
      elsewhereHits++;
      res.end('x');
    });
    const elsewherePort = await listen(elsewhere);
    target = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: `http://127.0.0.1:${elsewherePort}/steal` }).end();
        } else if (req.url === '/fail') res.writeHead(503).end('down');
        else if (req.url === '/gone') res.writeHead(410).end();
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 1500);
        else res.writeHead(204).end();
      });
    });
    targetPort = await listen(target);
  });

  after(async () => {
    target.closeAllConnections();
    await new Promise((r) => target.close(r));
    await new Promise((r) => elsewhere.close(r));
  });

  const sender = new HttpCallbackSender({ allowLoopback: true, timeoutMs: 500 });
  const at = (path: string) => new URL(`http://127.0.0.1:${targetPort}${path}`);

  test('2xx delivers, with the headers given and the body as sent', async () => {
    const out = await sender.post(at('/ok?x=1'), '{"a":1}', { 'x-agentgate-signature': 'sha256=ab' });
    assert.deepEqual(out, { kind: 'delivered', status: 204 });
    const last = seen.at(-1)!;
    assert.equal(last.path, '/ok?x=1');
    assert.equal(last.body, '{"a":1}');
    assert.equal(last.headers['x-agentgate-signature'], 'sha256=ab');
    assert.equal(last.headers['content-type'], 'application/json');
  });

  test('a host name goes through the guarded lookup and is delivered when its addresses pass', async () => {
    const out = await sender.post(new URL(`http://localhost:${targetPort}/by-name`), '{}', {});
    assert.deepEqual(out, { kind: 'delivered', status: 204 });
    assert.equal(seen.at(-1)?.path, '/by-name');
  });

  test('a redirect is not followed and is final', async () => {
    const before = elsewhereHits;
    const out = await sender.post(at('/redirect'), '{}', {});
    assert.deepEqual(out, { kind: 'fail', reason: 'redirect_not_followed:302' });
    assert.equal(elsewhereHits, before, 'the redirect target was never contacted');
  });

  test('5xx and timeouts are retryable; other 4xx are final', async () => {
    assert.deepEqual(await sender.post(at('/fail'), '{}', {}), { kind: 'retry', reason: 'http_503' });
    assert.deepEqual(await sender.post(at('/slow'), '{}', {}), { kind: 'retry', reason: 'timeout' });
    assert.deepEqual(await sender.post(at('/gone'), '{}', {}), { kind: 'fail', reason: 'http_410' });
  });

  test('a refused connection is a retryable network error', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    const out = await sender.post(new URL(`http://127.0.0.1:${port}/`), '{}', {});
    assert.equal(out.kind, 'retry');
  });

  test('production mode: loopback never reached, by name or literal, and http refused', async () => {
    const strict = new HttpCallbackSender({ allowLoopback: false, timeoutMs: 500 });
    const before = seen.length;
    assert.deepEqual(await strict.post(at('/ok'), '{}', {}), { kind: 'fail', reason: 'address_refused' });
    const byName = await strict.post(new URL(`https://localhost:${targetPort}/ok`), '{}', {});
    assert.deepEqual(byName, { kind: 'fail', reason: 'address_refused' }, 'localhost resolves to loopback');
    assert.deepEqual(await strict.post(new URL('http://hooks.example.com/'), '{}', {}), {
      kind: 'fail',
      reason: 'scheme',
    });
    assert.equal(seen.length, before, 'nothing reached the server');
  });
});
