import type { AuditEvent } from '../event.js';
import { eventHash, GENESIS_PREV } from './hash.js';
import type { LaneHead } from './lane-head-store.js';
import type { AuditLaneReader } from './lane-reader.js';

/**
 * Where a leased lane really ends: its head plus the events a lease holder stored beyond it
 * before it could move the head (it crashed, or its lease ran out first). Only a clean run
 * is taken: each next index holds exactly one event that matches its hash and links to the
 * one before. Whatever follows a gap, a doubled index or a break is left where it is, for
 * verify to report; the head never moves over it.
 */
export async function catchUp(
  lane: number,
  head: LaneHead | null,
  reader: AuditLaneReader,
): Promise<{ length: number; hash: string }> {
  let length = head?.length ?? 0;
  let hash = head?.hash ?? GENESIS_PREV;
  const beyond = await reader.read(lane, length, Number.MAX_SAFE_INTEGER);
  const byIndex = new Map<number, AuditEvent[]>();
  for (const e of beyond) {
    const c = e.chain;
    if (c?.lane === lane && Number.isSafeInteger(c.index))
      byIndex.set(c.index, [...(byIndex.get(c.index) ?? []), e]);
  }
  for (let at = byIndex.get(length); at?.length === 1; at = byIndex.get(length)) {
    const e = at[0] as AuditEvent;
    const c = e.chain as NonNullable<AuditEvent['chain']>;
    if (c.prev !== hash || eventHash(e, { lane, index: length, prev: hash }) !== c.hash) break;
    hash = c.hash;
    length++;
  }
  return { length, hash };
}
