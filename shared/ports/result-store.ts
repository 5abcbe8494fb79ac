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

/**
 * Persistence port for released results. Adapters split large results to fit their item
 * limits and reassemble them whole; a result past `expiresAt` is gone (`get` answers null)
 * whether or not the store has purged it yet.
 */
export interface ResultStore {
  put(result: StoredResult): Promise<void>;
  get(id: string, now: Date): Promise<StoredResult | null>;
  delete(id: string): Promise<void>;
}
