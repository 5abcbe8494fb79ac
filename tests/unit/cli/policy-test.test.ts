import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SHIPPED_POLICY_DIR } from '../../../cli/commands/policy.js';
import { main } from '../../../cli/main.js';
import { runWithIo } from '../../support/capture-io.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentgate-policy-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (argv: string[]) => runWithIo(main, argv, { cwd: dir });

const PASSING = `cases:
  - name: agent reads one customer
    as: agent:bot
    connection: demo
    sql: select id from customers where id = 1
    estimatedRows: 1
    expect: allow
    policyIds: [agent-read]
  - name: select star is denied
    as: agent:bot
    connection: demo
    sql: select * from customers
    expect: deny
    policyIds: [agent-no-select-star-prod]
  - name: unknown size asks for approval
    as: agent:bot
    connection: demo
    sql: select id from customers where id = 1
    expect: approval
  - name: bad SQL is an error
    as: human:alice
    connection: demo
    sql: selec nothing
    expect: error
`;

describe('agentgate policy test', () => {
  test('all cases pass: a table and exit 0', async () => {
    const file = join(dir, 'pass.yaml');
    await writeFile(file, PASSING);
    const r = await run(['policy', 'test', file]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /4 passed, 0 failed/);
    assert.match(r.out, /agent reads one customer/);
    assert.doesNotMatch(r.out, /FAIL/);
  });

  test('a wrong outcome or wrong policy ids is a mismatch: exit 1, the row says FAIL', async () => {
    const file = join(dir, 'fail.yaml');
    await writeFile(
      file,
      `- as: agent:bot
  connection: demo
  sql: select * from customers
  expect: allow
- as: agent:bot
  connection: demo
  sql: select id from customers where id = 1
  estimatedRows: 1
  expect: allow
  policyIds: [human-read]
`,
    );
    const r = await run(['policy', 'test', file, '--json']);
    assert.equal(r.code, 1);
    const body = JSON.parse(r.out) as { failed: number; results: Array<{ pass: boolean; outcome: string }> };
    assert.equal(body.failed, 2);
    assert.equal(body.results[0].outcome, 'deny');
    const table = await run(['policy', 'test', file]);
    assert.equal(table.code, 1);
    assert.equal((table.out.match(/FAIL/g) ?? []).length, 2);
  });

  test('a malformed case file is a usage error (2) naming the field', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, '- as: user-alice\n  connection: demo\n  sql: select 1\n  expect: maybe\n');
    const r = await run(['policy', 'test', file]);
    assert.equal(r.code, 2);
    assert.match(r.err, /agent:NAME or human:NAME/);
    assert.match(r.err, /expect/);
  });
});

describe('agentgate policy diff', () => {
  test('lists every record whose outcome changes under the other policy set', async () => {
    const other = join(dir, 'other-policies');
    await cp(SHIPPED_POLICY_DIR, other, { recursive: true });
    await writeFile(
      join(other, 'zz-new.cedar'),
      `@id("agent-no-orders")
@message("Agents may no longer read orders.")
forbid (principal is AgentGate::Agent, action == AgentGate::Action::"query", resource)
when { context.tables.contains("public.orders") };`,
    );
    const principal = { id: 'agent:bot', kind: 'agent', name: 'bot', groups: [], roles: [] };
    const record = (requestId: string, statement: string) => ({
      requestId,
      action: 'query',
      connection: 'demo',
      statement,
      principal,
      facts: { estimatedRows: 1 },
      decision: { outcome: 'allow', policyIds: ['agent-read'], reasons: [] },
    });
    const file = join(dir, 'records.json');
    await writeFile(
      file,
      JSON.stringify({
        records: [
          record('r-orders', 'select id from orders where id = 1'),
          record('r-customers', 'select id from customers where id = 1'),
          { requestId: 'r-audit', action: 'audit.read', connection: null, statement: null, principal: null },
        ],
      }),
    );
    const r = await run(['policy', 'diff', '--against', other, '--records', file, '--json']);
    assert.equal(r.code, 1, r.err);
    const body = JSON.parse(r.out) as {
      replayed: number;
      skipped: number;
      changed: Array<{ requestId: string; current: string; against: string }>;
    };
    assert.equal(body.replayed, 2);
    assert.equal(body.skipped, 1);
    assert.deepEqual(
      body.changed.map((c) => [c.requestId, c.current, c.against]),
      [['r-orders', 'allow (agent-read)', 'deny (agent-no-orders)']],
    );
    const same = await run(['policy', 'diff', '--against', SHIPPED_POLICY_DIR, '--records', file]);
    assert.equal(same.code, 0);
    assert.match(same.out, /0 changed of 2 replayed/);
  });
});

test('policy validate warns about a table name that can never match', async () => {
  const policies = join(dir, 'warn-policies');
  await cp(SHIPPED_POLICY_DIR, policies, { recursive: true });
  await writeFile(
    join(policies, 'zz-warn.cedar'),
    `@id("no-payments")
@message("No payments.")
forbid (principal, action == AgentGate::Action::"query", resource)
when { context.tables.contains("payments") };`,
  );
  const r = await run(['policy', 'validate', '--dir', policies]);
  assert.equal(r.code, 0);
  const body = JSON.parse(r.out) as { valid: boolean; warnings: Array<{ file: string; name: string }> };
  assert.equal(body.valid, true);
  assert.deepEqual(
    body.warnings.map((w) => [w.file, w.name]),
    [['zz-warn.cedar', 'payments']],
  );
  assert.match(r.err, /did you mean "public\.payments"/);
});
