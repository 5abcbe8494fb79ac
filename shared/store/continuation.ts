import { createHash } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { AuditFilter } from './audit-store.js';

/** Cosmos tokens are a few hundred bytes; anything far larger is not ours. */
const MAX_TOKEN_LENGTH = 8192;

interface Envelope {
  /** Which adapter issued it, so a token never crosses adapters. */
  a: string;
  /** Digest of the filter it was issued for: a page token only continues the same search. */
  f: string;
  /** The adapter's own position. */
  p: string;
}

function filterKey(filter: AuditFilter): string {
  // Every filter field: a token continues exactly the search it was issued for.
  const canonical = JSON.stringify([
    filter.principal ?? null,
    filter.connection ?? null,
    filter.decision ?? null,
    filter.from ?? null,
    filter.to ?? null,
    filter.requestId ?? null,
    filter.transport ?? null,
    filter.table ?? null,
    filter.fingerprint ?? null,
    filter.approvalRequestId ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

function invalid(): GatewayError {
  return new GatewayError('bad_request', 'invalid continuation token');
}

/** Wraps an adapter position into the opaque token handed to callers. */
export function encodeContinuation(adapter: string, filter: AuditFilter, position: string): string {
  const envelope: Envelope = { a: adapter, f: filterKey(filter), p: position };
  return Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64url');
}

/** Unwraps a caller's token; anything malformed or issued for another search is bad_request. */
export function decodeContinuation(adapter: string, filter: AuditFilter, token: string): string {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid();
  const { a, f, p } = parsed as Partial<Record<keyof Envelope, unknown>>;
  if (a !== adapter || f !== filterKey(filter) || typeof p !== 'string' || p.length === 0) throw invalid();
  return p;
}
