import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { ExecuteOptions } from '../../../shared/connectors/connector.js';
import { timedOut } from '../../../shared/connectors/postgres/errors.js';
import { GatewayError } from '../../../shared/errors.js';
import type { ApiRequest } from '../../../shared/rest/http.js';
import type { QueryResult } from '../../../shared/types.js';
import { InFlightLimit } from '../../../shared/use-cases/in-flight.js';
import { type Fixture, gatewayFixture, queryRequest } from '../../support/gateway-fixture.js';

/**
 * At most 4 statements in flight per principal (tenant and object id, else issuer and id) per gateway instance, REST
 * and MCP together: one caller sending cross joins in parallel cannot hold every pooled
 * session of a target. The fifth is refused with 429 before anything is analysed, and
 * audited; other callers are not affected; a slot comes back however the request ends.
 * Requests are held inside the target by a gate the test opens, so nothing here is timed.
 */
const HELD = 'select id from customers where id = 1';
const FREE = 'select id from customers where id = 2';
const FAILS = 'select id from customers where id = 3';
const TIMES_OUT = 'select id from customers where id = 4';

interface Gate {
  /** Resolves once `n` held statements are inside the target. */
  entered(n: number): Promise<void>;
  open(): void;
  /** Every statement that reached the target, in order. */
  executed: string[];
}

/** The fixture's fake target, with statements matching HELD waiting for the gate. */
function gateTarget(f: Fixture): Gate {
  let opened!: () => void;
  const gate = new Promise<void>((resolve) => {
    opened = resolve;
  });
  let inside = 0;
  const executed: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const result: QueryResult = {
    columns: [{ name: 'id', type: 'int4' }],
    rows: [{ id: 1 }],
    rowCount: 1,
    truncated: false,
  };
  f.connector.execute = async (sql: string, _params: readonly unknown[], _options: ExecuteOptions) => {
    executed.push(sql);
    if (sql === FAILS) throw new GatewayError('query_failed', 'The statement failed.');
    if (sql === TIMES_OUT) throw timedOut();
    if (sql === HELD) {
      inside++;
      for (const w of waiters.filter((w) => inside >= w.n)) w.resolve();
      await gate;
    }
    return result;
  };
  return {
    entered: (n) =>
      new Promise<void>((resolve) => {
        if (inside >= n) resolve();
        else waiters.push({ n, resolve });
      }),
    open: () => opened(),
    executed,
  };
}

function mcpCall(token: string, sql: string, id = 1): ApiRequest {
  const body = {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'query', arguments: { connection: 'demo', sql } },
  };
  return {
    method: 'POST',
    url: 'http://gateway.test/mcp',
    headers: new Headers({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    }),
    params: {},
    query: new URLSearchParams(),
    text: async () => JSON.stringify(body),
  };
}

function toolError(res: { body?: unknown }): { code: string; message: string } | undefined {
  const result = (res.body as { result?: { isError?: boolean; content: Array<{ text: string }> } }).result;
  if (result?.isError !== true) return undefined;
  return (JSON.parse(result.content[0]?.text ?? '{}') as { error: { code: string; message: string } }).error;
}

describe('statements in flight per principal', () => {
  let f: Fixture;
  let gate: Gate;
  beforeEach(async () => {
    f = await gatewayFixture();
    gate = gateTarget(f);
  });

  test("the 5th concurrent request of one agent is 429 with Retry-After; another agent's read succeeds", async () => {
    const held = [1, 2, 3, 4].map(() => f.gateway.query(queryRequest(f.agentToken, { sql: HELD })));
    await gate.entered(4);
    const fifth = await f.gateway.query(queryRequest(f.agentToken, { sql: FREE }));
    assert.equal(fifth.status, 429, JSON.stringify(fifth.body));
    const error = (fifth.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'too_many_requests');
    assert.match(error.message, /at most 4/);
    assert.equal(fifth.headers['retry-after'], '1');
    // Refused before anything ran: the fifth never reached the target.
    assert.deepEqual(gate.executed, [HELD, HELD, HELD, HELD]);

    const other = await f.gateway.query(
      queryRequest(await f.issuer.mint({ agent: 'another-agent' }), { sql: FREE }),
    );
    assert.equal(other.status, 200, JSON.stringify(other.body));

    gate.open();
    assert.deepEqual(
      (await Promise.all(held)).map((r) => r.status),
      [200, 200, 200, 200],
    );
    // All four slots are back.
    assert.equal((await f.gateway.query(queryRequest(f.agentToken, { sql: FREE }))).status, 200);
  });

  test('the refusal is audited once, as the request it was (429, too_many_requests, the statement)', async () => {
    const held = [1, 2, 3, 4].map(() => f.gateway.query(queryRequest(f.agentToken, { sql: HELD })));
    await gate.entered(4);
    const before = f.audit.all().length;
    const fifth = await f.gateway.query(queryRequest(f.agentToken, { sql: FREE }));
    const records = f.audit.all().slice(0, f.audit.all().length - before);
    assert.equal(records.length, 1, 'one audit record for the refused request');
    const [record] = records;
    assert.equal(record?.requestId, (fifth.body as { requestId: string }).requestId);
    assert.equal(record?.status, 429);
    assert.equal(record?.errorCode, 'too_many_requests');
    assert.equal(record?.statement, FREE);
    assert.equal(record?.rowsReturned, 0);
    assert.ok(
      f.logged.some((e) => e.level === 'warn' && e.code === 'too_many_requests'),
      'reported as a refusal',
    );
    gate.open();
    await Promise.all(held);
  });

  test('REST and MCP share the limit: a tool call past it is a tool error with the code', async () => {
    const held = [1, 2, 3, 4].map(() => f.gateway.query(queryRequest(f.agentToken, { sql: HELD })));
    await gate.entered(4);
    const refused = await f.composed.mcp.endpoint(mcpCall(f.agentToken, FREE));
    assert.equal(refused.status, 200, 'a tool error travels in a JSON-RPC result');
    assert.equal(toolError(refused)?.code, 'too_many_requests');
    assert.equal(f.audit.all()[0]?.transport, 'mcp');
    assert.equal(f.audit.all()[0]?.errorCode, 'too_many_requests');
    gate.open();
    await Promise.all(held);
    const allowed = await f.composed.mcp.endpoint(mcpCall(f.agentToken, FREE));
    assert.equal(toolError(allowed), undefined, JSON.stringify(allowed.body));
  });

  test('a slot comes back after a statement error and after a timeout', async () => {
    // More failures in a row than there are slots: a slot kept by any would refuse the last.
    for (let i = 0; i < 5; i++) {
      const failed = await f.gateway.query(queryRequest(f.agentToken, { sql: FAILS }));
      assert.equal(failed.status, 422);
      const timedOutRes = await f.gateway.query(queryRequest(f.agentToken, { sql: TIMES_OUT }));
      assert.equal(timedOutRes.status, 504);
    }
    // And the four slots are all there: four held at once, none refused.
    const held = [1, 2, 3, 4].map(() => f.gateway.query(queryRequest(f.agentToken, { sql: HELD })));
    await gate.entered(4);
    gate.open();
    assert.deepEqual(
      (await Promise.all(held)).map((r) => r.status),
      [200, 200, 200, 200],
    );
  });

  test('a slot comes back after refusals that never reach the target (denied, unparseable)', async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (await f.gateway.query(queryRequest(f.agentToken, { sql: 'select * from customers' }))).status,
        403,
      );
      assert.equal((await f.gateway.query(queryRequest(f.agentToken, { sql: 'selec' }))).status, 400);
    }
    assert.equal((await f.gateway.query(queryRequest(f.agentToken, { sql: FREE }))).status, 200);
  });
});

describe('InFlightLimit', () => {
  const agent = (id: string, issuer = 'https://issuer.test') =>
    ({ kind: 'agent', id, issuer, name: id, groups: [], roles: [] }) as never;

  test('counts per issuer and id; release is idempotent', () => {
    const limit = new InFlightLimit(2);
    const a1 = limit.acquire(agent('a'));
    limit.acquire(agent('a'));
    assert.throws(
      () => limit.acquire(agent('a')),
      (e: unknown) => e instanceof GatewayError && e.code === 'too_many_requests' && e.status === 429,
    );
    // The same id from another issuer is another principal.
    limit.acquire(agent('a', 'https://other.test'));
    a1();
    a1();
    assert.equal(limit.inFlight(agent('a')), 1);
    limit.acquire(agent('a'));
    assert.throws(() => limit.acquire(agent('a')));
  });

  test("an Entra tenant's v1 and v2 issuers share one count for the same object id", () => {
    const limit = new InFlightLimit(1);
    const tid = '11111111-2222-3333-4444-555555555555';
    const v1 = { ...(agent('oid-1', `https://sts.windows.net/${tid}/`) as object), tenantId: tid } as never;
    const v2 = {
      ...(agent('oid-1', `https://login.microsoftonline.com/${tid}/v2.0`) as object),
      tenantId: tid,
    } as never;
    limit.acquire(v1);
    assert.throws(
      () => limit.acquire(v2),
      (e: unknown) => e instanceof GatewayError && e.code === 'too_many_requests',
    );
    // Another tenant's object with the same id is another principal.
    limit.acquire({
      ...(agent('oid-1', 'https://sts.windows.net/x/') as object),
      tenantId: 'other',
    } as never);
  });

  test('run gives the slot back when the work throws', async () => {
    const limit = new InFlightLimit(1);
    await assert.rejects(
      limit.run(agent('a'), async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(limit.inFlight(agent('a')), 0);
  });

  test('refuses a limit that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new InFlightLimit(bad), TypeError);
  });
});
