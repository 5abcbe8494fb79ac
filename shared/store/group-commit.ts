/**
 * Group commit for a create-only store: appends that arrive while the store is busy wait
 * and then go together as one batch, so under concurrency N requests cost about one store
 * round trip instead of N, and each caller still learns the fate of its own item only once
 * the store has answered for it. With the store idle an append goes alone, at once: no timer,
 * no added latency.
 */

/** What the store answers per item of a batch (transactional: nothing or everything lands). */
export type BatchItemResult = 'ok' | 'conflict' | 'not-attempted';

export interface GroupWriter<T> {
  /** One item alone; rejects as the store would. */
  one(item: T): Promise<void>;
  /**
   * Items of one group, all or nothing, with a result per item. Throwing means the batch's
   * fate is unknown: every item of it fails (fail closed), none is retried.
   */
  many(items: T[]): Promise<BatchItemResult[]>;
  /** Items that may share a batch (Cosmos: one partition key). */
  groupOf(item: T): string;
  conflict(item: T): Error;
  /** Bytes an item adds to a batch (Cosmos: 2 MB per batch request). */
  sizeOf?(item: T): number;
}

export interface GroupCommitOptions {
  /** Writes in flight at once before new appends start waiting (default 4). */
  maxInFlight?: number;
  /** Items per batch (Cosmos: at most 100 operations; default 64). */
  maxBatch?: number;
  /** Bytes per batch, counted with `sizeOf` (default 1 MB); a larger item goes alone. */
  maxBytes?: number;
}

interface Waiting<T> {
  item: T;
  /** Its group, known when it is queued: an item the writer cannot place fails its own append. */
  key: string;
  /** Its size, measured only once another item may join it (a lone write never needs it). */
  size?: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function groupCommit<T>(
  writer: GroupWriter<T>,
  options: GroupCommitOptions = {},
): (item: T) => Promise<void> {
  const maxInFlight = options.maxInFlight ?? 4;
  const maxBatch = Math.min(options.maxBatch ?? 64, 100);
  const maxBytes = options.maxBytes ?? 1_000_000;
  const sizeOf = writer.sizeOf ?? (() => 0);
  const queue: Waiting<T>[] = [];
  let inFlight = 0;

  const settleOne = (w: Waiting<T>) => writer.one(w.item).then(w.resolve, w.reject);

  const writeGroup = async (group: Waiting<T>[]): Promise<void> => {
    if (group.length === 1) return settleOne(group[0] as Waiting<T>);
    let results: BatchItemResult[];
    try {
      results = await writer.many(group.map((w) => w.item));
    } catch (e) {
      for (const w of group) w.reject(e);
      return;
    }
    // The batch was refused as a whole (one item's id was taken): nothing of it landed, so
    // the others go alone and each caller gets its own answer.
    await Promise.all(
      group.map((w, i) => {
        const r = results[i];
        if (r === 'ok') return w.resolve();
        if (r === 'conflict') return w.reject(writer.conflict(w.item));
        return settleOne(w);
      }),
    );
  };

  const measured = (w: Waiting<T>): number => {
    w.size ??= sizeOf(w.item);
    return w.size;
  };

  /** The oldest item and those of its group behind it, up to the batch's count and bytes. */
  const takeGroup = (): Waiting<T>[] => {
    const first = queue.shift() as Waiting<T>;
    const group = [first];
    let bytes = queue.length > 0 ? measured(first) : 0;
    for (let i = 0; i < queue.length && group.length < maxBatch; ) {
      const w = queue[i] as Waiting<T>;
      if (w.key !== first.key) {
        i++;
        continue;
      }
      const size = measured(w);
      if (bytes + size > maxBytes) break;
      group.push(w);
      bytes += size;
      queue.splice(i, 1);
    }
    return group;
  };

  const pump = () => {
    while (queue.length > 0 && inFlight < maxInFlight) {
      const group = takeGroup();
      inFlight++;
      void writeGroup(group).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, key: writer.groupOf(item), resolve, reject });
      pump();
    });
}
