import type { BlobAccess, KeptLink, MaskingSummary, Transport } from '../audit/event.js';
import type { Decision, Principal, StatementFacts } from '../types.js';
import { StageClock } from './stage-clock.js';

/**
 * What the pipeline learns about one request as it goes, stage by stage. The record stage
 * turns it into the request's audit event; nothing else reads it.
 */
export interface RequestTrace {
  requestId: string;
  time: Date;
  transport: Transport;
  action: string;
  principal: Principal | null;
  connection: string | null;
  statement: string | null;
  facts: StatementFacts | null;
  estimatedRows: number | null;
  /** Why the estimate could not be made (the target's words stay in targetMessage). */
  estimateError?: string;
  decision: Decision | null;
  purpose: string | null;
  masking: MaskingSummary | null;
  /** Parameters bound to the statement (kept whole, masked for readers like the statement). */
  params?: unknown[];
  /** What left the gateway: rows, cells and bytes of the released result, and its digest. */
  released?: { rows: number; cells: number; bytes: number; digest?: string };
  /** The target's own error text (masked): for investigators, never for an agent. */
  targetMessage?: string;
  /** Why a token was refused (never told to the caller). */
  authFailure?: string;
  /** Classes this principal saw in clear. */
  unmaskedClasses?: string[];
  approvalRequestId?: string;
  /** The MCP tool called (transport `mcp`). */
  tool?: string;
  /** What a blob request touched (connections of kind `blob`). */
  blob?: BlobAccess;
  /**
   * The first rows of what is released, to keep for replay (shared/use-cases/replay-keep.ts):
   * linked from the request's event, written only once that event is durable.
   */
  kept?: KeptRows;
  clock: StageClock;
}

/** Rows kept for replay, as released, with their link for the audit event. */
export interface KeptRows {
  link: KeptLink;
  columns: Array<{ name: string; type: string }>;
  rows: unknown[];
  masking: MaskingSummary;
  owner: { issuer: string; id: string };
}

export interface RequestStart {
  requestId: string;
  time: Date;
  transport: Transport;
  action: string;
  connection: string | null;
  clock?: StageClock;
  /** The MCP tool called (transport `mcp`). */
  tool?: string;
  /** The statement sent, when the request was refused before a use case read it. */
  statement?: string;
}

export function newTrace(start: RequestStart): RequestTrace {
  return {
    requestId: start.requestId,
    time: start.time,
    transport: start.transport,
    action: start.action,
    principal: null,
    connection: start.connection,
    statement: start.statement ?? null,
    facts: null,
    estimatedRows: null,
    decision: null,
    purpose: null,
    masking: null,
    clock: start.clock ?? new StageClock(),
    ...(start.tool === undefined ? {} : { tool: start.tool }),
  };
}
