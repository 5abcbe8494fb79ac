import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { GatewayError } from '../../../shared/errors.js';
import { type Fixture, gatewayFixture, queryRequest } from '../../support/gateway-fixture.js';

const customerColumns = [
  { name: 'id', type: 'int4', tableId: 100, columnId: 1 },
  { name: 'card_number', type: 'text', tableId: 100, columnId: 2 },
];

const cityColumns = [{ name: 'city', type: 'text', tableId: 100, columnId: 7 }];

describe('gateway query pipeline (fail closed)', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await gatewayFixture();
    f.connector.result = {
      columns: customerColumns,
      rows: [{ id: 1, card_number: '4111111111111111' }],
      rowCount: 1,
      truncated: false,
    };
    f.connector.sources = [
      { schema: 'public', table: 'customers', column: 'id' },
      { schema: 'public', table: 'customers', column: 'card_number' },
    ];
  });

  test('an allowed read is executed, masked and audited before it is returned', async () => {
    const res = await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id, card_number from customers where id = 1' }),
    );
    assert.equal(res.status, 200);
    const body = res.body as { rows: Array<{ card_number: string }>; masking: { cellsMasked: number } };
    assert.equal(body.rows[0].card_number.endsWith('1111'), true);
    assert.doesNotMatch(body.rows[0].card_number, /4111111111111111/);
    assert.equal(body.masking.cellsMasked, 1);
    const [record] = f.audit.all();
    assert.equal(record.decision.outcome, 'allow');
    assert.equal(record.rowsReturned, 1);
    assert.equal(record.masking?.cellsMasked, 1);
    assert.doesNotMatch(
      JSON.stringify(record),
      /4111111111111111/,
      'the audit record never holds clear values',
    );
  });

  test('a body refused for another field still records the statement that was sent (round 44)', async () => {
    const sql = 'select id from customers where id = 7';
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql, maxRows: 0 }));
    assert.equal(res.status, 400);
    const [record] = f.audit.all();
    assert.equal(record.errorCode, 'invalid_body');
    assert.equal(record.statement, sql);
    // One that could not be stored (NUL) is left out, and the body is refused all the same.
    const nul = await f.gateway.query(queryRequest(f.agentToken, { sql: 'select 1\u0000', maxRows: 0 }));
    assert.equal(nul.status, 400);
    assert.equal(f.audit.all()[0]?.statement, null);
  });

  test("a column the target's plan says reads a classified column is masked, whatever the analysis said", async () => {
    f.connector.result = {
      columns: cityColumns,
      rows: [{ city: 'Springfield' }],
      rowCount: 1,
      truncated: false,
    };
    f.connector.sources = [{ schema: 'public', table: 'customers', column: 'city' }];
    const sql = 'select city from customers where id = 1';
    // City is classified public here: the analysis alone releases it as it is.
    const plain = await f.gateway.query(queryRequest(f.agentToken, { sql }));
    assert.equal(plain.status, 200);
    assert.equal((plain.body as { rows: Array<{ city: string }> }).rows[0]?.city, 'Springfield');
    // The plan disagrees (as it would if the statement were a decoy the analysis misread).
    f.connector.planSources = [['public.customers.card_number']];
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql }));
    assert.equal(res.status, 200);
    const body = res.body as { rows: Array<{ city: unknown }>; masking: { cellsMasked: number } };
    assert.notEqual(body.rows[0]?.city, 'Springfield');
    assert.doesNotMatch(JSON.stringify(body), /Springfield/);
    assert.equal(body.masking.cellsMasked, 1);
  });

  test('when the audit store is down: 503 audit_unavailable and no rows', async () => {
    f.audit.setAvailable(false);
    const res = await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id from customers where id = 1' }),
    );
    assert.equal(res.status, 503);
    assert.equal((res.body as { error: { code: string } }).error.code, 'audit_unavailable');
    assert.equal((res.body as { rows?: unknown }).rows, undefined);
    assert.doesNotMatch(JSON.stringify(res.body), /4111/);
    assert.ok(f.logged.some((e) => e.code === 'audit_unavailable'));
  });

  test('a denied statement never reaches the target, not even as an EXPLAIN', async () => {
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: 'delete from customers' }));
    assert.equal(res.status, 403);
    assert.equal(f.connector.executed.length, 0);
    assert.equal(f.connector.estimated.length, 0);
  });

  test('an approval outcome for rows read into one cell executes nothing and answers 501', async () => {
    f.connector.estimate = 50_000;
    const res = await f.gateway.query(
      queryRequest(f.agentToken, { sql: "select string_agg(id::text, ',') from customers" }),
    );
    assert.equal(res.status, 501);
    assert.equal((res.body as { error: { code: string } }).error.code, 'approval_workflow_unavailable');
    assert.equal(f.connector.executed.length, 0);
    assert.equal(f.audit.all()[0].decision.outcome, 'approval');
  });

  test('an over-estimate is settled by the real count: a small result is released', async () => {
    f.connector.estimate = 50_000;
    f.connector.result = {
      columns: [{ name: 'id', type: 'int4' }],
      rows: [{ id: 1 }, { id: 2 }],
      rowCount: 2,
      truncated: false,
    };
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: 'select id from customers' }));
    assert.equal(res.status, 200);
    assert.equal((res.body as { rowCount: number }).rowCount, 2);
  });

  test('a truncated read is decided again on the rows counted (cap + 1), not the estimate', async () => {
    f.connector.estimate = 3;
    f.connector.result = {
      columns: [{ name: 'id', type: 'int4' }],
      rows: Array.from({ length: 500 }, (_, i) => ({ id: i })),
      rowCount: 500,
      truncated: true,
    };
    const res = await f.gateway.query(queryRequest(f.agentToken, { sql: 'select id from customers' }));
    // The fixture connection caps at 500, below the policy's 1000, so 501 counted stays allowed.
    assert.equal(f.connector.executed.length, 1);
    const record = f.audit.all()[0];
    assert.equal(record.facts?.estimatedRows, 501);
    assert.equal(res.status, 200, 'a count within the policy threshold still releases the capped rows');
  });

  test('the row cap is the tightest of connection, request and policy', async () => {
    await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id from customers where id < 10', maxRows: 7 }),
    );
    assert.equal(f.connector.executed[0].options.maxRows, 7);
    await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id from customers where id < 10', maxRows: 900 }),
    );
    assert.equal(
      f.connector.executed[1].options.maxRows,
      500,
      'connection maxRows 500 caps a request for 900',
    );
  });

  test('parameters are passed to the connector bound, never spliced into the text', async () => {
    const sql = 'select id from customers where city = $1';
    await f.gateway.query(queryRequest(f.agentToken, { sql, params: ["x' or 1=1 --"] }));
    assert.equal(f.connector.executed[0].sql, sql);
    assert.deepEqual(f.connector.executed[0].params, ["x' or 1=1 --"]);
  });

  test('a masking failure fails the request with masking_failed and releases no rows', async () => {
    // A value no operator can handle: the masker throws, and the gateway must not pass it on.
    const hostile = Symbol('unmaskable');
    f.connector.result = {
      columns: customerColumns,
      rows: [{ id: 1, card_number: hostile }],
      rowCount: 1,
      truncated: false,
    };
    const res = await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id, card_number from customers where id = 1' }),
    );
    assert.equal(res.status, 500);
    assert.equal((res.body as { error: { code: string } }).error.code, 'masking_failed');
    assert.equal(f.audit.all()[0].errorCode, 'masking_failed');
  });

  test('a target that cannot say where the columns come from is a target error; anything else a masking failure', async () => {
    const sql = 'select id, card_number from customers where id = 1';
    const withSources = f.connector as unknown as { resolveSources?: () => Promise<never> };
    try {
      withSources.resolveSources = async () => {
        throw new GatewayError('target_unavailable', 'The data target is unavailable.');
      };
      const down = await f.gateway.query(queryRequest(f.agentToken, { sql }));
      assert.equal(down.status, 502);
      assert.equal((down.body as { error: { code: string } }).error.code, 'target_unavailable');
      assert.ok(!('rows' in (down.body as object)));
      withSources.resolveSources = async () => {
        throw new GatewayError('query_failed', 'relation "x" holds 4111 1111 1111 1111');
      };
      const odd = await f.gateway.query(queryRequest(f.agentToken, { sql }));
      assert.equal(odd.status, 500);
      assert.equal((odd.body as { error: { code: string } }).error.code, 'masking_failed');
      assert.doesNotMatch(JSON.stringify(odd.body), /4111/);
    } finally {
      delete withSources.resolveSources;
    }
  });

  test('target errors map to their codes and are audited', async () => {
    f.connector.failWith = new GatewayError('query_timeout', 'The statement timed out.');
    const res = await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id from customers where id = 1' }),
    );
    assert.equal(res.status, 504);
    assert.equal(f.audit.all()[0].errorCode, 'query_timeout');
    f.connector.failWith = new Error('socket hang up with secret host name');
    const res2 = await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id from customers where id = 1' }),
    );
    assert.equal(res2.status, 500);
    assert.doesNotMatch(JSON.stringify(res2.body), /secret host/, 'unexpected errors leak nothing');
    const event = f.logged.find((e) => e.code === 'internal');
    assert.ok(event, 'the operator sees the failure in the log');
    assert.match(event.cause ?? '', /socket hang up/);
  });

  test('bad bodies are refused with clear codes', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'invalid_body'],
      [{ sql: '' }, 400, 'invalid_body'],
      [{ sql: 'select 1', extra: true }, 400, 'invalid_body'],
      [{ sql: 'select 1', maxRows: -1 }, 400, 'invalid_body'],
      [{ sql: 'select 1', params: [{ nested: 'object' }] }, 400, 'invalid_body'],
      // Red-team round 14: these reached PostgreSQL and came back as a target outage (502).
      [{ sql: 'select id from customers where id < 2 -- \u0000' }, 400, 'invalid_body'],
      [{ sql: 'select id from customers where city = $1', params: ['a\u0000b'] }, 400, 'invalid_body'],
      [{ sql: 'select id, $1 from customers where id < 2', params: [1, 2, 3] }, 400, 'bad_request'],
      // Round 16: a lone surrogate in the purpose read as the policy failing to evaluate (403).
      [{ sql: 'select id from customers where id = 1', purpose: '\ud800' }, 400, 'invalid_body'],
      [{ sql: "select id from customers where city = '\udc00'" }, 400, 'invalid_body'],
      [{ sql: 'select id from customers where city = $1' }, 400, 'bad_request'],
      [{ sql: 'select id from customers where id < 2', params: ['x'] }, 400, 'bad_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await f.gateway.query(queryRequest(f.agentToken, body));
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal((res.body as { error: { code: string } }).error.code, code);
    }
    assert.deepEqual(f.connector.executed, [], 'none of them reached the target');
    const count = await f.gateway.query(
      queryRequest(f.agentToken, { sql: 'select id, $1 from customers where id < 2', params: [1, 2, 3] }),
    );
    assert.equal(
      (count.body as { error: { message: string } }).error.message,
      'The statement uses 1 parameter ($1) and 3 were given; nothing ran.',
    );
  });

  test('a missing token is 401 without an audit record; a JWT-shaped bad token is audited', async () => {
    const res = await f.gateway.query(queryRequest('', { sql: 'select 1' }));
    assert.equal(res.status, 401);
    assert.equal(f.audit.all().length, 0);
    const res2 = await f.gateway.query(queryRequest(`${f.agentToken}x`, { sql: 'select 1' }));
    assert.equal(res2.status, 401);
    assert.match(res2.headers['www-authenticate'], /error="invalid_token"/);
    assert.equal(f.audit.all().length, 1);
    assert.equal(f.audit.all()[0].principal, null);
  });
});
