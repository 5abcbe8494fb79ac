import { createHash, verify as verifySignature } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson } from '../canonical.js';
import type { CheckpointArchive, CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';
import { GENESIS_PREV, isHexHash, merkleTreeHash } from './hash.js';
import type { LaneHeadStore } from './lane-head-store.js';
import { type CheckpointPublicJwk, type CheckpointSigner, noteKeyId, publicKeyOf } from './signers.js';

/**
 * A checkpoint is a C2SP signed note. The text (ending in a newline) is:
 *
 *   <origin>
 *   seq <n>                  0, 1, 2, ... with no gaps
 *   time <ISO-8601 UTC>
 *   prev <hex>               hash of the previous checkpoint's text (GENESIS_PREV for seq 0)
 *   lanes <count>
 *   root <hex>               RFC 6962 Merkle tree hash over the lane entries below
 *   lane <i> <length> <hex>  one line per lane, i = 0 .. count-1: its length and head hash
 *
 * then a blank line and one or more signature lines `— <key name> <base64(keyId || sig)>`,
 * where sig is ES256 (raw r || s) over the text's UTF-8 bytes. The Merkle entry of a lane is
 * the canonical JSON of {"hash","lane","length"}. A checkpoint's hash is SHA-256 of its text,
 * so the link to the previous one does not depend on its (randomised) ECDSA signatures.
 */

export interface LaneEntry {
  lane: number;
  length: number;
  hash: string;
}

export interface CheckpointBody {
  origin: string;
  seq: number;
  time: string;
  prev: string;
  root: string;
  lanes: LaneEntry[];
}

export interface NoteSignature {
  keyName: string;
  keyId: Buffer;
  signature: Buffer;
}

export interface ParsedCheckpoint extends CheckpointBody {
  text: string;
  hash: string;
  signatures: NoteSignature[];
}

const ORIGIN = /^[A-Za-z0-9._/:-]{1,200}$/;
const DASH = '\u2014';

export function laneRoot(lanes: readonly LaneEntry[]): string {
  const entries = lanes.map((l) =>
    Buffer.from(canonicalJson({ hash: l.hash, lane: l.lane, length: l.length }), 'utf8'),
  );
  return merkleTreeHash(entries).toString('hex');
}

export function checkpointText(body: Omit<CheckpointBody, 'root'>): string {
  if (!ORIGIN.test(body.origin)) throw new TypeError('checkpoint origin must be 1-200 of [A-Za-z0-9._/:-]');
  const lines = [
    body.origin,
    `seq ${body.seq}`,
    `time ${body.time}`,
    `prev ${body.prev}`,
    `lanes ${body.lanes.length}`,
    `root ${laneRoot(body.lanes)}`,
    ...body.lanes.map((l) => `lane ${l.lane} ${l.length} ${l.hash}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
}

const UINT = /^(0|[1-9][0-9]{0,14})$/;

function uint(value: string | undefined, what: string): number {
  if (value === undefined || !UINT.test(value)) throw new CheckpointFormatError(`bad ${what}`);
  return Number(value);
}

function hex(value: string | undefined, what: string): string {
  if (!isHexHash(value)) throw new CheckpointFormatError(`bad ${what}`);
  return value;
}

/** Strict parse: anything but the exact format above is refused (no lenient readings). */
export function parseCheckpoint(note: string): ParsedCheckpoint {
  if (note.length > 64 * 1024) throw new CheckpointFormatError('note too long');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the note format forbids control characters
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(note)) throw new CheckpointFormatError('control character');
  const split = note.indexOf('\n\n');
  if (split < 0) throw new CheckpointFormatError('no signature block');
  const text = note.slice(0, split + 1);
  const sigBlock = note.slice(split + 2);
  if (!sigBlock.endsWith('\n')) throw new CheckpointFormatError('signature block must end in a newline');
  const signatures = sigBlock
    .slice(0, -1)
    .split('\n')
    .map((line): NoteSignature => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
      if (!m) throw new CheckpointFormatError('bad signature line');
      const raw = Buffer.from(m[2] as string, 'base64');
      if (raw.length < 5) throw new CheckpointFormatError('signature too short');
      return { keyName: m[1] as string, keyId: raw.subarray(0, 4), signature: raw.subarray(4) };
    });
  const lines = text.slice(0, -1).split('\n');
  const [origin, seqLine, timeLine, prevLine, lanesLine, rootLine, ...laneLines] = lines;
  if (origin === undefined || !ORIGIN.test(origin)) throw new CheckpointFormatError('bad origin');
  const field = (line: string | undefined, name: string) => {
    if (line === undefined || !line.startsWith(`${name} `))
      throw new CheckpointFormatError(`missing ${name}`);
    return line.slice(name.length + 1);
  };
  const seq = uint(field(seqLine, 'seq'), 'seq');
  const time = field(timeLine, 'time');
  const ms = Date.parse(time);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== time) throw new CheckpointFormatError('bad time');
  const prev = hex(field(prevLine, 'prev'), 'prev');
  const count = uint(field(lanesLine, 'lanes'), 'lanes');
  const root = hex(field(rootLine, 'root'), 'root');
  if (laneLines.length !== count) throw new CheckpointFormatError('lane count does not match');
  const lanes = laneLines.map((line, i): LaneEntry => {
    const parts = line.split(' ');
    if (parts.length !== 4 || parts[0] !== 'lane') throw new CheckpointFormatError('bad lane line');
    const lane = uint(parts[1], 'lane');
    if (lane !== i) throw new CheckpointFormatError('lanes out of order');
    return { lane, length: uint(parts[2], 'lane length'), hash: hex(parts[3], 'lane hash') };
  });
  return { origin, seq, time, prev, root, lanes, text, hash: textHash(text), signatures };
}

function base64Signature(keyId: Uint8Array, signature: Uint8Array): string {
  return Buffer.concat([keyId, signature]).toString('base64');
}

/** Signs a checkpoint text into a complete note. */
export async function signNote(text: string, signer: CheckpointSigner): Promise<string> {
  const signature = await signer.sign(Buffer.from(text, 'utf8'));
  const keyId = noteKeyId(signer.keyName, await signer.publicJwk());
  return `${text}\n${DASH} ${signer.keyName} ${base64Signature(keyId, signature)}\n`;
}

/**
 * True when at least one signature line verifies under a trusted key. Lines from unknown
 * keys are ignored, as signed notes intend (a note may carry cosignatures).
 */
export function hasValidSignature(parsed: ParsedCheckpoint, keys: readonly CheckpointPublicJwk[]): boolean {
  const data = Buffer.from(parsed.text, 'utf8');
  for (const sig of parsed.signatures) {
    for (const key of keys) {
      if (!noteKeyId(sig.keyName, key).equals(sig.keyId)) continue;
      if (sig.signature.length !== 64) continue;
      try {
        if (
          verifySignature('sha256', data, { key: publicKeyOf(key), dsaEncoding: 'ieee-p1363' }, sig.signature)
        ) {
          return true;
        }
      } catch {
        // a malformed key or signature simply does not verify
      }
    }
  }
  return false;
}

export interface SealOptions {
  heads: LaneHeadStore;
  checkpoints: CheckpointStore;
  signer: CheckpointSigner;
  lanes: number;
  /** Default `agentgate/audit`. */
  origin?: string;
  now?: () => Date;
  /** Signing attempts before the seal fails. Default 3. */
  signAttempts?: number;
  backoff?: (attempt: number) => Promise<void>;
  /** Optional immutable second copy; a failure to archive fails the seal (and is reported). */
  archive?: CheckpointArchive;
}

export type SealResult =
  | { ok: true; checkpoint: StoredCheckpoint; signAttempts: number }
  | { ok: false; stage: 'read' | 'sign' | 'store' | 'archive'; signAttempts: number; error: string };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Seals one checkpoint over every lane head. Signing is retried (a Key Vault hiccup should
 * not cost a checkpoint); any failure is returned, never thrown, so the timer that calls this
 * can audit it as a maintenance event. Heads are read one by one while appends go on; each is
 * a true prefix of its lane, which is all a checkpoint claims.
 */
export async function sealCheckpoint(options: SealOptions): Promise<SealResult> {
  const attempts = options.signAttempts ?? 3;
  const backoff = options.backoff ?? ((n: number) => sleep(200 * 2 ** n));
  let text: string;
  try {
    const latest = await options.checkpoints.latest();
    const heads = await Promise.all(
      Array.from({ length: options.lanes }, (_, lane) => options.heads.get(lane)),
    );
    const lanes = heads.map((h, lane) => ({ lane, length: h?.length ?? 0, hash: h?.hash ?? GENESIS_PREV }));
    const previous = latest === null ? null : parseCheckpoint(latest.note);
    text = checkpointText({
      origin: options.origin ?? 'agentgate/audit',
      seq: previous === null ? 0 : previous.seq + 1,
      time: (options.now ?? (() => new Date()))().toISOString(),
      prev: previous === null ? GENESIS_PREV : previous.hash,
      lanes,
    });
  } catch (e) {
    return { ok: false, stage: 'read', signAttempts: 0, error: message(e) };
  }
  let note: string | undefined;
  let lastError: unknown;
  let used = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    used = attempt;
    try {
      note = await signNote(text, options.signer);
      break;
    } catch (e) {
      lastError = e;
      if (attempt < attempts) await backoff(attempt);
    }
  }
  if (note === undefined) return { ok: false, stage: 'sign', signAttempts: used, error: message(lastError) };
  const parsed = parseCheckpoint(note);
  const checkpoint: StoredCheckpoint = { seq: parsed.seq, time: parsed.time, hash: parsed.hash, note };
  try {
    const write = await options.checkpoints.append(checkpoint);
    if (!write.ok) {
      return {
        ok: false,
        stage: 'store',
        signAttempts: used,
        error: `checkpoint ${parsed.seq} was sealed concurrently`,
      };
    }
  } catch (e) {
    return { ok: false, stage: 'store', signAttempts: used, error: message(e) };
  }
  if (options.archive) {
    try {
      await options.archive.put(checkpoint);
    } catch (e) {
      return { ok: false, stage: 'archive', signAttempts: used, error: message(e) };
    }
  }
  return { ok: true, checkpoint, signAttempts: used };
}
