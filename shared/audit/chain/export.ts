import type { AuditEvent } from '../event.js';
import type { CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';
import { eventHash } from './hash.js';
import type { LaneHeadStore } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';
import type { Jwks } from './signers.js';

/** What the audit export routes read: the chain's stores, read-only, and the public keys. */
export interface AuditExportPorts {
  lanes: number;
  reader: AuditLaneReader;
  checkpoints: CheckpointStore;
  heads: LaneHeadStore;
  jwks(): Promise<Jwks>;
}

/** Page bounds of the export routes. */
export const EXPORT_EVENTS_MAX = 1000;
export const EXPORT_CHECKPOINTS_MAX = 500;

/**
 * An event as exported. When the reader's masking posture changed it (a statement with a
 * card number a steward typed), the reader cannot recompute its hash; the gateway then
 * recomputes it over the stored event and sends it beside the event as `attestedHash`. An
 * edited store still shows: the recomputed hash differs from the chain's. Only what masking
 * hides is taken on the gateway's word, and the verifier counts such events. The attestation
 * sits outside the event so that nothing written into a stored event can pose as one.
 */
export interface ExportedEvent {
  event: AuditEvent;
  attestedHash?: string;
}

export interface LaneEventsPage {
  lane: number;
  events: ExportedEvent[];
  /** Where the next page starts (a chain index); absent when [from, to) is exhausted. */
  next?: number;
}

/**
 * Events of a lane with index in [from, to), one window of `limit` indexes at a time, cut at
 * about `limit` events without splitting one index across pages (an index holding several
 * events is itself a finding, and the verifier must see all of them together). An empty window
 * is followed by the rest of the range in one read, so asking past a lane's end (where an
 * insertion would sit, however far) costs one query, not one per window.
 */
export async function readLanePage(
  ports: AuditExportPorts,
  mask: (event: AuditEvent) => AuditEvent,
  query: { lane: number; from: number; to: number; limit: number },
): Promise<LaneEventsPage> {
  const windowEnd = Math.min(query.to, query.from + query.limit);
  let found = await ports.reader.read(query.lane, query.from, windowEnd);
  let next: number | undefined = windowEnd < query.to ? windowEnd : undefined;
  if (found.length === 0 && next !== undefined) {
    found = await ports.reader.read(query.lane, windowEnd, query.to);
    next = undefined;
  }
  let cut = found.length;
  if (found.length > query.limit) {
    const boundary = found[query.limit]?.chain?.index ?? query.to;
    cut = found.findIndex((e) => (e.chain?.index ?? -1) >= boundary);
    // One index holding more than a page: send it whole rather than loop forever.
    if (cut === 0) cut = found.findIndex((e) => (e.chain?.index ?? -1) > boundary);
    if (cut < 0) cut = found.length;
    next = found[cut]?.chain?.index ?? next;
  }
  const events = found.slice(0, cut).map((stored) => exportEvent(stored, mask));
  return { lane: query.lane, events, ...(next === undefined ? {} : { next }) };
}

function exportEvent(stored: AuditEvent, mask: (event: AuditEvent) => AuditEvent): ExportedEvent {
  const masked = mask(stored);
  if (JSON.stringify(masked) === JSON.stringify(stored) || !stored.chain) return { event: stored };
  const c = stored.chain;
  return { event: masked, attestedHash: eventHash(stored, { lane: c.lane, index: c.index, prev: c.prev }) };
}

export interface CheckpointsPage {
  checkpoints: StoredCheckpoint[];
  next?: number;
}

export async function readCheckpointPage(
  ports: AuditExportPorts,
  query: { from: number; limit: number },
): Promise<CheckpointsPage> {
  const page = await ports.checkpoints.list(query.from, query.limit + 1);
  const checkpoints = page.slice(0, query.limit);
  const more = page[query.limit];
  return { checkpoints, ...(more ? { next: more.seq } : {}) };
}

export interface LaneHeadsView {
  lanes: number;
  heads: Array<{ lane: number; length: number; hash: string } | null>;
}

export async function readHeads(ports: AuditExportPorts): Promise<LaneHeadsView> {
  const heads = await Promise.all(Array.from({ length: ports.lanes }, (_, lane) => ports.heads.get(lane)));
  return {
    lanes: ports.lanes,
    heads: heads.map((h) => (h ? { lane: h.lane, length: h.length, hash: h.hash } : null)),
  };
}
