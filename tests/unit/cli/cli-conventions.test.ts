import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseDuration, parsePrincipalSpec, principalId } from '../../../cli/args.js';
import { auditQuery, formatTrace, runAuditCommand } from '../../../cli/commands/audit.js';
import * as host from '../../../cli/dev/host.js';
import { formatTable } from '../../../cli/format-table.js';
import { cliVersion, main } from '../../../cli/main.js';
import * as project from '../../../cli/project.js';
import { createTokenVerifier, loadOrCreateDevIssuer } from '../../../shared/identity/index.js';
import { runWithIo } from '../../support/capture-io.js';

const COMMANDS = [
  'dev',
  'token',
  'query',
  'audit',
  'policy',
  'doctor',
  'mask',
  'classify',
  'demo',
  'posture',
  'approvals',
  'requests',
  'mcp',
];

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'agentgate-cli-conv-'));
}

describe('every command', () => {
  test('answers -h and --help with usage and an example, and --version', async () => {
    const cwd = await tempDir();
    const top = await runWithIo(main, ['-h'], { cwd });
    assert.equal(top.code, 0);
    for (const name of COMMANDS) {
      assert.match(top.out, new RegExp(`\\n  ${name} `), name);
      for (const flag of ['-h', '--help']) {
        const r = await runWithIo(main, [name, flag], { cwd });
        assert.equal(r.code, 0, `${name} ${flag}: ${r.err}`);
        assert.match(r.out, /Usage/, name);
        assert.match(r.out, /Examples?:\n {2}\S/, `${name} has an example`);
        assert.match(r.out, /Exit codes/, `${name} documents its exit codes`);
      }
      const v = await runWithIo(main, [name, '--version'], { cwd });
      assert.equal(v.out, `agentgate ${cliVersion()}\n`);
    }
    const version = await runWithIo(main, ['--version'], { cwd });
    assert.match(version.out, /^agentgate \d+\.\d+\.\d+\n$/);
  });
});

describe('argument forms', () => {
  test('one principal syntax: agent:NAME, human:NAME (user:NAME read as human)', () => {
    assert.deepEqual(parsePrincipalSpec('agent:bot'), { kind: 'agent', name: 'bot' });
    assert.deepEqual(parsePrincipalSpec('human:alice'), { kind: 'human', name: 'alice' });
    assert.equal(principalId(parsePrincipalSpec('user:alice')), 'user:alice');
    for (const bad of ['alice', 'robot:x', 'agent:', 'human:a b'])
      assert.throws(() => parsePrincipalSpec(bad), /agent:NAME/);
  });

  test('readable durations up to 30d', () => {
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('2h'), 7200);
    assert.equal(parseDuration('7d'), 7 * 86_400);
    assert.equal(parseDuration('30d'), 30 * 86_400);
    assert.throws(() => parseDuration('31d'), /more than 30d/);
    for (const bad of ['forever', '1w', '0m', '-1h', '1.5h'])
      assert.throws(() => parseDuration(bad), /duration/);
  });

  test('NULL is printed apart from an empty string, and a string NULL is quoted', () => {
    const out = formatTable(['a', 'b', 'c'], [{ a: null, b: '', c: 'NULL' }]);
    const row = out.split('\n')[2];
    assert.deepEqual(
      row.split('|').map((c) => c.trim()),
      ['NULL', '""', '"NULL"'],
    );
  });

  test('audit filters map to the API: principal ids, ISO times, durations back from now', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const q = auditQuery(
      {
        principal: 'human:alice',
        decision: 'deny',
        from: '2h',
        to: '2026-12-01T11:30:00+01:00',
        limit: '20',
      },
      now,
    );
    assert.equal(q.get('principal'), 'user:alice');
    assert.equal(q.get('from'), '2026-12-01T10:00:00.000Z');
    assert.equal(q.get('to'), '2026-12-01T10:30:00.000Z');
    assert.equal(q.get('limit'), '20');
    assert.throws(() => auditQuery({ decision: 'maybe' }), /--decision/);
    assert.throws(() => auditQuery({ limit: '500' }), /--limit/);
    assert.throws(() => auditQuery({ from: 'yesterday' }), /ISO-8601/);
  });

  test('audit show prints every event, nested fields dotted', () => {
    const text = formatTrace('r-1', [
      { kind: 'request', principal: { id: 'agent:bot', recognisedBy: 'dev issuer' }, estimate: null },
      { kind: 'decision', policyIds: ['agent-read'], masking: [{ column: 'email', classes: ['pii.email'] }] },
    ]);
    assert.match(text, /request r-1: 2 events/);
    assert.match(text, /\[1\] request\n {2}kind: request\n {2}principal\.id: agent:bot/);
    assert.match(text, /estimate: NULL/);
    assert.match(text, /masking\[0\]\.classes: pii\.email/);
  });

  test('audit verify is dispatched to its module when there, and fails cleanly when not', async () => {
    const cwd = await tempDir();
    const absent = await runWithIo(
      (a, io) => runAuditCommand(a, io, { loadVerify: async () => undefined }),
      ['verify'],
      { cwd },
    );
    assert.equal(absent.code, 1);
    assert.match(absent.err, /not available/);
    const seen: string[][] = [];
    const present = await runWithIo(
      (a, io) =>
        runAuditCommand(a, io, {
          loadVerify: async () => async (argv) => {
            seen.push(argv);
            return 0;
          },
        }),
      ['verify', '--from', '1d'],
      { cwd },
    );
    assert.equal(present.code, 0);
    assert.deepEqual(seen, [['--from', '1d']]);
  });
});

describe('the project folder', () => {
  test('the CLI constants equal the host ones', () => {
    assert.equal(project.DEV_ISSUER, host.DEV_ISSUER);
    assert.equal(project.DEV_AUDIENCE, host.DEV_AUDIENCE);
    assert.equal(project.DEFAULT_STATE_DIR, host.DEFAULT_STATE_DIR);
  });

  test('is found from a subdirectory: by .agentgate, by the package, else the cwd', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'agentgate' }));
    await mkdir(join(root, 'docs', 'a'), { recursive: true });
    assert.equal(project.findProjectRoot(join(root, 'docs', 'a')), root);
    const other = await tempDir();
    await writeFile(join(other, 'package.json'), JSON.stringify({ name: 'something-else' }));
    assert.equal(project.findProjectRoot(other), other);
  });

  test('token run from a subdirectory signs with the project key, which the host trusts', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'agentgate' }));
    await mkdir(join(root, 'docs'), { recursive: true });
    const r = await runWithIo(main, ['token', '--as', 'human:alice', '--group', 'auditors', '--ttl', '15m'], {
      cwd: join(root, 'docs'),
    });
    assert.equal(r.code, 0, r.err);
    const issuer = await loadOrCreateDevIssuer({
      dir: join(root, '.agentgate'),
      issuer: host.DEV_ISSUER,
      audience: host.DEV_AUDIENCE,
    });
    const verifier = createTokenVerifier({
      dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
    });
    const principal = await verifier.verify(`Bearer ${r.out.trim()}`);
    assert.equal(principal.kind, 'human');
    assert.equal(principal.id, 'user:alice');
    assert.deepEqual(principal.groups, ['auditors']);
    // The old spellings still work; a ttl over 30d is refused.
    assert.equal((await runWithIo(main, ['token', '--agent', 'bot'], { cwd: root })).code, 0);
    assert.equal(
      (await runWithIo(main, ['token', '--as', 'agent:bot', '--ttl', '60d'], { cwd: root })).code,
      2,
    );
    assert.equal(
      (await runWithIo(main, ['token', '--as', 'agent:bot', '--user', 'x'], { cwd: root })).code,
      2,
    );
  });
});

test('mask --classify refuses an unknown class with the list of valid ones', async () => {
  const cwd = await tempDir();
  const r = await runWithIo(main, ['mask', '--classify', 'card=pci.nope'], {
    cwd,
    stdin: '{"card":"4111111111111111"}\n',
  });
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /unknown data class "pci\.nope" \(valid: secret, pci\.pan, /);
  const ok = await runWithIo(main, ['mask', '--classify', 'card=pci.pan'], {
    cwd,
    stdin: '{"card":"4111111111111111"}\n',
  });
  assert.equal(ok.code, 0, ok.err);
  assert.doesNotMatch(ok.out, /4111111111111111/);
});

describe('what the CLI believes of a .agentgate folder', () => {
  test('a lock that points away from loopback, or is world-writable, is ignored', async () => {
    const { chmod, mkdir: mk, writeFile: wf } = await import('node:fs/promises');
    const { readDevLock } = await import('../../../cli/dev/lock.js');
    const root = await tempDir();
    const state = join(root, '.agentgate');
    await mk(state, { mode: 0o700 });
    const lock = (url: string) =>
      wf(join(state, 'dev.lock'), JSON.stringify({ pid: process.pid, url, port: 1 }), { mode: 0o600 });
    await lock('http://localhost:17390');
    assert.equal((await readDevLock(state))?.url, 'http://localhost:17390');
    const resolved = await project.resolveGatewayUrl({ cwd: join(root), env: {} });
    assert.deepEqual(resolved, { url: 'http://localhost:17390', source: 'lock file' });
    await lock('http://attacker.example:80');
    assert.equal(await readDevLock(state), undefined);
    await lock('http://127.0.0.1:17390');
    await chmod(join(state, 'dev.lock'), 0o666);
    assert.equal(await readDevLock(state), undefined);
    // Without a believable lock: PORT, then the default.
    assert.equal(
      (await project.resolveGatewayUrl({ cwd: root, env: { PORT: '9999' } })).url,
      'http://localhost:9999',
    );
  });

  test('a world-writable .agentgate higher up does not make a project root', async () => {
    const { chmod, mkdir: mk } = await import('node:fs/promises');
    const root = await tempDir();
    await mk(join(root, '.agentgate'));
    await chmod(join(root, '.agentgate'), 0o777);
    await mk(join(root, 'work'));
    assert.equal(project.findProjectRoot(join(root, 'work')), join(root, 'work'));
    await chmod(join(root, '.agentgate'), 0o700);
    assert.equal(project.findProjectRoot(join(root, 'work')), root);
  });
});

test('the host records the port it really listens on (asked for 0)', async () => {
  const { acquireDevLock, readDevLock, recordDevHostAddress } = await import('../../../cli/dev/lock.js');
  const state = join(await tempDir(), '.agentgate');
  const release = await acquireDevLock(state, 'http://localhost:0');
  assert.equal((await readDevLock(state))?.port, 0);
  await recordDevHostAddress(state, 'http://localhost:45678');
  assert.deepEqual(
    { url: (await readDevLock(state))?.url, port: (await readDevLock(state))?.port },
    { url: 'http://localhost:45678', port: 45678 },
  );
  await release();
  assert.equal(await readDevLock(state), undefined);
});
