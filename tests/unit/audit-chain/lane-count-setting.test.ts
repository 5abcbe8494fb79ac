import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DevHost, startDevHost } from '../../../cli/dev/host.js';
import { parseCheckpoint } from '../../../shared/audit/chain/checkpoint.js';
import { verifyAuditChain } from '../../../shared/audit/chain/verify.js';
import { readSettings } from '../../../shared/config/settings.js';

/**
 * AGENTGATE_AUDIT_LANES: the host chains into that many lanes, checkpoints sign that many,
 * and a verifier expecting another count refuses the checkpoints rather than pass a chain it
 * only partly read.
 */
describe('AGENTGATE_AUDIT_LANES', () => {
  let host: DevHost;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agentgate-lanes-'));
    host = await startDevHost({
      port: 0,
      stateDir: dir,
      customers: 20,
      env: { AGENTGATE_AUDIT_LANES: '5' },
      noLock: true,
      noAzurite: true,
      skipTimers: ['sealAuditCheckpoint', 'verifyAuditWindow', 'expireApprovals'],
    });
  });
  after(async () => {
    await host?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('events land in the configured lanes and the checkpoint signs exactly that many', async () => {
    const agent = await host.issuer.mint({ agent: 'lanes-agent' });
    for (let i = 1; i <= 12; i++) {
      const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'select id, city from customers where id = $1', params: [i] }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    const chain = host.gateway.auditChain;
    const ports = chain?.exportPorts;
    assert.ok(chain && ports);
    assert.equal(ports.lanes, 5);
    await chain.seal(new Date());
    const latest = await ports.checkpoints.latest();
    assert.ok(latest);
    assert.equal(parseCheckpoint(latest.note).lanes.length, 5);
    const keys = (await chain.jwks()).keys;
    const parts = { reader: ports.reader, checkpoints: ports.checkpoints, heads: ports.heads, keys };
    const report = await verifyAuditChain({ ...parts, lanes: 5, live: true });
    assert.equal(report.ok, true, JSON.stringify(report.checkpoints.failures));
    assert.ok(report.events >= 12, `${report.events} events`);
    const { resources: lanes } = await host.database
      .container('audit')
      .items.query<number>('SELECT VALUE c.chain.lane FROM c')
      .fetchAll();
    assert.ok(lanes.length >= 12);
    assert.deepEqual(
      lanes.filter((l) => !(Number.isInteger(l) && l >= 0 && l < 5)),
      [],
      'every stored event is in one of the five lanes',
    );
    assert.ok(new Set(lanes).size > 1, 'requests spread over the lanes');
    const wrong = await verifyAuditChain({ ...parts, lanes: 16, live: true });
    assert.equal(wrong.ok, false);
    assert.ok(
      wrong.checkpoints.failures.some((f) => f.kind === 'lane_count'),
      JSON.stringify(wrong.checkpoints.failures),
    );
  });

  test('a count outside 1 to 1024 stops the start with the setting named', () => {
    for (const bad of ['0', '1025', '2.5', 'many']) {
      assert.throws(() => readSettings({ AGENTGATE_AUDIT_LANES: bad }), /AGENTGATE_AUDIT_LANES/);
    }
    assert.equal(readSettings({}).AGENTGATE_AUDIT_LANES, 16);
  });
});
