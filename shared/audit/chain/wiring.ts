import type { AuditStore } from '../../store/audit-store.js';
import type { GatewayLogEvent } from '../../use-cases/deps.js';
import type { MaintenanceEvent } from '../event.js';
import { eventId } from '../event.js';
import { ArchiveBackfill, type BackfillResult } from './archive-backfill.js';
import { sealCheckpoint } from './checkpoint.js';
import type { CheckpointArchive, CheckpointStore } from './checkpoint-store.js';
import type { AuditExportPorts } from './export.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import { ChainedAuditLog, DEFAULT_LANES, type LaneLeaseOptions } from './lanes.js';
import { DEFAULT_VERIFY_EVERY_MS, runPeriodicVerification } from './periodic-verify.js';
import { type CheckpointSigner, type Jwks, jwks } from './signers.js';
import type { VerifierStateStore } from './verifier-state.js';

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
  /** Where the periodic verifier keeps its window; with `reader` it turns the timer on. */
  verifierState?: VerifierStateStore;
  /** Least time between verification runs (AGENTGATE_AUDIT_VERIFY_MINUTES); default 15 minutes. */
  verifyEveryMs?: number;
}

export interface AuditChain {
  /** The audit store every use case writes through: appends are hash-linked in lanes. */
  store: AuditStore;
  /** Timer: seals a signed checkpoint over every lane and audits how that went. */
  seal(now: Date): Promise<void>;
  jwks(): Promise<Jwks>;
  /** Timer: verifies the window since the last verified checkpoint and audits the result. */
  verify?: (now: Date) => Promise<void>;
  /** What the export routes read, when the host gave a lane reader. */
  exportPorts?: AuditExportPorts;
  /** On shutdown: hands the lane leases back once the appends in flight have settled. */
  close(): Promise<void>;
  /** Moves leased lanes' heads over every append confirmed so far (tests verify at rest after it). */
  flush(): Promise<void>;
}

/**
 * Lays the hash chain over an audit store without its callers knowing: appends go through
 * the lanes, searches read the store as before.
 */
export function chainAuditStore(
  store: AuditStore,
  ports: AuditChainPorts,
  newId: () => string,
  log: (event: GatewayLogEvent) => void = () => {},
): AuditChain {
  const lanes = ports.lanes ?? DEFAULT_LANES;
  const chainLog = new ChainedAuditLog({
    sink: store,
    heads: ports.heads,
    lanes,
    ...(ports.reader ? { leases: { ...ports.leases, reader: ports.reader } } : {}),
  });
  const publicKeys = ports.jwks ?? (() => jwks([ports.signer]));
  const chained: AuditStore = {
    append: (event) => chainLog.append(event),
    search: (filter, page) => store.search(filter, page),
  };
  const { reader, verifierState } = ports;
  const keys = async () => (await publicKeys()).keys;
  const backfill = ports.archive ? new ArchiveBackfill(ports.archive, ports.checkpoints, keys) : undefined;
  const sealing: Sealing = {
    ports,
    lanes,
    chained,
    chainLog,
    newId,
    log,
    ...(backfill ? { backfill } : {}),
  };
  return {
    store: chained,
    seal: (now) => sealAndAudit(sealing, now),
    jwks: publicKeys,
    close: () => chainLog.close(),
    flush: () => chainLog.flush(),
    ...(reader && verifierState
      ? {
          verify: async (now: Date) => {
            await runPeriodicVerification(
              {
                lanes,
                reader,
                checkpoints: ports.checkpoints,
                heads: ports.heads,
                state: verifierState,
                keys,
                everyMs: ports.verifyEveryMs ?? DEFAULT_VERIFY_EVERY_MS,
                ...(ports.archive ? { archive: ports.archive } : {}),
              },
              { append: (e) => chained.append(e), newId, log },
              now,
            );
          },
        }
      : {}),
    ...(reader
      ? {
          exportPorts: {
            lanes,
            reader,
            checkpoints: ports.checkpoints,
            heads: ports.heads,
            jwks: publicKeys,
          },
        }
      : {}),
  };
}

interface Sealing {
  ports: AuditChainPorts;
  lanes: number;
  chained: AuditStore;
  chainLog: ChainedAuditLog;
  newId: () => string;
  log: (event: GatewayLogEvent) => void;
  backfill?: ArchiveBackfill;
}

/**
 * Archives what earlier seals could not (bounded), seals a checkpoint, and audits both
 * through the chain like any other event; an archive failure and a backfill are also logged.
 */
async function sealAndAudit(s: Sealing, now: Date): Promise<void> {
  const { ports } = s;
  // Leased lanes move their heads a little after their appends: seal what is confirmed.
  await s.chainLog.flush();
  const backfilled = s.backfill ? await backfillArchive(ports.checkpoints, s.backfill) : undefined;
  const sealed = await sealCheckpoint({
    heads: ports.heads,
    checkpoints: ports.checkpoints,
    signer: ports.signer,
    lanes: s.lanes,
    now: () => now,
    ...(ports.archive ? { archive: ports.archive } : {}),
  });
  if (sealed.ok) s.backfill?.noteArchived(sealed.checkpoint.seq);
  const requestId = s.newId();
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
    detail: {
      ...(sealed.ok
        ? { checkpoint: sealed.checkpoint.seq, signAttempts: sealed.signAttempts }
        : { stage: sealed.stage, signAttempts: sealed.signAttempts, error: sealed.error }),
      ...(backfilled ? { archiveBackfill: backfilled } : {}),
    },
  };
  const log = (level: 'error' | 'warn', message: string) =>
    s.log({ level, requestId, code: 'audit_archive', status: 503, message, cause: undefined });
  if (!sealed.ok && sealed.stage === 'archive')
    log('error', `the checkpoint was sealed but not archived (backfilled at a later seal): ${sealed.error}`);
  if (backfilled?.backfilled.length)
    log('warn', `backfilled checkpoints ${backfilled.backfilled.join(', ')} into the archive`);
  if (backfilled?.failed)
    log(
      'error',
      `archive backfill stopped at checkpoint ${backfilled.failed.seq}: ${backfilled.failed.error}`,
    );
  await s.chained.append(event);
}

/** One bounded backfill tick; only worth recording when it copied something or failed. */
async function backfillArchive(
  checkpoints: CheckpointStore,
  backfill: ArchiveBackfill,
): Promise<BackfillResult | undefined> {
  let result: BackfillResult;
  try {
    const latest = await checkpoints.latest();
    if (latest === null) return undefined;
    result = await backfill.run(latest.seq);
  } catch (e) {
    return {
      checked: 0,
      backfilled: [],
      failed: { seq: -1, error: e instanceof Error ? e.message : String(e) },
    };
  }
  return result.backfilled.length > 0 || result.failed ? result : undefined;
}
