import type { MaskingReport } from '../masking/index.js';

/** A masked result kept for its requester until it expires. Never holds clear masked values. */
export interface StoredResult {
  id: string;
  requestId: string;
  /** Who may fetch it: the requester's issuer and id. */
  owner: { issuer: string; id: string };
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
  truncated: boolean;
  masking: MaskingReport;
  /** `resultDigest(columns, JSON.stringify(rows))` (shared/audit/result-digest.ts): what the audit trail names. */
  digest: string;
  createdAt: string;
  expiresAt: string;
}

/** What a writer is told before the first row. */
export type ResultOpening = Pick<
  StoredResult,
  'id' | 'requestId' | 'owner' | 'columns' | 'createdAt' | 'expiresAt'
>;

/** What is known only once every row has been appended. */
export type ResultClosing = Pick<StoredResult, 'truncated' | 'masking'>;

/**
 * A result written in pieces, so that no one holds its whole serialisation: rows are appended
 * in order (a store may write a chunk as soon as it fills), and `commit` makes the result
 * visible whole, with the digest of exactly what was appended. Until then `get` answers null.
 */
export interface ResultWriter {
  append(rows: readonly unknown[][]): Promise<void>;
  commit(closing: ResultClosing): Promise<{ digest: string; rows: number }>;
  /** Removes whatever was written; the result never becomes visible. */
  abort(): Promise<void>;
}

/** Rows `offset` .. `offset + rows.length` of a stored result, and what it is as a whole. */
export type ResultPage = Omit<StoredResult, 'rows'> & {
  rows: unknown[][];
  offset: number;
  /** Rows of the whole result. */
  rowCount: number;
};

/**
 * Persistence port for released results. Adapters split large results to fit their item
 * limits and reassemble them whole; a result past `expiresAt` is gone (`get` answers null)
 * whether or not the store has purged it yet.
 */
export interface ResultStore {
  put(result: StoredResult): Promise<void>;
  /** Starts a result written in pieces (see ResultWriter); `put` in one call. */
  open(opening: ResultOpening): ResultWriter;
  get(id: string, now: Date): Promise<StoredResult | null>;
  /**
   * At most `limit` rows from row `offset` (past the end: none), read without loading the
   * rest of the result where the adapter can; null exactly when `get` would be.
   */
  getPage(id: string, now: Date, offset: number, limit: number): Promise<ResultPage | null>;
  delete(id: string): Promise<void>;
}
