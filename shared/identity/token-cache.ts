import type { Principal } from '../types.js';

/** Defaults: enough for every agent of a busy tenant, short enough that a revoked key ages out. */
export const DEFAULT_TOKEN_CACHE_ENTRIES = 10_000;
export const MAX_TOKEN_CACHE_AGE_SEC = 600;

/**
 * How many spellings of one token's signature an entry remembers. An ES256 token has two
 * that verify for one (r, s), times a few base64url spellings of the last character; only
 * the key holder can make more. A spelling past the limit is still accepted, just verified
 * each time.
 */
const MAX_SIGNATURES_PER_ENTRY = 4;

interface Entry {
  principal: Principal;
  /** Digests of the signature segments that were themselves verified with this signing input. */
  signatures: Set<string>;
  exp: number;
  nbf: number | undefined;
  /** When the cache stops serving the entry whatever `exp` says, in ms on the verifier's clock. */
  storedUntilMs: number;
}

export interface TokenValidity {
  exp: number;
  nbf: number | undefined;
}

/**
 * Verified tokens by identity (SHA-256 of `header.payload`), in insertion order so the
 * oldest goes first when full. It holds digests and principals, never a token. An entry is
 * served only while the token would still pass jose's time checks on the same clock with
 * the same tolerance, and never longer than `maxAgeSec` after it was stored.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #toleranceSec: number;

  constructor(options: { maxEntries: number; maxAgeSec: number; clockToleranceSec: number }) {
    this.#maxEntries = options.maxEntries;
    this.#maxAgeMs = options.maxAgeSec * 1000;
    this.#toleranceSec = options.clockToleranceSec;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The principal of a token already verified with exactly this signature spelling, or
   * undefined. An entry past its time is dropped here.
   */
  hit(identity: string, signature: string, nowMs: number): Principal | undefined {
    const entry = this.#current(identity, nowMs);
    return entry?.signatures.has(signature) === true ? entry.principal : undefined;
  }

  /**
   * Records a token that jose has just verified and returns the principal to use. When the
   * identity is already cached (the same `header.payload` with another signature spelling)
   * the new spelling joins that entry and the entry's principal is returned: one token, one
   * principal.
   */
  store(
    identity: string,
    signature: string,
    principal: Principal,
    validity: TokenValidity,
    nowMs: number,
  ): Principal {
    if (this.#maxEntries === 0) return principal;
    const existing = this.#current(identity, nowMs);
    if (existing !== undefined) {
      if (existing.signatures.size < MAX_SIGNATURES_PER_ENTRY) existing.signatures.add(signature);
      return existing.principal;
    }
    const entry: Entry = {
      principal: freezePrincipal(principal),
      signatures: new Set([signature]),
      exp: validity.exp,
      nbf: validity.nbf,
      storedUntilMs: nowMs + this.#maxAgeMs,
    };
    if (!this.#servable(entry, nowMs)) return entry.principal;
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(identity, entry);
    return entry.principal;
  }

  #current(identity: string, nowMs: number): Entry | undefined {
    const entry = this.#entries.get(identity);
    if (entry === undefined) return undefined;
    if (this.#servable(entry, nowMs)) return entry;
    this.#entries.delete(identity);
    return undefined;
  }

  /** The same checks as jose's `exp` and `nbf`, on whole seconds, plus the cache's own limit. */
  #servable(entry: Entry, nowMs: number): boolean {
    const nowSec = Math.floor(nowMs / 1000);
    if (entry.exp <= nowSec - this.#toleranceSec) return false;
    if (entry.nbf !== undefined && entry.nbf > nowSec + this.#toleranceSec) return false;
    return nowMs < entry.storedUntilMs;
  }
}

/** A cached principal is shared by every request with the token, so nobody may change it. */
function freezePrincipal(p: Principal): Principal {
  Object.freeze(p.groups);
  Object.freeze(p.roles);
  Object.freeze(p.scopes);
  if (p.onBehalfOf !== undefined) Object.freeze(p.onBehalfOf);
  return Object.freeze(p);
}
