import type { AuditStore } from '../../store/audit-store.js';
import type { MaintenanceEvent } from '../event.js';
import { eventId } from '../event.js';
import { sealCheckpoint } from './checkpoint.js';
import type { CheckpointArchive, CheckpointStore } from './checkpoint-store.js';
import type { AuditExportPorts } from './export.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import { ChainedAuditLog, DEFAULT_LANES, type LaneLeaseOptions } from './lanes.js';
import { type CheckpointSigner, type Jwks, jwks } from './signers.js';

/** The chain's ports, chosen by the host. */
export interface AuditChainPorts {
  heads: LaneHeadStore;
  checkpoints: CheckpointStore;
  signer: CheckpointSigner;
  lanes?: number;
  /**
   * Reads lanes back from the audit store: with it the export routes serve verifiers, and
   * the lanes are leased (appends pay no head round trip; see LaneWriter in lanes.ts).
   */
  reader?: AuditLaneReader;
  /** Lane lease timing (lanes.ts); leases are used whenever `reader` is given. */
  leases?: Omit<LaneLeaseOptions, 'reader'>;
  /** The JWKS to serve (Key Vault: every enabled key version); default the signer's key. */
  jwks?: () => Promise<Jwks>;
  /**
   * The write-once copy of each checkpoint (Azure: BlobCheckpointArchive). A checkpoint that
   * cannot be archived, or whose archive copy already exists, fails the seal with stage
   * `archive`, which is audited below like any other seal failure.
   */
  archive?: CheckpointArchive;
}

export interface AuditChain {
  /** The audit store every use case writes through: appends are hash-linked in lanes. */
  store: AuditStore;
  /** Timer: seals a signed checkpoint over every lane and audits how that went. */
  seal(now: Date): Promise<void>;
  jwks(): Promise<Jwks>;
  /** What the export routes read, when the host gave a lane reader. */
  exportPorts?: AuditExportPorts;
  /** On shutdown: hands the lane leases back once the appends in flight have settled. */
  close(): Promise<void>;
}

/**
 * Lays the hash chain over an audit store without its callers knowing: appends go through
 * the lanes, searches read the store as before.
 */
export function chainAuditStore(store: AuditStore, ports: AuditChainPorts, newId: () => string): AuditChain {
  const lanes = ports.lanes ?? DEFAULT_LANES;
  const log = new ChainedAuditLog({
    sink: store,
    heads: ports.heads,
    lanes,
    ...(ports.reader ? { leases: { ...ports.leases, reader: ports.reader } } : {}),
  });
  const publicKeys = ports.jwks ?? (() => jwks([ports.signer]));
  const chained: AuditStore = {
    append: (event) => log.append(event),
    search: (filter, page) => store.search(filter, page),
  };
  return {
    store: chained,
    async seal(now) {
      // Leased lanes move their heads a little after their appends: seal what is confirmed.
      await log.flush();
      const sealed = await sealCheckpoint({
        heads: ports.heads,
        checkpoints: ports.checkpoints,
        signer: ports.signer,
        lanes,
        now: () => now,
        ...(ports.archive ? { archive: ports.archive } : {}),
      });
      const requestId = newId();
      const event: MaintenanceEvent = {
        id: eventId(requestId, 0),
        requestId,
        seq: 0,
        time: now.toISOString(),
        principal: null,
        transport: 'timer',
        connection: null,
        action: 'audit.checkpoint',
        kind: 'maintenance',
        task: 'audit.checkpoint',
        ok: sealed.ok,
        detail: sealed.ok
          ? { checkpoint: sealed.checkpoint.seq, signAttempts: sealed.signAttempts }
          : { stage: sealed.stage, signAttempts: sealed.signAttempts, error: sealed.error },
      };
      // The seal's own outcome is audited through the chain like any other event.
      await chained.append(event);
    },
    jwks: publicKeys,
    close: () => log.close(),
    ...(ports.reader
      ? {
          exportPorts: {
            lanes,
            reader: ports.reader,
            checkpoints: ports.checkpoints,
            heads: ports.heads,
            jwks: publicKeys,
          },
        }
      : {}),
  };
}
