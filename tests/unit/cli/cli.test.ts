import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../../cli/dev/host.js';
import { main } from '../../../cli/main.js';
import { createTokenVerifier, loadOrCreateDevIssuer } from '../../../shared/identity/index.js';
import { runWithIo } from '../../support/capture-io.js';
import { POLICY_DIR } from '../../support/gateway-fixture.js';

async function run(argv: string[], cwd?: string, stdinText = '') {
  const dir = cwd ?? (await mkdtemp(join(tmpdir(), 'agentgate-cli-')));
  return { ...(await runWithIo(main, argv, { cwd: dir, stdin: stdinText })), dir };
}

describe('agentgate CLI', () => {
  test('--help on the CLI and on every command', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    for (const name of ['dev', 'token', 'query', 'policy', 'mask']) {
      assert.match(top.out, new RegExp(`\\b${name}\\b`));
      const r = await run([name, '--help']);
      assert.equal(r.code, 0, name);
      assert.match(r.out, /Usage/i, name);
    }
    const unknown = await run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command/);
  });

  test('token prints a dev token and nothing else, and the gateway accepts it', async () => {
    const r = await run(['token', '--agent', 'reporting-bot', '--ttl', '5m']);
    assert.equal(r.code, 0);
    const token = r.out.trim();
    assert.equal(r.out, `${token}\n`);
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const issuer = await loadOrCreateDevIssuer({
      dir: join(r.dir, '.agentgate'),
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
    });
    const verifier = createTokenVerifier({
      dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
    });
    const principal = await verifier.verify(`Bearer ${token}`);
    assert.equal(principal.kind, 'agent');
    assert.equal(principal.name, 'reporting-bot');

    const user = await run(
      ['token', '--user', 'alice', '--group', 'auditors', '--group', 'data-stewards'],
      r.dir,
    );
    const human = await verifier.verify(`Bearer ${user.out.trim()}`);
    assert.equal(human.kind, 'human');
    assert.deepEqual(human.groups, ['auditors', 'data-stewards']);
  });

  test('token refuses ambiguous or bad arguments', async () => {
    assert.equal((await run(['token'])).code, 2);
    assert.equal((await run(['token', '--agent', 'a', '--user', 'b'])).code, 2);
    const badTtl = await run(['token', '--agent', 'a', '--ttl', 'forever']);
    assert.equal(badTtl.code, 2);
    assert.equal(badTtl.out, '');
  });

  test('policy validate accepts the shipped policies and names the broken file', async () => {
    const ok = await run(['policy', 'validate', '--dir', POLICY_DIR]);
    assert.equal(ok.code, 0);
    assert.equal(JSON.parse(ok.out).valid, true);

    const dir = await mkdtemp(join(tmpdir(), 'agentgate-policies-'));
    await cp(POLICY_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, 'zz-broken.cedar'),
      '@id("broken")\n@message("x")\npermit (principal, action, resource) when { context.nope };\n',
    );
    const bad = await run(['policy', 'validate', '--dir', dir]);
    assert.equal(bad.code, 1);
    const body = JSON.parse(bad.out) as { valid: boolean; error: string };
    assert.equal(body.valid, false);
    assert.match(body.error, /zz-broken\.cedar/);
  });

  test('policy check prints the outcome, policy ids and reasons without executing', async () => {
    const check = async (sql: string, ...extra: string[]) => {
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
      const parsed = JSON.parse(r.out) as { outcome: string; policyIds: string[]; reasons: string[] };
      // Exit codes by outcome, so a CI job can gate on them.
      const expected = { allow: 0, approval: 3, deny: 4 }[parsed.outcome];
      assert.equal(r.code, expected, r.err);
      return parsed;
    };

    const denied = await check('select * from customers');
    assert.equal(denied.outcome, 'deny');
    assert.deepEqual(denied.policyIds, ['agent-no-select-star-prod']);
    assert.ok(denied.reasons[0].length > 0);

    const read = await check('select id from customers where id = 1', '--estimated-rows', '1');
    assert.equal(read.outcome, 'allow');
    assert.deepEqual(read.policyIds, ['agent-read']);

    // Without a planner estimate the size is unknown, and unknown fails closed.
    assert.equal((await check('select id from customers where id = 1')).outcome, 'approval');
    assert.equal(
      (await check('select id, city from customers', '--estimated-rows', '5000')).outcome,
      'approval',
    );

    const bad = await run(['policy', 'check', '--connection', 'demo', '--as', 'robot', '--sql', 'select 1']);
    assert.equal(bad.code, 1);
  });
});

describe('agentgate dev start-up checks', () => {
  test('an invalid policy stops the start, naming the file, before any database starts', async () => {
    const { startDevHost } = await import('../../../cli/dev/host.js');
    const dir = await mkdtemp(join(tmpdir(), 'agentgate-badpol-'));
    await cp(POLICY_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, 'typo.cedar'),
      '@id("typo")\n@message("m")\npermit (principal, action, resource) when { 1 + };\n',
    );
    const started = Date.now();
    await assert.rejects(
      startDevHost({ port: 0, stateDir: dir, env: { AGENTGATE_POLICY_DIR: dir }, noLock: true }),
      /typo\.cedar/,
    );
    assert.ok(Date.now() - started < 30_000);
  });

  test('a second host in the same folder fails with a clear message', async () => {
    const { acquireDevLock, AlreadyRunningError } = await import('../../../cli/dev/lock.js');
    const dir = await mkdtemp(join(tmpdir(), 'agentgate-lock-'));
    const release = await acquireDevLock(dir, 'http://localhost:7071');
    await assert.rejects(acquireDevLock(dir, 'http://localhost:7071'), (e: unknown) => {
      assert.ok(e instanceof AlreadyRunningError);
      assert.match(e.message, /already running \(pid \d+\) at http:\/\/localhost:7071/);
      return true;
    });
    await release();
    const again = await acquireDevLock(dir, 'http://localhost:7071');
    await again();
  });

  test('a stale lock from a dead process is taken over', async () => {
    const { acquireDevLock } = await import('../../../cli/dev/lock.js');
    const dir = await mkdtemp(join(tmpdir(), 'agentgate-stale-'));
    // pid 2^22 + 1 is above Linux's pid_max default ceiling, so no live process has it.
    await writeFile(join(dir, 'dev.lock'), JSON.stringify({ pid: 4_194_305, url: 'http://localhost:7071' }));
    const release = await acquireDevLock(dir, 'http://localhost:7071');
    await release();
  });
});
