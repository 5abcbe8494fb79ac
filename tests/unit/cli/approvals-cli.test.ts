import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runApprovalsCommand } from '../../../cli/commands/approvals.js';
import type { DevHost } from '../../../cli/dev/host.js';
import { cliVersion, main } from '../../../cli/main.js';
import { runWithIo } from '../../support/capture-io.js';

/**
 * `agentgate approvals` and `agentgate requests` against a real local host: the CLI mints its
 * dev tokens with the project's key, which is the key the host trusts (same .agentgate/).
 */
describe('approvals and requests commands (local host)', () => {
  let host: DevHost;
  let root: string;
  let agentToken: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'agentgate-approvals-cli-'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'agentgate' }));
    const { startDevHost } = await import('../../../cli/dev/host.js');
    host = await startDevHost({
      port: 0,
      stateDir: join(root, '.agentgate'),
      customers: 3000,
      env: {},
      noLock: true,
    });
    agentToken = await host.issuer.mint({ agent: 'cli-agent' });
  });

  after(async () => {
    await host?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const env = () => ({ AGENTGATE_URL: host.url });
  const cli = (argv: string[]) => runWithIo(main, argv, { cwd: root, env: env() });
  const fastWait = (argv: string[]) =>
    runWithIo(
      (a, io) => runApprovalsCommand(a, io, { sleep: (ms) => new Promise((r) => setTimeout(r, ms / 5)) }),
      argv,
      {
        cwd: root,
        env: env(),
      },
    );

  async function askForApproval(sql = 'select id, email, city from customers'): Promise<string> {
    const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql, purpose: 'quarterly churn report' }),
    });
    const json = (await res.json()) as { approval?: { approvalRequestId: string } };
    assert.equal(res.status, 202, JSON.stringify(json));
    return json.approval?.approvalRequestId ?? '';
  }

  async function statusOf(id: string): Promise<string> {
    const r = await cli(['requests', 'status', id, '--json']);
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { request: { status: string } }).request.status;
  }

  test('help, examples, exit codes and --version, and a line each in the top-level help', async () => {
    const top = await cli(['--help']);
    for (const name of ['approvals', 'requests']) {
      assert.match(top.out, new RegExp(`\\n  ${name} `), name);
      for (const flag of ['-h', '--help']) {
        const r = await cli([name, flag]);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /Usage/);
        assert.match(r.out, /Examples?:\n {2}\S/);
        assert.match(r.out, /Exit codes/);
      }
      assert.equal((await cli([name, '--version'])).out, `agentgate ${cliVersion()}\n`);
      assert.equal((await cli([name])).code, 2);
      assert.equal((await cli([name, 'frobnicate'])).code, 2);
    }
  });

  test('usage mistakes exit 2 before anything is sent', async () => {
    for (const argv of [
      ['approvals', 'approve'],
      ['approvals', 'approve', 'a', 'b'],
      ['approvals', 'approve', 'x/../y'],
      ['approvals', 'approve', 'abc', '--max-rows', '0'],
      ['approvals', 'approve', 'abc', '--max-rows', '1.5'],
      ['approvals', 'deny', 'abc', '--max-rows', '5'],
      ['approvals', 'deny', 'abc', '--reason', ' '],
      ['approvals', 'list', '--as', 'robot:x'],
      ['approvals', 'list', '--token', 't', '--as', 'human:x'],
      ['requests', 'result'],
      ['requests', 'status', 'a b'],
    ]) {
      const r = await cli(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.out, '', argv.join(' '));
    }
  });

  test('list, show, approve with a lower row cap, then the agent reads status and the masked result', async () => {
    const id = await askForApproval();
    const list = await cli(['approvals', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(id));
    assert.match(list.out, /pending requests? you may decide/);

    const show = await cli(['approvals', 'show', id]);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /status: +pending/);
    assert.match(show.out, /approver group: data-owners/);
    assert.match(show.out, /purpose: +quarterly churn report/);
    assert.match(show.out, /statement:\n {2}select id, email, city from customers/);

    const approved = await fastWait([
      'approve',
      id,
      '--max-rows',
      '25',
      '--reason',
      'ok for the report',
      '--wait',
    ]);
    assert.equal(approved.code, 0, approved.err);
    assert.match(approved.out, new RegExp(`approve queued for request ${id}`));
    assert.match(approved.out, new RegExp(`request ${id} is completed`));

    const status = await cli(['requests', 'status', id]);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /status: +completed/);
    assert.match(status.out, /decision: +approve by user:dev-approver/);

    const result = await cli(['requests', 'result', id]);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^id\s*\|\s*email\s*\|\s*city/m);
    assert.match(result.out, /\(25 rows.*cells masked; request /, 'the approver lowered the cap to 25');
    assert.doesNotMatch(result.out, /[\w.+-]{2,}@[\w-]+\.\w+/, 'no email in clear');
    const json = await cli(['requests', 'result', id, '--json']);
    assert.equal((JSON.parse(json.out) as { rowCount: number }).rowCount, 25);

    // Someone else's result: another agent learns nothing.
    const other = await cli(['requests', 'result', id, '--as', 'agent:someone-else']);
    assert.equal(other.code, 1);
    assert.match(other.err, /not_found/);
    // Decided already: a second decision is refused.
    const again = await cli(['approvals', 'deny', id]);
    assert.equal(again.code, 1);
  });

  test('deny with a reason: nothing runs, and the agent is told', async () => {
    const id = await askForApproval();
    const denied = await fastWait(['deny', id, '--reason', 'too broad', '--wait']);
    assert.equal(denied.code, 0, denied.err);
    assert.match(denied.out, new RegExp(`request ${id} is denied`));
    assert.equal(await statusOf(id), 'denied');
    const result = await cli(['requests', 'result', id]);
    assert.equal(result.code, 1);
    assert.match(result.err, /error 409 conflict/);
  });

  test('refused: a person outside the group, an agent, and a cancelled request', async () => {
    const id = await askForApproval();
    const outsider = await cli(['approvals', 'approve', id, '--as', 'human:mallory', '--group', 'marketing']);
    assert.equal(outsider.code, 1);
    assert.match(outsider.err, /error 40[34]/);
    const agent = await cli(['approvals', 'approve', id, '--as', 'agent:cli-agent']);
    assert.equal(agent.code, 1);
    assert.match(agent.err, /error 403 forbidden/);
    const outsiderList = await cli([
      'approvals',
      'list',
      '--as',
      'human:mallory',
      '--group',
      'marketing',
      '--json',
    ]);
    assert.equal(outsiderList.code, 0, outsiderList.err);
    assert.ok(!outsiderList.out.includes(id), 'an outsider does not see the request in the inbox');
    assert.equal(await statusOf(id), 'pending');

    const cancelled = await cli(['requests', 'cancel', id]);
    assert.equal(cancelled.code, 0, cancelled.err);
    assert.equal(await statusOf(id), 'cancelled');
    const late = await cli(['approvals', 'approve', id]);
    assert.equal(late.code, 1);
    assert.match(late.err, /conflict/);
  });

  test('query answered 202: prints the request id, status URL and the follow-up command, exits 3', async () => {
    const r = await cli(['query', '-c', 'demo', 'select id, email, city from customers']);
    assert.equal(r.code, 3, r.err);
    assert.equal(r.err, '', 'a pending request is not an error');
    const id = /request (\S+) is pending/.exec(r.out)?.[1];
    assert.ok(id, r.out);
    assert.ok(r.out.includes(`status:  ${host.url}/api/v1/requests/${id}`), r.out);
    assert.ok(r.out.includes(`agentgate requests status ${id}`), r.out);
    assert.equal(await statusOf(id), 'pending', 'the printed id is the stored request');

    const json = await cli(['query', '-c', 'demo', '--json', 'select id, email, city from customers']);
    assert.equal(json.code, 3, 'the JSON form exits 3 too');
    assert.equal((JSON.parse(json.out) as { error: { code: string } }).error.code, 'approval_required');

    const refused = await cli([
      'query',
      '-c',
      'demo',
      '--callback-url',
      'https://hooks.evil.example/cb',
      'select id, email, city from customers',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /callback_refused/);
  });
});
