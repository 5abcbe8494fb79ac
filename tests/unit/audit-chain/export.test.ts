import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AuditExportPorts,
  readCheckpointPage,
  readLanePage,
} from '../../../shared/audit/chain/export.js';
import { chainEvent, eventHash, GENESIS_PREV } from '../../../shared/audit/chain/hash.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';
import { sampleEvent } from './fixtures.js';

/** Paging of the export routes: every stored event reaches the verifier exactly once. */

function world(): {
  ports: AuditExportPorts;
  events: MemoryChainEventStore;
  checkpoints: MemoryCheckpointStore;
} {
  const events = new MemoryChainEventStore();
  const checkpoints = new MemoryCheckpointStore();
  const ports: AuditExportPorts = {
    lanes: 1,
    reader: events,
    checkpoints,
    heads: new MemoryLaneHeadStore(),
    jwks: async () => ({ keys: [] }),
  };
  return { ports, events, checkpoints };
}

function put(events: MemoryChainEventStore, index: number, id = `r-${index}`): AuditEvent {
  const e = chainEvent(sampleEvent(id, 0), { lane: 0, index, prev: GENESIS_PREV });
  events.replace(e);
  return e;
}

const same = (e: AuditEvent) => e;

async function pageAll(ports: AuditExportPorts, from: number, to: number, limit: number) {
  const ids: string[] = [];
  let pages = 0;
  for (let next: number | undefined = from; next !== undefined && next < to; pages++) {
    const page = await readLanePage(ports, same, { lane: 0, from: next, to, limit });
    ids.push(...page.events.map((e) => e.event.id));
    assert.ok(page.next === undefined || page.next > next, 'pages advance');
    next = page.next;
  }
  return { ids, pages };
}

describe('audit export paging', () => {
  it('pages a lane window by window, then reaches a far insertion in one read', async () => {
    const { ports, events } = world();
    for (let i = 0; i < 7; i++) put(events, i);
    put(events, 1_000_000, 'far');
    const { ids, pages } = await pageAll(ports, 0, Number.MAX_SAFE_INTEGER, 3);
    assert.deepEqual(ids, ['r-0:0', 'r-1:0', 'r-2:0', 'r-3:0', 'r-4:0', 'r-5:0', 'r-6:0', 'far:0']);
    assert.ok(pages <= 5, `${pages} pages`);
  });

  it('never splits the events of one index across pages', async () => {
    const { ports, events } = world();
    put(events, 0);
    put(events, 1);
    for (const id of ['a', 'b', 'c']) put(events, 2, id);
    put(events, 3);
    const first = await readLanePage(ports, same, { lane: 0, from: 0, to: 10, limit: 3 });
    assert.deepEqual(
      first.events.map((e) => e.event.id),
      ['r-0:0', 'r-1:0'],
      'the first window (indexes 0-2) holds 5 events: cut before index 2',
    );
    assert.equal(first.next, 2);
    const { ids } = await pageAll(ports, 0, 10, 3);
    assert.equal(ids.length, 6);
    assert.equal(new Set(ids).size, 6);
  });

  it('sends an event the reader sees masked with the hash of the stored one, outside the event', async () => {
    const { ports, events } = world();
    const stored = put(events, 0);
    const mask = (e: AuditEvent) => ({ ...e, statement: '***' }) as AuditEvent;
    const page = await readLanePage(ports, mask, { lane: 0, from: 0, to: 1, limit: 10 });
    const [item] = page.events;
    assert.ok(item);
    assert.equal((item.event as { statement: string }).statement, '***');
    const c = stored.chain as NonNullable<AuditEvent['chain']>;
    assert.equal(item.attestedHash, c.hash);
    // An edited store: the attestation is recomputed, so it no longer matches the chain.
    events.replace({ ...stored, status: 500 } as AuditEvent);
    const edited = await readLanePage(ports, mask, { lane: 0, from: 0, to: 1, limit: 10 });
    assert.notEqual(edited.events[0]?.attestedHash, c.hash);
    assert.equal(edited.events[0]?.attestedHash, eventHash({ ...stored, status: 500 } as AuditEvent, c));
    // Unmasked events carry no attestation: the verifier rehashes them itself.
    const plain = await readLanePage(ports, same, { lane: 0, from: 0, to: 1, limit: 10 });
    assert.equal(plain.events[0]?.attestedHash, undefined);
  });

  it('pages checkpoints from a sequence number', async () => {
    const { ports, checkpoints } = world();
    for (let seq = 0; seq < 5; seq++) await checkpoints.append({ seq, time: 't', hash: 'h', note: 'n' });
    const page = await readCheckpointPage(ports, { from: 1, limit: 2 });
    assert.deepEqual(
      page.checkpoints.map((c) => c.seq),
      [1, 2],
    );
    assert.equal(page.next, 3);
    assert.equal((await readCheckpointPage(ports, { from: 3, limit: 2 })).next, undefined);
  });
});
