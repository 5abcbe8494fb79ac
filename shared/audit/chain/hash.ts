import { createHash, hash } from 'node:crypto';
import { canonicalCopyWithout, canonicalJsonWithout } from '../canonical.js';
import type { AuditEvent } from '../event.js';

/**
 * Hashes of the audit chain, with RFC 6962 domain separation: a leaf is SHA-256(0x00 || data),
 * an inner node SHA-256(0x01 || left || right), so no leaf can pass for a node or back.
 *
 * What an event's leaf hashes (the "leaf input"), as RFC 8785 canonical JSON:
 *
 *   { "v": 1, "lane": L, "index": I, "prev": P, "event": E }
 *
 * where E is the event as stored (JSON round-tripped, so absent and `undefined` fields agree)
 * WITHOUT its `chain` field, L and I its lane and position in that lane, and P the hex hash of
 * the event before it in the lane (GENESIS_PREV for index 0). Binding L, I and P into the
 * hashed value means an event moved to another lane, to another index, or put after another
 * predecessor no longer matches its own hash: reordering and lane moves are caught by the
 * event itself, not only by the links around it. `v` lets a later format coexist.
 */

export const CHAIN_FORMAT_VERSION = 1;

/** `prev` of every lane's first event. */
export const GENESIS_PREV = '0'.repeat(64);

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
const HEX_HASH = /^[0-9a-f]{64}$/;

export interface ChainPosition {
  lane: number;
  index: number;
  prev: string;
}

export type ChainField = NonNullable<AuditEvent['chain']>;

export function isHexHash(value: unknown): value is string {
  return typeof value === 'string' && HEX_HASH.test(value);
}

/** SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Largest power of two strictly below n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * RFC 6962 section 2.1 Merkle Tree Hash over a list of entries: MTH({}) = SHA-256(""),
 * MTH({d}) = leaf(d), otherwise node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of
 * two below n.
 */
export function merkleTreeHash(entries: readonly Uint8Array[]): Buffer {
  if (entries.length === 0) return createHash('sha256').digest();
  const hashes = entries.map((e) => leafHash(e));
  const mth = (from: number, to: number): Buffer => {
    const n = to - from;
    if (n === 1) return hashes[from] as Buffer;
    const k = splitPoint(n);
    return nodeHash(mth(from, from + k), mth(from + k, to));
  };
  return mth(0, hashes.length);
}

/**
 * The leaf input's text, composed around the event's canonical text: its members in JCS order
 * (event, index, lane, prev, v) so that it is byte for byte the canonical JSON of the whole
 * value. The canonical form drops `chain` and agrees with the event's JSON round trip, so the
 * stored form need not be built to hash it.
 */
function leafText(eventText: string, position: ChainPosition): string {
  const { lane, index, prev } = position;
  if (!Number.isSafeInteger(lane) || !Number.isSafeInteger(index))
    throw new TypeError('a chain position is two integers');
  return `{"event":${eventText},"index":${index},"lane":${lane},"prev":${JSON.stringify(prev)},"v":${CHAIN_FORMAT_VERSION}}`;
}

/** The exact bytes an event's leaf hashes; see the module comment. */
export function eventLeafInput(event: AuditEvent, position: ChainPosition): Buffer {
  return Buffer.from(leafText(canonicalJsonWithout(event, 'chain'), position), 'utf8');
}

/** Hex SHA-256(0x00 || text as UTF-8): NUL is one byte in UTF-8, so it is the leaf hash. */
function leafHashOfText(text: string): string {
  return hash('sha256', `\u0000${text}`, 'hex');
}

/** Hex leaf hash of an event at a position. */
export function eventHash(event: AuditEvent, position: ChainPosition): string {
  return leafHashOfText(leafText(canonicalJsonWithout(event, 'chain'), position));
}

/** The event with its chain field set for a position (the stored form plus `chain`). */
export function chainEvent(event: AuditEvent, position: ChainPosition): AuditEvent {
  // One serialisation serves the hash and the stored copy (parsed back from it, so the copy is
  // exactly what was hashed and shares nothing with the caller's object): this runs on every append.
  const { text, copy: stored } = canonicalCopyWithout(event, 'chain');
  stored.chain = { ...position, hash: leafHashOfText(leafText(text, position)) };
  return stored;
}
