import type { Effect, Outcome, PrincipalKind } from '../types.js';

/**
 * One audit record per request (and later per approval step). It is written through the
 * store port before any response that carries data is sent. It never holds clear values of
 * masked data, tokens or secrets.
 */
export interface AuditRecord {
  /** Unique record id (for a request record: the request id). */
  id: string;
  requestId: string;
  /** `request` for the query path; approval steps and executions add their own kinds later. */
  kind: 'request';
  /** ISO-8601 UTC time the request arrived. */
  time: string;
  principal: {
    id: string;
    kind: PrincipalKind;
    appId?: string;
    name?: string;
    groups: string[];
    roles: string[];
    onBehalfOf?: { id: string; name?: string };
  } | null;
  /** Connection id from the route (even when unknown). */
  connection: string | null;
  action: string;
  /** The statement whole, as received. */
  statement: string | null;
  statementSha256?: string;
  /** Bound parameters, as received. */
  params?: unknown[];
  fingerprint: string | null;
  facts: {
    effect: Effect;
    statementCount: number;
    tables: string[];
    selectStar: boolean;
    hasWhere: boolean;
    limit: number | null;
    estimatedRows: number | null;
  } | null;
  decision: { outcome: Outcome | 'error'; policyIds: string[]; reasons: string[] };
  status: number;
  errorCode: string | null;
  rowsReturned: number;
  /** Cells and bytes (of the JSON rows) released. */
  cellsReturned?: number;
  bytesReturned?: number;
  /** The target's error text, masked; never sent to an agent. */
  targetMessage?: string;
  truncated: boolean;
  masking: { columns: Record<string, string>; cellsMasked: number; byClass: Record<string, number> } | null;
  purpose: string | null;
  durationMs: number;
}
