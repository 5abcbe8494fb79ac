import { CheckpointArchiveConflictError, CheckpointArchiveFormatError } from './blob-checkpoint-archive.js';
import { hasValidSignature, parseCheckpoint } from './checkpoint.js';
import type { CheckpointArchive, CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';
import type { CheckpointPublicJwk } from './signers.js';

export interface ArchiveBackfillOptions {
  /** How far back from the newest stored checkpoint gaps are looked for. Default 1,440 (a day). */
  window?: number;
  /** Archive reads per tick. Default 50. */
  checksPerTick?: number;
  /** Archive writes per tick. Default 10. */
  putsPerTick?: number;
}

export interface BackfillResult {
  /** Archive reads made. */
  checked: number;
  /** Seqs written to the archive this tick. */
  backfilled: number[];
  /** The write that failed (the tick stops there), if any. */
  failed?: { seq: number; error: string };
}

/**
 * Archives the stored checkpoints a seal could not archive (the store keeps a checkpoint whose
 * archive write failed). Each tick it looks, newest first, at the stored checkpoints of the
 * window not yet seen in the archive, reading and writing a bounded number; what it has seen
 * archived is remembered in memory, so in steady state a tick reads one blob. After a restart
 * the window is read again over a few ticks. A gap older than the window is left to verify,
 * which reports it as `archive_missing`. The store copy is not trusted: it is archived only
 * when a trusted key signed it and it links to the archived checkpoint before it (when that
 * one is archived), so a rewritten store cannot launder a note into the write-once archive.
 */
export class ArchiveBackfill {
  readonly #archive: CheckpointArchive;
  readonly #checkpoints: CheckpointStore;
  readonly #keys: () => Promise<readonly CheckpointPublicJwk[]>;
  readonly #window: number;
  readonly #checks: number;
  readonly #puts: number;
  /** Seqs known to be in the archive (within the window). */
  readonly #archived = new Set<number>();

  constructor(
    archive: CheckpointArchive,
    checkpoints: CheckpointStore,
    keys: () => Promise<readonly CheckpointPublicJwk[]>,
    options: ArchiveBackfillOptions = {},
  ) {
    this.#archive = archive;
    this.#checkpoints = checkpoints;
    this.#keys = keys;
    this.#window = options.window ?? 1440;
    this.#checks = options.checksPerTick ?? 50;
    this.#puts = options.putsPerTick ?? 10;
  }

  /** A seal archived this one itself. */
  noteArchived(seq: number): void {
    this.#archived.add(seq);
  }

  /** One tick up to `newest` (the newest stored checkpoint). Store and archive errors reject. */
  async run(newest: number): Promise<BackfillResult> {
    const low = Math.max(0, newest - this.#window + 1);
    for (const seq of this.#archived) if (seq < low) this.#archived.delete(seq);
    const result: BackfillResult = { checked: 0, backfilled: [] };
    for (let seq = newest; seq >= low && result.checked < this.#checks; seq--) {
      if (this.#archived.has(seq)) continue;
      result.checked++;
      if (await this.#present(seq)) {
        this.#archived.add(seq);
        continue;
      }
      if (result.backfilled.length >= this.#puts) break;
      const [stored] = await this.#checkpoints.list(seq, 1);
      // Not stored (never sealed, or removed): nothing to copy; verify judges the gap.
      if (stored?.seq !== seq) continue;
      const refused = await this.#refusal(stored);
      if (refused) {
        result.failed = { seq, error: refused };
        break;
      }
      try {
        await this.#archive.put(stored);
      } catch (e) {
        // Archived meanwhile (a racing sealer): it is there, which is all this wants.
        if (e instanceof CheckpointArchiveConflictError) {
          this.#archived.add(seq);
          continue;
        }
        result.failed = { seq, error: e instanceof Error ? e.message : String(e) };
        break;
      }
      this.#archived.add(seq);
      result.backfilled.push(seq);
    }
    return result;
  }

  /** An unreadable blob is there all the same: it is never overwritten, verify reports it. */
  async #present(seq: number): Promise<boolean> {
    try {
      return (await this.#archive.get(seq)) !== null;
    } catch (e) {
      if (e instanceof CheckpointArchiveFormatError) return true;
      throw e;
    }
  }

  /** Why a stored copy may not be archived, if it may not. */
  async #refusal(stored: StoredCheckpoint): Promise<string | undefined> {
    let parsed: ReturnType<typeof parseCheckpoint>;
    try {
      parsed = parseCheckpoint(stored.note);
    } catch {
      return 'the stored checkpoint is not a note';
    }
    if (parsed.seq !== stored.seq || parsed.hash !== stored.hash)
      return 'stored fields disagree with the note';
    if (!hasValidSignature(parsed, await this.#keys()))
      return 'the stored checkpoint is not signed by a trusted key';
    if (stored.seq === 0) return undefined;
    const before = await this.#archive.get(stored.seq - 1).catch(() => null);
    if (before && parseCheckpoint(before.note).hash !== parsed.prev)
      return 'the stored checkpoint does not link to the archived one before it';
    return undefined;
  }
}
