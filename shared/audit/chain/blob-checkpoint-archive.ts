import { type ContainerClient, RestError } from '@azure/storage-blob';
import { parseCheckpoint } from './checkpoint.js';
import type { CheckpointArchive, StoredCheckpoint } from './checkpoint-store.js';

/** The largest note parseCheckpoint accepts; an archived blob is never read past it. */
const MAX_NOTE_BYTES = 64 * 1024;

/**
 * Blob name of checkpoint `seq`: zero-padded to the 15 digits a note's seq may have, so a
 * listing of the container is in sequence order.
 */
export function archiveBlobName(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > 999_999_999_999_999) {
    throw new RangeError(`bad checkpoint seq ${seq}`);
  }
  return `checkpoints/${String(seq).padStart(15, '0')}.note`;
}

/** A put that would replace an archived checkpoint: never allowed, whatever the content. */
export class CheckpointArchiveConflictError extends Error {
  override name = 'CheckpointArchiveConflictError';
  constructor(readonly seq: number) {
    super(`checkpoint ${seq} is already archived: the archive refuses to overwrite it`);
  }
}

/** An archived blob that is not a checkpoint note (or not the one its name says). */
export class CheckpointArchiveFormatError extends Error {
  override name = 'CheckpointArchiveFormatError';
}

/**
 * The write-once checkpoint copy in a Blob container (in Azure under a time-based
 * immutability policy). Each checkpoint is one blob holding exactly its signed note, created
 * with `If-None-Match: *`: the service, not this code, refuses a second write of the same
 * name, so two racing sealers or a replayed put cannot replace a copy even before the
 * immutability policy is locked. The note is the only content; seq, time and hash are
 * read back from it, as verify trusts nothing else.
 */
export class BlobCheckpointArchive implements CheckpointArchive {
  constructor(private readonly container: ContainerClient) {}

  async put(checkpoint: StoredCheckpoint): Promise<void> {
    const parsed = parseCheckpoint(checkpoint.note);
    if (parsed.seq !== checkpoint.seq || parsed.hash !== checkpoint.hash) {
      throw new CheckpointArchiveFormatError('checkpoint fields disagree with its note');
    }
    const body = Buffer.from(checkpoint.note, 'utf8');
    const blob = this.container.getBlockBlobClient(archiveBlobName(checkpoint.seq));
    try {
      await blob.upload(body, body.length, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
      });
    } catch (e) {
      // 409 BlobAlreadyExists from the condition; an immutable blob answers 409 as well.
      if (e instanceof RestError && (e.statusCode === 409 || e.statusCode === 412)) {
        throw new CheckpointArchiveConflictError(checkpoint.seq);
      }
      throw e;
    }
  }

  async get(seq: number): Promise<StoredCheckpoint | null> {
    const blob = this.container.getBlobClient(archiveBlobName(seq));
    let bytes: Buffer;
    try {
      // One byte past the limit tells an oversized blob from one exactly at it.
      const response = await blob.download(0, MAX_NOTE_BYTES + 1);
      bytes = await readCapped(response.readableStreamBody, MAX_NOTE_BYTES + 1);
    } catch (e) {
      if (e instanceof RestError && e.statusCode === 404) return null;
      // An empty blob has no range to serve.
      if (e instanceof RestError && e.statusCode === 416) {
        throw new CheckpointArchiveFormatError(`archived checkpoint ${seq} is empty`);
      }
      throw e;
    }
    if (bytes.length > MAX_NOTE_BYTES) {
      throw new CheckpointArchiveFormatError(`archived checkpoint ${seq} is too large`);
    }
    let note: string;
    let parsed: ReturnType<typeof parseCheckpoint>;
    try {
      note = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      parsed = parseCheckpoint(note);
    } catch (e) {
      throw new CheckpointArchiveFormatError(
        `archived checkpoint ${seq} is not a note: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (parsed.seq !== seq) {
      throw new CheckpointArchiveFormatError(`blob of checkpoint ${seq} holds checkpoint ${parsed.seq}`);
    }
    return { seq, time: parsed.time, hash: parsed.hash, note };
  }
}

/** The body, but never more than `cap` bytes of it in memory. */
async function readCapped(body: NodeJS.ReadableStream | undefined, cap: number): Promise<Buffer> {
  if (!body) throw new CheckpointArchiveFormatError('archived checkpoint has no body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    chunks.push(buf);
    size += buf.length;
    if (size >= cap) break;
  }
  return Buffer.concat(chunks).subarray(0, cap);
}
