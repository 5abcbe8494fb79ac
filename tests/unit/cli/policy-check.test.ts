import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CHECK_EXIT_CODES, runPolicyCommand } from '../../../cli/commands/policy.js';
import { startDemoDatabase } from '../../../cli/dev/demo-database.js';
import { main } from '../../../cli/main.js';
import { runWithIo } from '../../support/capture-io.js';
import { FakeConnector } from '../../support/fake-connector.js';

interface CheckOutput {
  outcome: string;
  outcomeIfSmall?: string;
  dependsOnEstimate?: boolean;
  note?: string;
  policyIds: string[];
  reasons: string[];
  estimatedRows: number | null;
  estimateSource: string;
  ifSmall?: { estimatedRows: number; outcome: string; policyIds: string[] };
  error?: { code: string; message: string };
}

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentgate-policy-check-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `agentgate ARGV` in-process, through main, as a user would type it. */
function run(argv: string[], env: Record<string, string | undefined> = {}) {
  return runWithIo(main, argv, { cwd: dir, env });
}

/** `agentgate policy check` on the demo config as agent:bot, plus EXTRA. */
async function check(sql: string, ...extra: string[]) {
  const r = await run([
    'policy',
    'check',
    '--connection',
    'demo',
    '--as',
    'agent:bot',
    '--sql',
    sql,
    ...extra,
  ]);
  return { ...r, body: r.out === '' ? undefined : (JSON.parse(r.out) as CheckOutput) };
}

/** A config whose `warehouse` connection points at a (pretend or real) Postgres server. */
async function writeServerConfig(name: string, target: Record<string, unknown>): Promise<string> {
  const path = join(dir, `${name}.json`);
  const connection = {
    id: 'warehouse',
    engine: 'postgres',
    environment: 'prod',
    target,
    maxRows: 1000,
    statementTimeoutMs: 5000,
    classification: { 'public.customers.email': 'pii.email' },
  };
  await writeFile(path, JSON.stringify({ connections: [connection] }));
  return path;
}

describe('policy check: exit codes', () => {
  test('0 allow, 3 approval, 4 deny', async () => {
    const allow = await check('select id from customers where id = 1', '--estimated-rows', '1');
    assert.equal(allow.code, CHECK_EXIT_CODES.allow);
    assert.equal(allow.code, 0);
    assert.equal(allow.body?.outcome, 'allow');

    const approval = await check('select id, city from customers', '--estimated-rows', '5000');
    assert.equal(approval.code, 3);
    assert.equal(approval.body?.outcome, 'approval');
    assert.deepEqual(approval.body?.policyIds, ['agent-bulk-read-approval']);

    const deny = await check('select * from customers', '--estimated-rows', '1');
    assert.equal(deny.code, 4);
    assert.equal(deny.body?.outcome, 'deny');
  });

  test('on the embedded demo, statements are traced as the gateway traces them', async () => {
    // Computing on a masked column, and filtering on free text: the gateway asks a person.
    for (const sql of [
      'select upper(ssn) from customers where id = 1',
      "select id from support_tickets where body like '%4111%'",
    ]) {
      const r = await check(sql, '--estimated-rows', '1');
      assert.equal(r.code, 3, sql);
      assert.deepEqual(r.body?.policyIds, ['agent-predicate-on-masked-approval'], sql);
    }
    const plain = await check('select id, email from customers where id = 1', '--estimated-rows', '1');
    assert.equal(plain.code, 0);
  });

  test('1 for errors: unknown connection, bad principal, a statement that does not parse', async () => {
    const unknown = await run([
      'policy',
      'check',
      '--connection',
      'nope',
      '--as',
      'agent:bot',
      '--sql',
      'select 1',
    ]);
    assert.equal(unknown.code, 1);
    assert.equal((JSON.parse(unknown.out) as CheckOutput).error?.code, 'connection_not_found');

    const robot = await run([
      'policy',
      'check',
      '--connection',
      'demo',
      '--as',
      'robot',
      '--sql',
      'select 1',
    ]);
    assert.equal(robot.code, 1);

    const garbled = await check('selec id frm customers');
    assert.equal(garbled.code, 1);
    assert.equal(garbled.body?.outcome, 'error');
  });

  test('2 for usage mistakes, with nothing on stdout', async () => {
    const usages: string[][] = [
      ['policy', 'check', '--connection', 'demo', '--as', 'agent:bot'],
      ['policy', 'frobnicate'],
      ['policy'],
      ['policy', 'check', '--no-such-flag'],
    ];
    for (const bad of ['abc', '-1', '1.5', '1e3', '']) {
      usages.push(['policy', 'check', '--connection', 'demo', '--as', 'agent:bot', '--sql', 'select 1']);
      usages.at(-1)?.push(`--estimated-rows=${bad}`);
    }
    usages.push([
      ...['policy', 'check', '--connection', 'demo', '--as', 'agent:bot', '--sql', 'select 1'],
      ...['--estimated-rows', '1', '--estimate-from-target'],
    ]);
    usages.push([
      ...['policy', 'check', '--connection', 'demo', '--as', 'agent:bot', '--sql', 'select 1'],
      ...['--max-rows', '0'],
    ]);
    for (const argv of usages) {
      const r = await run(argv);
      assert.equal(r.code, 2, argv.join(' '));
      if (argv[1] !== undefined) assert.equal(r.out, '', argv.join(' '));
    }
  });

  test('-h works like --help, and the help names the exit codes', async () => {
    for (const argv of [
      ['policy', '-h'],
      ['policy', '--help'],
      ['policy', 'check', '-h'],
      ['policy', 'check', '--help'],
    ]) {
      const r = await run(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /Usage/);
      assert.match(r.out, /0 allow, 3 approval, 4 deny, 1 error/);
      assert.match(r.out, /--estimate-from-target/);
    }
  });
});

describe('policy check: no estimate given', () => {
  test('says when the outcome hangs on the estimate, and fails closed', async () => {
    const r = await check('select id from customers where id = 1');
    assert.equal(r.code, 3);
    const body = r.body!;
    assert.equal(body.outcome, 'approval');
    assert.deepEqual(body.policyIds, ['agent-unknown-estimate-approval']);
    assert.equal(body.dependsOnEstimate, true);
    assert.equal(body.outcomeIfSmall, 'allow');
    assert.equal(body.estimatedRows, null);
    assert.equal(body.estimateSource, 'not-given');
    assert.match(body.note ?? '', /row estimate, which was not given/);
    assert.match(body.note ?? '', /--estimated-rows N/);
    assert.match(body.note ?? '', /--estimate-from-target/);
    assert.equal(body.ifSmall?.estimatedRows, 1);
    assert.equal(body.ifSmall?.outcome, 'allow');
    assert.deepEqual(body.ifSmall?.policyIds, ['agent-read']);
  });

  test('says the estimate does not matter when both decisions agree', async () => {
    // Filtering on a masked column needs approval whatever the size.
    const masked = await check("select id from customers where email = 'a@b.c'");
    assert.equal(masked.code, 3);
    assert.equal(masked.body?.dependsOnEstimate, false);
    assert.equal(masked.body?.outcomeIfSmall, undefined);
    assert.equal(masked.body?.note, undefined);

    // A human's read is allowed whatever the size.
    const human = await run([
      ...['policy', 'check', '--connection', 'demo', '--as', 'human:alice'],
      ...['--sql', 'select id from customers where id = 1'],
    ]);
    assert.equal(human.code, 0);
    assert.equal((JSON.parse(human.out) as CheckOutput).dependsOnEstimate, false);
  });

  test('does not consider an estimate for what the gateway never estimates', async () => {
    const star = await check('select * from customers');
    assert.equal(star.code, 4);
    assert.equal(star.body?.dependsOnEstimate, false);
    assert.equal(star.body?.estimateSource, 'not-needed');

    const write = await check("update customers set city = 'x' where id = 1");
    assert.equal(write.code, 4);
    assert.equal(write.body?.estimateSource, 'not-needed');
  });
});

describe('policy check: --estimate-from-target', () => {
  function checkWith(connector: FakeConnector, config: string, sql: string) {
    return runWithIo(
      (argv, io) => runPolicyCommand(argv, io, { connectorFor: () => connector }),
      ['check', '--connection', 'warehouse', '--as', 'agent:bot', '--sql', sql, '--estimate-from-target'],
      { cwd: dir, env: { AGENTGATE_CONFIG: config } },
    ).then((r) => ({ ...r, body: JSON.parse(r.out) as CheckOutput }));
  }

  test('decides with the estimate the connection gives, as the gateway does', async () => {
    const config = await writeServerConfig('fake', {
      host: '127.0.0.1',
      database: 'warehouse',
      user: 'gateway',
      auth: 'password-from-env',
      passwordEnv: 'UNUSED',
    });
    const connector = new FakeConnector();
    const sql = 'select id, city from customers';

    connector.estimate = 12;
    const small = await checkWith(connector, config, sql);
    assert.equal(small.code, 0, small.err);
    assert.equal(small.body.outcome, 'allow');
    assert.equal(small.body.estimatedRows, 12);
    assert.equal(small.body.estimateSource, 'target');
    assert.equal(small.body.dependsOnEstimate, undefined);
    assert.deepEqual(connector.estimated, [sql]);

    connector.estimate = 50_000;
    const bulk = await checkWith(connector, config, sql);
    assert.equal(bulk.code, 3);
    assert.deepEqual(bulk.body.policyIds, ['agent-bulk-read-approval']);

    connector.estimate = null;
    const unknown = await checkWith(connector, config, sql);
    assert.equal(unknown.code, 3);
    assert.equal(unknown.body.estimatedRows, null);
    assert.match(unknown.body.note ?? '', /gave no estimate/);

    // Denied on its face: the target is not asked, exactly as in the gateway.
    const before = connector.estimated.length;
    const star = await checkWith(connector, config, 'select * from customers');
    assert.equal(star.code, 4);
    assert.equal(connector.estimated.length, before);
    assert.equal(star.body.estimateSource, 'not-needed');
  });

  test('an embedded-demo connection is a clear error, not a silent unknown', async () => {
    const r = await check('select id from customers where id = 1', '--estimate-from-target');
    assert.equal(r.code, 1);
    assert.equal(r.body?.outcome, 'error');
    assert.equal(r.body?.error?.code, 'target_unavailable');
    assert.match(r.err, /embedded demo/);
    assert.match(r.err, /--estimated-rows N/);
    assert.match(r.err, /real database server/);
  });

  test('asks a real server through the gateway connector registry', async () => {
    const demo = await startDemoDatabase({ customers: 50 });
    try {
      const config = await writeServerConfig('server', {
        host: demo.host,
        port: demo.port,
        database: 'postgres',
        user: 'postgres',
        auth: 'password-from-env',
        passwordEnv: 'WAREHOUSE_PASSWORD',
        ssl: false,
      });
      const args = ['policy', 'check', '--connection', 'warehouse', '--as', 'agent:bot', '--config', config];
      const env = { WAREHOUSE_PASSWORD: 'postgres' };

      const one = await run(
        [...args, '--sql', 'select id from customers where id = 1', '--estimate-from-target'],
        env,
      );
      assert.equal(one.code, 0, one.out + one.err);
      const oneBody = JSON.parse(one.out) as CheckOutput;
      assert.equal(oneBody.estimateSource, 'target');
      assert.equal(oneBody.estimatedRows, 1);

      const many = await run(
        [...args, '--sql', 'select g from generate_series(1, 100000) as g', '--estimate-from-target'],
        env,
      );
      const manyBody = JSON.parse(many.out) as CheckOutput;
      assert.ok((manyBody.estimatedRows ?? 0) > 1000, String(manyBody.estimatedRows));
      assert.equal(many.code, 3);
    } finally {
      await demo.stop();
    }
  });
});
