import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { suggestFor } from '../../cli/commands/classify.js';
import { runQueryCommand } from '../../cli/commands/query.js';
import { type DevHost, demoConfig, startDevHost } from '../../cli/dev/host.js';
import { connectorRegistry } from '../../shared/connectors/registry.js';
import { runWithIo } from '../support/capture-io.js';

/**
 * The whole query path over HTTP against the local host: PGlite over the wire, the Cosmos
 * DB emulator, the dev issuer, the shipped Cedar policies.
 */
describe('query path end to end (local host)', () => {
  let host: DevHost;
  let stateDir: string;
  let agentToken: string;
  let auditorToken: string;
  const requestIds = new Map<string, string>();

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-e2e-'));
    host = await startDevHost({ port: 0, stateDir, customers: 3000, env: {}, noLock: true });
    agentToken = await host.issuer.mint({ agent: 'e2e-agent' });
    auditorToken = await host.issuer.mint({ user: 'alice', groups: ['auditors'] });
  });

  after(async () => {
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function query(connection: string, body: unknown, token = agentToken) {
    const res = await fetch(`${host.url}/api/v1/connections/${connection}/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    return { res, json };
  }

  test('an allowed read returns rows, a request id and stage timings', async () => {
    const { res, json } = await query('demo', {
      sql: 'select id, city from customers where id < 4 order by id',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      (json.rows as Array<{ id: number }>).map((r) => r.id),
      [1, 2, 3],
    );
    assert.equal(json.rowCount, 3);
    assert.equal(json.truncated, false);
    assert.deepEqual(
      (json.columns as Array<{ name: string }>).map((c) => c.name),
      ['id', 'city'],
    );
    assert.equal(res.headers.get('x-request-id'), json.requestId);
    const timing = res.headers.get('server-timing') ?? '';
    for (const stage of ['auth', 'analyse', 'decide', 'execute', 'audit'])
      assert.match(timing, new RegExp(`${stage};dur=`));
    requestIds.set('allow', String(json.requestId));
  });

  test('SELECT * on a prod table by an agent is denied, naming the policy', async () => {
    const { res, json } = await query('demo', { sql: 'select * from customers where id = 1' });
    assert.equal(res.status, 403);
    const error = json.error as { code: string; policyIds: string[] };
    assert.equal(error.code, 'policy_denied');
    assert.ok(error.policyIds.includes('agent-no-select-star-prod'), JSON.stringify(error));
    assert.equal(json.rows, undefined);
    requestIds.set('deny-star', String(json.requestId));
  });

  test('a write by an agent is denied and changes nothing', async () => {
    const { res, json } = await query('demo', { sql: 'delete from orders where id = 1' });
    assert.equal(res.status, 403);
    assert.equal((json.error as { code: string }).code, 'policy_denied');
    assert.ok((json.error as { policyIds: string[] }).policyIds.includes('agent-no-write'));
    requestIds.set('deny-write', String(json.requestId));
    const check = await query('demo', { sql: 'select count(id) as n from orders where id = 1' });
    assert.equal(check.res.status, 200);
    assert.equal(Number((check.json.rows as Array<{ n: unknown }>)[0].n), 1);
  });

  test('a bulk read is stored for approval: 202 with where to follow it, and nothing executed', async () => {
    const { res, json } = await query('demo', { sql: 'select id, city from customers' });
    assert.equal(res.status, 202);
    assert.equal((json.error as { code: string }).code, 'approval_required');
    assert.match(res.headers.get('location') ?? '', /^\/api\/v1\/requests\//);
    assert.equal(json.rows, undefined);
    requestIds.set('approval', String(json.requestId));
  });

  test('an unparseable statement is refused', async () => {
    const { res, json } = await query('demo', { sql: 'selec id frm customers' });
    assert.equal(res.status, 400);
    assert.equal((json.error as { code: string }).code, 'unparseable_statement');
    requestIds.set('unparseable', String(json.requestId));
  });

  test('a bad token gets 401 with WWW-Authenticate and no detail', async () => {
    const forged = `${agentToken.slice(0, -4)}AAAA`;
    const { res, json } = await query('demo', { sql: 'select 1' }, forged);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    assert.equal((json.error as { code: string }).code, 'invalid_token');
    assert.doesNotMatch(JSON.stringify(json), /signature|kid|alg/i);
    requestIds.set('unauthenticated', String(json.requestId));
  });

  test('an unknown connection is 404 and an unknown route is 404', async () => {
    const { res, json } = await query('nope', { sql: 'select 1' });
    assert.equal(res.status, 404);
    assert.equal((json.error as { code: string }).code, 'connection_not_found');
    const r2 = await fetch(`${host.url}/api/v1/nothing-here`);
    assert.equal(r2.status, 404);
  });

  test('wrong content type is 415, oversized body is 413', async () => {
    const r1 = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'text/plain' },
      body: 'select 1',
    });
    assert.equal(r1.status, 415);
    const big = await query('demo', { sql: `select '${'x'.repeat(300_000)}'` });
    assert.equal(big.res.status, 413);
  });

  test('the connections list and health answer', async () => {
    const res = await fetch(`${host.url}/api/v1/connections`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { connections: Array<{ id: string }> };
    assert.deepEqual(body.connections.map((c) => c.id).sort(), ['demo', 'demo-files', 'sandbox']);
    const health = await fetch(`${host.url}/api/health`);
    assert.equal(health.status, 200);
    const jwks = (await (await fetch(`${host.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ d?: string }>;
    };
    assert.ok(
      jwks.keys.length > 0 && jwks.keys.every((k) => k.d === undefined),
      'JWKS must hold public keys only',
    );
  });

  test('names an agent typed (an alias, a table, a column) reach the auditor masked, like the statement', async () => {
    const card = '4012888888881881';
    const ids: string[] = [];
    for (const sql of [
      `select 'bob@example.com' as "${card}" from customers where id = 1`,
      `select "${card}" from orders where id = 1`,
      `select 1 as a from "${card}"`,
    ]) {
      const { json } = await query('demo', { sql });
      ids.push(String(json.requestId));
    }
    for (const id of ids) {
      const res = await fetch(`${host.url}/api/v1/audit/${id}`, {
        headers: { authorization: `Bearer ${auditorToken}` },
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(!text.includes(card), text.slice(0, 600));
      assert.ok(!text.includes('bob@example.com'), text.slice(0, 600));
    }
  });

  test('every request above left an audit record with the matching decision', async () => {
    const expected: Record<string, { outcome: string; status: number }> = {
      allow: { outcome: 'allow', status: 200 },
      'deny-star': { outcome: 'deny', status: 403 },
      'deny-write': { outcome: 'deny', status: 403 },
      approval: { outcome: 'approval', status: 202 },
      unparseable: { outcome: 'error', status: 400 },
      unauthenticated: { outcome: 'error', status: 401 },
    };
    const res = await fetch(`${host.url}/api/v1/audit?limit=200`, {
      headers: { authorization: `Bearer ${auditorToken}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      records: Array<{
        requestId: string;
        kind: string;
        decision: { outcome: string; policyIds: string[] };
        status: number;
        principal: unknown;
      }>;
    };
    for (const [name, want] of Object.entries(expected)) {
      const id = requestIds.get(name);
      assert.ok(id, `request ${name} ran`);
      // A request has several events once it waits for approval; its own is kind `request`.
      const record = body.records.find((r) => r.requestId === id && r.kind === 'request');
      assert.ok(record, `audit record for ${name}`);
      assert.equal(record.decision.outcome, want.outcome, name);
      assert.equal(record.status, want.status, name);
    }
    const star = body.records.find((r) => r.requestId === requestIds.get('deny-star'));
    assert.ok(star?.decision.policyIds.includes('agent-no-select-star-prod'));
    assert.equal(
      body.records.find((r) => r.requestId === requestIds.get('unauthenticated'))?.principal,
      null,
    );
  });

  test('an agent may not read the audit trail', async () => {
    const res = await fetch(`${host.url}/api/v1/audit`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    assert.equal(res.status, 403);
  });

  test('agentgate query prints rows as a table, or the error', async () => {
    const capture = (argv: string[]) => runWithIo(runQueryCommand, argv, { cwd: stateDir });
    const ok = await capture([
      '--url',
      host.url,
      '--token',
      agentToken,
      '--connection',
      'demo',
      'select id, email from customers where id = 1',
    ]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^id\s*\|\s*email/m);
    assert.match(ok.out, /\(1 row, 1 cells masked/);
    const denied = await capture([
      '--url',
      host.url,
      '--token',
      agentToken,
      '--connection',
      'demo',
      'select * from customers',
    ]);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /403 policy_denied/);
  });

  test('masking: an agent sees masked values, an unmasking data steward sees the same row in clear', async () => {
    const sql = 'select id, email, card_number from customers where id = 1';
    const agent = await query('demo', { sql });
    assert.equal(agent.res.status, 200, JSON.stringify(agent.json));
    const steward = await query(
      'demo',
      { sql },
      await host.issuer.mint({ user: 'sam', groups: ['data-stewards'] }),
    );
    assert.equal(steward.res.status, 200, JSON.stringify(steward.json));
    const masked = (agent.json.rows as Array<Record<string, string>>)[0];
    const clear = (steward.json.rows as Array<Record<string, string>>)[0];
    assert.match(clear.card_number, /^\d{13,19}$/);
    assert.match(clear.email, /^[^*]+@/);
    assert.equal(
      masked.card_number,
      `${'*'.repeat(clear.card_number.length - 4)}${clear.card_number.slice(-4)}`,
    );
    assert.equal(masked.email, `${clear.email[0]}***${clear.email.slice(clear.email.indexOf('@'))}`);
    const report = agent.json.masking as { columns: Record<string, string>; cellsMasked: number };
    assert.equal(report.columns.card_number, 'pci.pan');
    assert.equal(report.cellsMasked, 2);
    assert.equal((steward.json.masking as { cellsMasked: number }).cellsMasked, 0);

    // An expression over a classified column: an agent waits for a person (its cost could
    // answer a question about the value); a person who may not unmask gets it redacted whole.
    const shouted = 'select id, upper(card_number) as shouted from customers where id = 1';
    const agentShouted = await query('demo', { sql: shouted });
    assert.equal(agentShouted.res.status, 202, JSON.stringify(agentShouted.json));
    assert.deepEqual((agentShouted.json.error as { policyIds: string[] }).policyIds, [
      'agent-predicate-on-masked-approval',
    ]);
    const person = await query('demo', { sql: shouted }, await host.issuer.mint({ user: 'pat' }));
    assert.equal(person.res.status, 200, JSON.stringify(person.json));
    const row = (person.json.rows as Array<Record<string, string>>)[0];
    assert.doesNotMatch(row.shouted, /\d{5}/, 'an expression over a classified column is masked too');
    assert.equal((person.json.masking as { columns: Record<string, string> }).columns.shouted, 'pci.pan');
  });

  test('masking: free text in support tickets is scanned for cards, emails and phones', async () => {
    const { res, json } = await query('demo', {
      sql: 'select id, body from support_tickets where id < 200 order by id',
    });
    assert.equal(res.status, 200);
    const bodies = (json.rows as Array<{ body: string }>).map((r) => r.body).join('\n');
    assert.doesNotMatch(bodies, /\b(?:\d[ -]?){13,19}\b/, 'no card number survives in free text');
    assert.doesNotMatch(bodies, /[\w.+-]+@[\w-]+\.[\w.]+/, 'no email address survives in free text');
    assert.ok((json.masking as { cellsMasked: number }).cellsMasked > 0);
  });

  test('an agent filtering on a masked column needs approval (inference)', async () => {
    const { res, json } = await query('demo', { sql: "select id from customers where email like 'a%'" });
    assert.equal(res.status, 202);
    assert.ok(
      (json.error as { policyIds: string[] }).policyIds.includes('agent-predicate-on-masked-approval'),
    );
  });

  test('classify suggests classes from names and sampled content, and applies nothing', async () => {
    assert.ok(host.demo);
    const registry = connectorRegistry({ demo: host.demo });
    const demo = demoConfig().connections.find((c) => c.id === 'demo');
    assert.ok(demo);
    const suggestions = await suggestFor(registry.connectorFor(demo), 30);
    const byColumn = new Map(suggestions.map((s) => [s.column, s.suggested]));
    assert.equal(byColumn.get('public.customers.card_number'), 'pci.pan');
    assert.equal(byColumn.get('public.customers.email'), 'pii.email');
    assert.equal(byColumn.get('public.customers.ssn'), 'pii.ssn');
    assert.equal(
      byColumn.get('public.orders.order_ref'),
      undefined,
      'order references are not cards or phones',
    );
    assert.equal(byColumn.get('public.orders.amount'), undefined);
    assert.equal(byColumn.get('public.customers.created_at'), undefined);
  });

  test('a database error does not leak the value that caused it', async () => {
    const sql = 'select full_name::int as n from customers where id = 1';
    const steward = await query(
      'demo',
      { sql: 'select full_name from customers where id = 1' },
      await host.issuer.mint({ user: 'sam', groups: ['data-stewards'] }),
    );
    const name = (steward.json.rows as Array<{ full_name: string }>)[0].full_name;
    // For an agent, whether the cast fails is itself a bit of the name: it waits for a person.
    const agent = await query('demo', { sql });
    assert.equal(agent.res.status, 202, JSON.stringify(agent.json));
    // A person who may not see names runs it and gets the error without the value.
    const { res, json } = await query('demo', { sql }, await host.issuer.mint({ user: 'pat' }));
    assert.equal(res.status, 422, JSON.stringify(json));
    const message = (json.error as { message: string }).message;
    assert.ok(!message.includes(name), `the error must not carry ${name}: ${message}`);
  });

  test('an internal error the statement causes is its failure (422), not a target outage', async () => {
    const { res, json } = await query('demo', {
      sql: "select r.* from (select (row(c.city, 'x')).* from customers c where c.id < 3) r",
    });
    assert.equal(res.status, 422, JSON.stringify(json));
    const error = json.error as { code: string; message: string };
    assert.equal(error.code, 'query_failed');
    assert.doesNotMatch(error.message, /conversion function/);
  });

  test('a value computed from a masked column is redacted whole, so it cannot be inferred', async () => {
    const sql =
      "select id, case when card_number like '4%' then 'visa' else 'other' end as brand, length(email) as n from customers where id < 40 order by id";
    // An agent does not get to run it at all (the timing of a branch is an answer too).
    assert.equal((await query('demo', { sql })).res.status, 202);
    const { res, json } = await query('demo', { sql }, await host.issuer.mint({ user: 'pat' }));
    assert.equal(res.status, 200, JSON.stringify(json));
    const rows = json.rows as Array<{ brand: unknown; n: unknown }>;
    assert.equal(new Set(rows.map((r) => JSON.stringify(r.brand))).size, 1, 'every brand looks the same');
    assert.equal(new Set(rows.map((r) => JSON.stringify(r.n))).size, 1, 'every length looks the same');
    assert.equal((json.masking as { columns: Record<string, string> }).columns.brand, 'pci.pan');
  });
});
