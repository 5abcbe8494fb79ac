import type { Transport } from '../audit/event.js';
import type { AuditRecord } from '../audit/record.js';

/** Filters for audit search; every field optional, all given fields must match. */
export interface AuditFilter {
  principal?: string;
  connection?: string;
  decision?: 'allow' | 'deny' | 'approval' | 'error';
  /** Every event of one request. */
  requestId?: string;
  transport?: Transport;
  /** Request events whose statement read this table (as recorded, e.g. `public.customers`). */
  table?: string;
  /** Events of statements with this fingerprint (request and approval events). */
  fingerprint?: string;
  /** Every event of one approval: the stored request's own events and the request that asked. */
  approvalRequestId?: string;
  /** Inclusive lower bound, ISO-8601. */
  from?: string;
  /** Exclusive upper bound, ISO-8601. */
  to?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Opaque token for the next page; absent on the last page. */
  continuation?: string;
}

/**
 * Persistence port for audit records. `append` resolves only once the record is durable;
 * a rejected append means the caller must not release data. Newest records first in search.
 */
export interface AuditStore {
  append(record: AuditRecord): Promise<void>;
  search(filter: AuditFilter, page: { limit: number; continuation?: string }): Promise<AuditPage>;
}
