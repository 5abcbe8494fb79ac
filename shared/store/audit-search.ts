import type { Transport } from '../audit/event.js';
import type { AuditRecord } from '../audit/record.js';
import { GatewayError } from '../errors.js';
import type { AuditFilter } from './audit-store.js';

/** Bounds of one search page; larger pages would let one caller pin the store. */
export const AUDIT_PAGE_MIN = 1;
export const AUDIT_PAGE_MAX = 200;

const OUTCOMES: ReadonlySet<string> = new Set(['allow', 'deny', 'approval', 'error']);
const TRANSPORTS: ReadonlySet<string> = new Set(['rest', 'mcp', 'queue', 'timer']);
const MAX_VALUE_LENGTH = 1024;

export interface ValidSearch {
  filter: AuditFilter;
  limit: number;
  continuation: string | undefined;
}

function badRequest(message: string): GatewayError {
  return new GatewayError('bad_request', message);
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_LENGTH) {
    throw badRequest(`invalid ${name} filter`);
  }
  return value;
}

/** Bounds are compared as strings with stored times, so both must be in the canonical UTC form. */
function instant(name: string, value: unknown): string | undefined {
  const raw = text(name, value);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw badRequest(`invalid ${name} filter`);
  return new Date(ms).toISOString();
}

/**
 * Checks a search request from outside (filter values may come straight from a query string)
 * and returns it normalised, so both adapters apply exactly the same rules.
 */
export function validateSearch(
  filter: AuditFilter,
  page: { limit: number; continuation?: string },
): ValidSearch {
  const { limit, continuation } = page;
  if (!Number.isInteger(limit) || limit < AUDIT_PAGE_MIN || limit > AUDIT_PAGE_MAX) {
    throw badRequest(`limit must be an integer from ${AUDIT_PAGE_MIN} to ${AUDIT_PAGE_MAX}`);
  }
  if (continuation !== undefined && (typeof continuation !== 'string' || continuation.length === 0)) {
    throw badRequest('invalid continuation token');
  }
  const decision = text('decision', filter.decision);
  if (decision !== undefined && !OUTCOMES.has(decision)) throw badRequest('invalid decision filter');
  const normal: AuditFilter = {};
  const principal = text('principal', filter.principal);
  const connection = text('connection', filter.connection);
  const from = instant('from', filter.from);
  const to = instant('to', filter.to);
  if (principal !== undefined) normal.principal = principal;
  if (connection !== undefined) normal.connection = connection;
  if (decision !== undefined) normal.decision = decision as NonNullable<AuditFilter['decision']>;
  const requestId = text('requestId', filter.requestId);
  if (requestId !== undefined) normal.requestId = requestId;
  const transport = text('transport', filter.transport);
  if (transport !== undefined && !TRANSPORTS.has(transport)) throw badRequest('invalid transport filter');
  if (transport !== undefined) normal.transport = transport as Transport;
  const table = text('table', filter.table);
  if (table !== undefined) normal.table = table;
  const fingerprint = text('fingerprint', filter.fingerprint);
  if (fingerprint !== undefined) normal.fingerprint = fingerprint;
  const approval = text('approvalRequestId', filter.approvalRequestId);
  if (approval !== undefined) normal.approvalRequestId = approval;
  if (from !== undefined) normal.from = from;
  if (to !== undefined) normal.to = to;
  return { filter: normal, limit, continuation };
}

/** The in-memory twin of the Cosmos WHERE clause; `filter` must come from validateSearch. */
export function matchesFilter(record: AuditRecord, filter: AuditFilter): boolean {
  if (filter.principal !== undefined && record.principal?.id !== filter.principal) return false;
  if (filter.connection !== undefined && record.connection !== filter.connection) return false;
  if (
    filter.decision !== undefined &&
    !(record.kind === 'request' && record.decision.outcome === filter.decision)
  ) {
    return false;
  }
  if (filter.requestId !== undefined && record.requestId !== filter.requestId) return false;
  if (filter.transport !== undefined && record.transport !== filter.transport) return false;
  if (!matchesStatementFilter(record, filter)) return false;
  if (filter.from !== undefined && !(record.time >= filter.from)) return false;
  if (filter.to !== undefined && !(record.time < filter.to)) return false;
  return true;
}

/** Table, fingerprint and approval: the filters that look into an event's own fields. */
function matchesStatementFilter(record: AuditRecord, filter: AuditFilter): boolean {
  if (
    filter.table !== undefined &&
    !(record.kind === 'request' && (record.facts?.tables ?? []).includes(filter.table))
  ) {
    return false;
  }
  if (
    filter.fingerprint !== undefined &&
    !('fingerprint' in record && record.fingerprint === filter.fingerprint)
  ) {
    return false;
  }
  const approval = filter.approvalRequestId;
  if (approval === undefined) return true;
  return (
    record.requestId === approval || (record.kind === 'request' && record.approvalRequestId === approval)
  );
}
