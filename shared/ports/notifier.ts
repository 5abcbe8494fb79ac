/** What approvers are told about a pending request (no result data, ever). */
export interface ApprovalNotice {
  requestId: string;
  connection: string;
  environment: string;
  requester: {
    kind: 'agent' | 'human';
    id: string;
    name?: string;
    appId?: string;
    onBehalfOf?: { id: string; name?: string };
  };
  statement: string;
  /** The bound parameters, content-scanned (shownParams): what runs is the statement with these. */
  params: string[];
  tables: string[];
  estimatedRows: number | null;
  policyIds: string[];
  reasons: string[];
  purpose: string | null;
  approverGroup: string | null;
  quorum: number;
  expiresAt: string;
  /** The approval page for this request. */
  approveUrl: string;
}

export type NotifyOutcome = { ok: true } | { ok: false; retryable: boolean; reason: string };

/**
 * Port to whoever tells approvers. Adapters: Teams (Adaptive Card to a Workflows webhook)
 * and the local host's inbox. A notifier never throws for a delivery failure: it says
 * whether trying again may help, so the consumer can retry, audit and dead-letter.
 */
export interface Notifier {
  notify(notice: ApprovalNotice): Promise<NotifyOutcome>;
}
