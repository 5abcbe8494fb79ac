import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Container } from '@azure/cosmos';
import { runAuditVerify } from '../../cli/commands/audit-verify.js';
import { type DevHost, startDevHost } from '../../cli/dev/host.js';
import { parseCheckpoint } from '../../shared/audit/chain/checkpoint.js';
import type { StoredCheckpoint } from '../../shared/audit/chain/checkpoint-store.js';
import { chainEvent } from '../../shared/audit/chain/hash.js';
import type { VerifyReport } from '../../shared/audit/chain/verify.js';
import type { AuditEvent } from '../../shared/audit/event.js';
import { runWithIo } from '../support/capture-io.js';

/**
 * `agentgate audit verify --url` against the local host: the verifier reads the export
 * routes with an auditor's token, while the test tampers with the emulator's containers the
 * way anyone with Cosmos DB data-plane rights could. Each tamper is undone after its check.
 */

type Stored = AuditEvent & { day: string };

describe('audit verify over HTTP (local host)', () => {
  let host: DevHost;
  let cwd: string;
  let auditor: string;
  let audit: Container;
  let checkpoints: Container;
  /** The lane with the most events when the test starts, and its first events. */
  let lane: number;
  let events: Stored[];

  const strip = (item: Record<string, unknown>): Stored => {
    const { _rid, _etag, _ts, _self, _attachments, ...rest } = item;
    return rest as unknown as Stored;
  };

  async function laneEvents(l: number): Promise<Stored[]> {
    const { resources } = await audit.items
      .query<Record<string, unknown>>({
        query: 'SELECT * FROM c WHERE c.chain.lane = @l',
        parameters: [{ name: '@l', value: l }],
      })
      .fetchAll();
    return resources.map(strip).sort((a, b) => (a.chain?.index ?? 0) - (b.chain?.index ?? 0));
  }

  async function verify(...extra: string[]): Promise<{ code: number; report: VerifyReport; err: string }> {
    const { code, out, err } = await runWithIo(
      runAuditVerify,
      ['--url', host.url, '--token', auditor, '--json', ...extra],
      { cwd },
    );
    return { code, report: (out ? JSON.parse(out) : {}) as VerifyReport, err };
  }

  const seal = () => host.gateway.triggerHandlers.sealAuditCheckpoint?.(new Date()) ?? Promise.resolve();
  const put = (e: Stored) => audit.items.upsert(e);
  const drop = (e: Stored) => audit.item(e.id, e.day).delete();

  async function query(sql: string, token = agent): Promise<number> {
    const res = await fetch(`${host.url}/api/v1/connections/demo/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
    await res.arrayBuffer();
    return res.status;
  }
  let agent: string;

  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'agentgate-verify-http-'));
    await mkdir(join(cwd, '.agentgate'), { recursive: true });
    host = await startDevHost({
      port: 0,
      stateDir: join(cwd, '.agentgate'),
      customers: 200,
      env: {},
      noLock: true,
      // Checkpoints are sealed by the test only: a seal during a tamper would sign the damage.
      skipTimers: ['sealAuditCheckpoint'],
    });
    audit = host.database.container('audit');
    checkpoints = host.database.container('auditCheckpoints');
    agent = await host.issuer.mint({ agent: 'verify-agent' });
    auditor = await host.issuer.mint({ user: 'audrey', groups: ['auditors'] });
    // Ten agents, four requests each: one agent may have at most 4 statements in flight.
    const agents = await Promise.all(
      Array.from({ length: 10 }, (_, i) => host.issuer.mint({ agent: `verify-agent-${i}` })),
    );
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        query(
          i % 4 === 0 ? 'select * from customers' : `select id, city from customers where id = ${i + 1}`,
          agents[i % 10],
        ),
      ),
    );
    assert.ok(statuses.includes(200) && statuses.includes(403), JSON.stringify(statuses));
    // A statement holding a card number: auditors see it masked, so its hash is attested.
    await query("select id from customers where card_number = '4111111111111111'");
    await seal();
    let best: Stored[] = [];
    for (let l = 0; l < 16; l++) {
      const found = await laneEvents(l);
      if (found.length > best.length) {
        best = found;
        lane = l;
      }
    }
    events = best;
    assert.ok(events.length >= 4, 'the busiest lane has a few events');
    await seal();
  });

  after(async () => {
    await host?.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  test('an untouched chain verifies over HTTP; masked events are counted as attested', async () => {
    const { code, report, err } = await verify();
    assert.equal(code, 0, err || JSON.stringify(report.checkpoints));
    assert.equal(report.ok, true);
    assert.equal(report.lanes.length, 16);
    assert.ok(report.checkpoints.count >= 2);
    assert.ok(report.events >= 41);
    const attested = report.lanes.reduce((n, l) => n + (l.attested ?? 0), 0);
    assert.ok(attested >= 1, 'the card-number statement reached the verifier masked');
  });

  test('the export routes are for auditors: an agent and a person outside the group are refused', async () => {
    const outsider = await host.issuer.mint({ user: 'mallory' });
    for (const token of [agent, outsider]) {
      const res = await fetch(`${host.url}/api/v1/audit/lanes/0`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 403);
      await res.arrayBuffer();
    }
    const jwks = await fetch(`${host.url}/api/v1/audit/jwks`);
    assert.equal(jwks.status, 200, 'public keys need no token');
    assert.equal(((await jwks.json()) as { keys: unknown[] }).keys.length, 1);
  });

  async function expectLaneFailure(kinds: string[], index: number): Promise<void> {
    const { code, report } = await verify('--state', join(cwd, 'scratch-state.json'));
    assert.equal(code, 1);
    const failure = report.lanes[lane]?.failure;
    assert.ok(failure && kinds.includes(failure.kind), JSON.stringify(report.lanes[lane]));
    assert.equal(failure.index, index);
  }

  test('a modified record', async () => {
    const victim = events[1] as Stored;
    await put({ ...victim, action: 'nothing.to.see' } as Stored);
    try {
      await expectLaneFailure(['modified'], 1);
    } finally {
      await put(victim);
    }
  });

  test('a modified record that the auditor sees masked (its hash attested by the gateway)', async () => {
    const all = (await Promise.all(Array.from({ length: 16 }, (_, l) => laneEvents(l)))).flat();
    const carded = all.find((e) => e.kind === 'request' && e.statement?.includes('4111111111111111'));
    assert.ok(carded?.kind === 'request');
    await put({ ...carded, statement: 'select 1' });
    try {
      const { code, report } = await verify('--state', join(cwd, 'scratch-state.json'));
      assert.equal(code, 1);
      assert.equal(report.lanes[carded.chain?.lane ?? -1]?.failure?.kind, 'modified');
    } finally {
      await put(carded);
    }
  });

  test('a deleted record', async () => {
    const victim = events[1] as Stored;
    await drop(victim);
    try {
      await expectLaneFailure(['missing'], 1);
    } finally {
      await put(victim);
    }
  });

  test('an inserted record with a valid hash', async () => {
    const first = events[0] as Stored;
    const base = events[1] as Stored;
    const forged = chainEvent({ ...base, id: 'forged:0', requestId: 'forged' } as AuditEvent, {
      lane,
      index: 1,
      prev: first.chain?.hash ?? '',
    });
    const stored = { ...forged, day: base.day } as Stored;
    await put(stored);
    try {
      await expectLaneFailure(['inserted'], 1);
    } finally {
      await drop(stored);
    }
  });

  test('reordered records', async () => {
    const [a, b] = [events[1] as Stored, events[2] as Stored];
    const ac = a.chain as NonNullable<AuditEvent['chain']>;
    const bc = b.chain as NonNullable<AuditEvent['chain']>;
    await put({ ...a, chain: { ...ac, index: bc.index } });
    await put({ ...b, chain: { ...bc, index: ac.index } });
    try {
      await expectLaneFailure(['reordered'], 1);
    } finally {
      await put(a);
      await put(b);
    }
  });

  test('a truncated lane (sealed events removed from its end)', async () => {
    await seal();
    const now = await laneEvents(lane);
    const cut = now.length - 2;
    const removed = now.slice(cut);
    for (const e of removed) await drop(e);
    try {
      // New appends (the verifier's own reads are audited) may land behind the cut: then the
      // gap shows as missing events instead; either way at the cut.
      await expectLaneFailure(['truncated', 'missing'], cut);
    } finally {
      for (const e of removed) await put(e);
    }
  });

  async function storedCheckpoint(seq: number): Promise<StoredCheckpoint & { id: string }> {
    const id = String(seq).padStart(12, '0');
    const { resource } = await checkpoints.item(id, id).read<StoredCheckpoint & { id: string }>();
    assert.ok(resource);
    const { seq: s, time, hash, note } = resource;
    return { id, seq: s, time, hash, note };
  }

  test('a checkpoint with a bad signature', async () => {
    const original = await storedCheckpoint(1);
    const lines = original.note.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`lane ${lane} `));
    const parts = (lines[at] as string).split(' ');
    lines[at] = `lane ${lane} ${Number(parts[2]) + 1} ${parts[3]}`;
    const note = lines.join('\n');
    await checkpoints.items.upsert({ ...original, note, hash: parseCheckpoint(note).hash });
    try {
      const { code, report } = await verify('--state', join(cwd, 'scratch-state.json'));
      assert.equal(code, 1);
      // Later checkpoints then link to one that cannot be trusted: reported as a gap after it.
      assert.deepEqual(report.checkpoints.failures[0], {
        seq: 1,
        kind: 'bad_signature',
        detail: report.checkpoints.failures[0]?.detail,
      });
      assert.ok(report.checkpoints.failures.slice(1).every((f) => f.kind === 'gap'));
    } finally {
      await checkpoints.items.upsert(original);
    }
  });

  test('a rollback to an older checkpoint, against the state file of the last run', async () => {
    const first = await verify();
    assert.equal(first.code, 0, JSON.stringify(first.report.checkpoints));
    const newest = first.report.checkpoints.latest?.seq ?? -1;
    const kept = await storedCheckpoint(newest);
    await checkpoints.item(kept.id, kept.id).delete();
    try {
      const { code, report } = await verify();
      assert.equal(code, 1);
      assert.ok(report.checkpoints.failures.some((f) => f.kind === 'rollback' && f.seq === newest));
    } finally {
      await checkpoints.items.create(kept);
    }
    assert.equal((await verify()).code, 0, 'restored, it verifies again');
  });

  test('the table output and the exit code 2 for a refused token', async () => {
    const table = await runWithIo(runAuditVerify, ['--url', host.url, '--token', auditor], { cwd });
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^lane \| events \| sealed \| status/);
    assert.match(table.out, /audit chain: OK/);
    const refused = await runWithIo(runAuditVerify, ['--url', host.url, '--token', agent], { cwd });
    assert.equal(refused.code, 2);
    assert.match(refused.err, /403/);
  });
});
