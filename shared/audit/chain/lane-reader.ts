import type { AuditEvent } from '../event.js';

/**
 * Reads one lane of the chain back for verification. Verification trusts nothing it reads:
 * the reader only has to return what is stored, tampered or not.
 */
export interface AuditLaneReader {
  /**
   * Every stored event whose `chain.lane` is `lane` and `chain.index` is in [from, to),
   * ordered by index. Several events at one index (an insertion) are all returned.
   */
  read(lane: number, from: number, to: number): Promise<AuditEvent[]>;
  /**
   * Only a reader over a gateway's export routes: the hash the gateway recomputed over the
   * stored event, for an event it had to mask for this reader (see `export.ts`). Readers of
   * a store never implement it, so nothing in a stored event can stand in for its content.
   */
  attestedHash?(event: AuditEvent): string | undefined;
}

/** Sorts by chain index, then id, so equal indexes come back in a stable order. */
export function byChainIndex(a: AuditEvent, b: AuditEvent): number {
  const d = (a.chain?.index ?? -1) - (b.chain?.index ?? -1);
  if (d !== 0) return d;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
