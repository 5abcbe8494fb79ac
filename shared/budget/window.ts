/**
 * A sliding window of what one principal was given through one connection: rows and bytes
 * in time buckets (a sixtieth of the window each). Pure functions over the stored document,
 * so every adapter of the budget store counts the same way.
 */

export interface BudgetAmount {
  rows: number;
  bytes: number;
}

export interface BudgetLimits extends BudgetAmount {
  windowSeconds: number;
}

export interface BudgetDocument {
  /** Bucket start (Unix seconds) -> what was released in it. */
  buckets: Record<string, BudgetAmount>;
}

const BUCKETS_PER_WINDOW = 60;

function bucketSeconds(limits: BudgetLimits): number {
  return Math.max(1, Math.floor(limits.windowSeconds / BUCKETS_PER_WINDOW));
}

/** What the window holds at `now`, and the document with expired buckets dropped. */
export function usedIn(
  doc: BudgetDocument,
  limits: BudgetLimits,
  now: Date,
): { used: BudgetAmount; live: BudgetDocument } {
  const size = bucketSeconds(limits);
  const nowSec = Math.floor(now.getTime() / 1000);
  const oldest = nowSec - limits.windowSeconds;
  const live: BudgetDocument = { buckets: {} };
  const used = { rows: 0, bytes: 0 };
  for (const [start, amount] of Object.entries(doc.buckets)) {
    // A bucket counts while any part of it is inside the window.
    if (Number(start) + size <= oldest) continue;
    live.buckets[start] = amount;
    used.rows += amount.rows;
    used.bytes += amount.bytes;
  }
  return { used, live };
}

export type SpendOutcome =
  | { ok: true; doc: BudgetDocument; left: BudgetAmount }
  | { ok: false; left: BudgetAmount };

/** Adds `amount` when it fits in what is left; otherwise nothing changes. */
export function spend(
  doc: BudgetDocument,
  amount: BudgetAmount,
  limits: BudgetLimits,
  now: Date,
): SpendOutcome {
  const { used, live } = usedIn(doc, limits, now);
  const left = { rows: Math.max(0, limits.rows - used.rows), bytes: Math.max(0, limits.bytes - used.bytes) };
  if (amount.rows > left.rows || amount.bytes > left.bytes) return { ok: false, left };
  const size = bucketSeconds(limits);
  const start = String(Math.floor(now.getTime() / 1000 / size) * size);
  const bucket = live.buckets[start] ?? { rows: 0, bytes: 0 };
  live.buckets[start] = { rows: bucket.rows + amount.rows, bytes: bucket.bytes + amount.bytes };
  return { ok: true, doc: live, left: { rows: left.rows - amount.rows, bytes: left.bytes - amount.bytes } };
}

export type ReserveOutcome =
  | { ok: true; doc: BudgetDocument; reserved: BudgetAmount; left: BudgetAmount }
  | { ok: false; left: BudgetAmount };

/**
 * Takes `need` plus up to `extra` more (as much of it as fits) in one write: a process holds
 * the extra locally and spends it without a round trip. Refused, with nothing taken, when
 * `need` alone does not fit.
 */
export function reserve(
  doc: BudgetDocument,
  need: BudgetAmount,
  extra: BudgetAmount,
  limits: BudgetLimits,
  now: Date,
): ReserveOutcome {
  const { used } = usedIn(doc, limits, now);
  const left = { rows: Math.max(0, limits.rows - used.rows), bytes: Math.max(0, limits.bytes - used.bytes) };
  if (need.rows > left.rows || need.bytes > left.bytes) return { ok: false, left };
  const reserved = {
    rows: need.rows + Math.min(extra.rows, left.rows - need.rows),
    bytes: need.bytes + Math.min(extra.bytes, left.bytes - need.bytes),
  };
  const outcome = spend(doc, reserved, limits, now);
  if (!outcome.ok) return { ok: false, left };
  return { ok: true, doc: outcome.doc, reserved, left: outcome.left };
}
