/**
 * What the periodic verifier keeps between runs: the checkpoint its next window starts at,
 * which run wrote it, and when. It lives in the store an attacker may rewrite, so it is never
 * believed alone: each run checks it against the verification events in its window (see
 * periodic-verify.ts) and against the checkpoint chain from it on.
 */
export interface VerifierState {
  /** The newest checkpoint verified without failure, or null before the first clean run. */
  anchor: { seq: number; hash: string } | null;
  /** The run that wrote this state (its verification event carries the same number). */
  run: number;
  /** When that run finished, ISO-8601. */
  ranAt: string;
}

export type VerifierStateWrite = { ok: true } | { ok: false; reason: 'conflict' };

export interface VerifierStateStore {
  /** The state and its version, or null when no run ever saved one. */
  get(): Promise<{ state: VerifierState; etag: string } | null>;
  /** Saves if still at `ifMatch` (null: only if none exists); a lost race answers conflict. */
  set(state: VerifierState, ifMatch: string | null): Promise<VerifierStateWrite>;
}
