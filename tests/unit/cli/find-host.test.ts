import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DevHost } from '../../../cli/dev/host.js';
import { main } from '../../../cli/main.js';
import { runWithIo } from '../../support/capture-io.js';

let project: string;
let host: DevHost;
let port: number;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

before(async () => {
  project = await mkdtemp(join(tmpdir(), 'agentgate-project-'));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'agentgate' }));
  await mkdir(join(project, 'docs', 'deep'), { recursive: true });
  port = await freePort();
  const { startDevHost } = await import('../../../cli/dev/host.js');
  // As `PORT=N npm start` in the project folder: its .agentgate holds the key and the lock.
  host = await startDevHost({ port, stateDir: join(project, '.agentgate'), customers: 200, env: {} });
});

after(async () => {
  await host?.stop();
  await rm(project, { recursive: true, force: true });
});

/** The CLI as typed in another shell, with no PORT and no flags, from a subdirectory. */
const cli = (argv: string[]) => runWithIo(main, argv, { cwd: join(project, 'docs', 'deep'), env: {} });

describe('the CLI finds the running local host', () => {
  test('the lock file records the URL and port', async () => {
    const lock = JSON.parse(await readFile(join(project, '.agentgate', 'dev.lock'), 'utf8')) as {
      pid: number;
      url: string;
      port: number;
    };
    assert.equal(lock.pid, process.pid);
    assert.equal(lock.port, port);
    assert.equal(lock.url, `http://localhost:${port}`);
  });

  test('query on a non-default port, from a subdirectory, with the key the host trusts', async () => {
    const r = await cli(['query', '-c', 'demo', 'select id, city from customers where id = 1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^id +\| city/m);
    assert.match(r.out, /\(1 row; request /);
    // No second key was minted in the subdirectory.
    await assert.rejects(readFile(join(project, 'docs', 'deep', '.agentgate', 'dev-issuer.json'), 'utf8'));
  });

  test('a refusal in table mode shows code, message, policy ids, reasons and request id', async () => {
    const r = await cli(['query', '-c', 'demo', 'select * from customers']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error 403 policy_denied: /m);
    assert.match(r.err, /policies: agent-no-select-star-prod/);
    assert.match(r.err, /reason: +\S/);
    assert.match(r.err, /request: +[\w-]+ \(agentgate audit show /);
  });

  test('query --as human:NAME --group G mints a human token', async () => {
    const r = await cli([
      'query',
      '--as',
      'human:alice',
      '--group',
      'data-stewards',
      '-c',
      'demo',
      'select id, email from customers where id = 1',
    ]);
    assert.equal(r.code, 0, r.err);
    // A data steward sees the address in clear.
    assert.match(r.out, /@/);
    assert.doesNotMatch(r.out, /cells masked/);
  });

  test('audit list shows the trail, filtered with the one principal syntax', async () => {
    const all = await cli(['audit', 'list', '--json']);
    assert.equal(all.code, 0, all.err);
    const body = JSON.parse(all.out) as { records: Array<{ principal: { id: string } | null }> };
    assert.ok(body.records.length >= 3);
    const alice = await cli(['audit', 'list', '--principal', 'human:alice', '--json']);
    const records = (JSON.parse(alice.out) as typeof body).records;
    assert.ok(records.length >= 1);
    assert.ok(records.every((x) => x.principal?.id === 'user:alice'));
    const table = await cli(['audit', 'list', '--principal', 'agent:cli-agent', '--decision', 'deny']);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /agent-no-select-star-prod/);
    assert.match(table.out, /\(1 record\)/);
  });

  test('an agent may not read the audit trail: the refusal names the policy', async () => {
    const r = await cli(['audit', 'list', '--as', 'agent:bot']);
    assert.equal(r.code, 1);
    assert.match(r.err, /error 403 forbidden/);
    assert.match(r.err, /policies: audit-humans-only/);
  });
});
