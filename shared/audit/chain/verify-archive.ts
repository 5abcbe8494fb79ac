import { createHash } from 'node:crypto';
import { CheckpointArchiveFormatError } from './blob-checkpoint-archive.js';
import type { CheckpointArchive, CheckpointStore } from './checkpoint-store.js';
import type { CheckpointFailure } from './verify.js';

/** SHA-256 of a whole note, signatures included: what store and archive copies must share. */
export function noteDigest(note: string): string {
  return createHash('sha256').update(note, 'utf8').digest('hex');
}

/**
 * Compares the store's checkpoints with the write-once archive. Each stored checkpoint must
 * be archived byte for byte (ECDSA signatures are randomised, so an equal note is the same
 * seal, not a re-signing), and the archive must hold nothing past the store's newest: a
 * checkpoint there that the store lacks means the store's newest were removed, a rollback
 * the state file cannot see on a first run. On a live gateway the newest stored checkpoint
 * may be sealed but not yet archived, so only that one may be missing, and one sealed since
 * the store was listed is asked of the store again before it counts as a rollback.
 */
export async function archiveFailures(
  archive: CheckpointArchive,
  stored: ReadonlyMap<number, string>,
  options: { live: boolean; checkpoints: CheckpointStore },
): Promise<CheckpointFailure[]> {
  const { live } = options;
  const seqs = [...stored.keys()].sort((a, b) => a - b);
  const newest = seqs.at(-1);
  const failures: CheckpointFailure[] = [];
  const queue = [...seqs];
  const workers = Array.from({ length: Math.min(8, queue.length) }, async () => {
    for (let seq = queue.shift(); seq !== undefined; seq = queue.shift()) {
      const failure = await compareOne(archive, seq, stored.get(seq) as string);
      if (failure && !(live && failure.kind === 'archive_missing' && seq === newest)) failures.push(failure);
    }
  });
  await Promise.all(workers);
  const next = newest === undefined ? 0 : newest + 1;
  const beyond = await archive.get(next).catch((e: unknown) => {
    if (e instanceof CheckpointArchiveFormatError) return 'unreadable' as const;
    throw e;
  });
  const sealedSince = async () => (await options.checkpoints.list(next, 1)).length > 0;
  if (beyond !== null && !(live && (await sealedSince()))) {
    failures.push({
      seq: next,
      kind: 'rollback',
      detail: 'the archive holds a checkpoint the store does not: the newest were removed',
    });
  }
  return failures.sort((a, b) => (a.seq ?? -1) - (b.seq ?? -1));
}

async function compareOne(
  archive: CheckpointArchive,
  seq: number,
  digest: string,
): Promise<CheckpointFailure | undefined> {
  let archived: Awaited<ReturnType<CheckpointArchive['get']>>;
  try {
    archived = await archive.get(seq);
  } catch (e) {
    if (!(e instanceof CheckpointArchiveFormatError)) throw e;
    return { seq, kind: 'archive_mismatch', detail: e.message };
  }
  if (archived === null) return { seq, kind: 'archive_missing', detail: 'not in the checkpoint archive' };
  if (noteDigest(archived.note) !== digest) {
    return { seq, kind: 'archive_mismatch', detail: 'the store copy differs from the archived checkpoint' };
  }
  return undefined;
}
