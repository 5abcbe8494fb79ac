import { randomUUID } from 'node:crypto';
import type { Container, CosmosClient } from '@azure/cosmos';
import type { CheckpointStore, StoredCheckpoint } from '../../../shared/audit/chain/checkpoint-store.js';
import { CosmosAuditLaneReader } from '../../../shared/audit/chain/cosmos-audit-lane-reader.js';
import { CosmosCheckpointStore } from '../../../shared/audit/chain/cosmos-checkpoint-store.js';
import { CosmosLaneHeadStore } from '../../../shared/audit/chain/cosmos-lane-head-store.js';
import { ensureChainContainers } from '../../../shared/audit/chain/cosmos-layout.js';
import type { LaneHeadStore } from '../../../shared/audit/chain/lane-head-store.js';
import type { AuditLaneReader } from '../../../shared/audit/chain/lane-reader.js';
import type { AuditEventSink } from '../../../shared/audit/chain/lanes.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { CosmosAuditStore } from '../../../shared/store/cosmos-audit-store.js';
import { ensureContainers } from '../../../shared/store/cosmos-client.js';
import { MemoryChainEventStore } from '../../support/memory-chain-event-store.js';
import { MemoryCheckpointStore } from '../../support/memory-checkpoint-store.js';
import { MemoryLaneHeadStore } from '../../support/memory-lane-head-store.js';

/** Everything a chain needs, plus what an attacker with data-plane rights can do to it. */
export interface ChainWorld {
  sink: AuditEventSink;
  reader: AuditLaneReader;
  heads: LaneHeadStore;
  checkpoints: CheckpointStore;
  tamper: {
    replace(event: AuditEvent): Promise<void>;
    remove(event: AuditEvent): Promise<void>;
    insert(event: AuditEvent): Promise<void>;
    setHead(lane: number, next: { length: number; hash: string }): Promise<void>;
    replaceCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
    removeCheckpoint(seq: number): Promise<void>;
  };
  cleanup(): Promise<void>;
}

export function memoryWorld(options: { latencyMs?: number } = {}): ChainWorld {
  const events = new MemoryChainEventStore(options);
  const heads = new MemoryLaneHeadStore(options);
  const checkpoints = new MemoryCheckpointStore();
  return {
    sink: events,
    reader: events,
    heads,
    checkpoints,
    tamper: {
      replace: async (e) => events.replace(e),
      remove: async (e) => events.remove(e.id),
      insert: async (e) => events.replace(e),
      setHead: async (lane, next) => heads.force(lane, next),
      replaceCheckpoint: async (c) => checkpoints.replace(c),
      removeCheckpoint: async (seq) => checkpoints.remove(seq),
    },
    cleanup: async () => {},
  };
}

const day = (e: AuditEvent) => e.time.slice(0, 10);

/** A fresh database on the emulator, with the real audit container and adapters. */
export async function cosmosWorld(client: CosmosClient): Promise<ChainWorld> {
  const database = await ensureContainers(client, `chain-${randomUUID()}`);
  await ensureChainContainers(database);
  const audit: Container = database.container('audit');
  const lanes = database.container('auditLanes');
  const cps = database.container('auditCheckpoints');
  const store = new CosmosAuditStore(audit);
  let deleted: Promise<unknown> | undefined;
  return {
    // The audit store port takes records today and events after the pipeline change.
    sink: { append: (e) => store.append(e as never) },
    reader: new CosmosAuditLaneReader(audit),
    heads: new CosmosLaneHeadStore(lanes),
    checkpoints: new CosmosCheckpointStore(cps),
    tamper: {
      replace: async (e) => {
        await audit.item(e.id, day(e)).replace({ ...e, day: day(e) });
      },
      remove: async (e) => {
        await audit.item(e.id, day(e)).delete();
      },
      insert: async (e) => {
        await audit.items.create({ ...e, day: day(e) });
      },
      setHead: async (lane, next) => {
        await lanes.items.upsert({ id: `lane-${lane}`, lane, ...next });
      },
      replaceCheckpoint: async (c) => {
        const id = String(c.seq).padStart(12, '0');
        await cps.items.upsert({ id, ...c });
      },
      removeCheckpoint: async (seq) => {
        const id = String(seq).padStart(12, '0');
        await cps.item(id, id).delete();
      },
    },
    cleanup: async () => {
      deleted ??= database.delete();
      await deleted;
    },
  };
}
