import { GatewayError } from '../errors.js';
import type { ApprovalObligation } from '../types.js';

/** What the approval policies that stopped a request ask of its approval. */
export interface ApprovalTerms {
  /** The one group whose members may approve (it satisfies every approval policy). */
  approverGroup: string;
  /** Distinct approvers needed; the largest any of the policies asks for. */
  quorum: number;
  /** How long the request waits for them; the shortest any of the policies allows. */
  expiresInMs: number;
}

export const DEFAULT_QUORUM = 1;
export const DEFAULT_EXPIRY_MS = 30 * 60_000;
/** Bounds that keep a typo (`@quorum("20")`, `@expires("30d")`) from making a request unapprovable or immortal. */
export const MAX_QUORUM = 10;
export const MAX_EXPIRY_MS = 7 * 24 * 3600_000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3600_000, d: 24 * 3600_000 } as const;

function invalid(message: string): GatewayError {
  return new GatewayError('policy_error', `Approval policy annotations are invalid: ${message}.`);
}

/** `@quorum("2")`: a whole number of approvers from 1 to MAX_QUORUM. */
export function parseQuorum(value: string | undefined, policyId: string): number {
  if (value === undefined) return DEFAULT_QUORUM;
  const n = /^[1-9][0-9]?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_QUORUM)) throw invalid(`${policyId} has @quorum("${value}")`);
  return n;
}

/** `@expires("30m")`: a whole number of seconds, minutes, hours or days, up to MAX_EXPIRY_MS. */
export function parseExpiry(value: string | undefined, policyId: string): number {
  if (value === undefined) return DEFAULT_EXPIRY_MS;
  const match = /^([1-9][0-9]{0,5})([smhd])$/.exec(value);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms >= 1000 && ms <= MAX_EXPIRY_MS)) throw invalid(`${policyId} has @expires("${value}")`);
  return ms;
}

/**
 * The terms of an approval, from what its decision carries (`obligations.approvals`): one
 * entry for each rule that asked for it, and one for each policy id the decision names.
 * Several rules must all be satisfied, so the approver group is one they all name, the
 * quorum the largest and the expiry the shortest. Anything missing or unreadable, or no
 * common group, throws `policy_error`: a request nobody may rightly approve is not stored.
 */
export function approvalTerms(
  policyIds: readonly string[],
  approvals: readonly ApprovalObligation[],
): ApprovalTerms {
  if (policyIds.length === 0) throw invalid('no approval policy named');
  // The request stores policyIds and is decided by these terms: they must name the same rules.
  const asked = new Set(approvals.map((a) => a.policyId));
  const named = new Set(policyIds);
  if (
    asked.size !== approvals.length ||
    asked.size !== named.size ||
    [...named].some((id) => !asked.has(id))
  ) {
    throw invalid(`the approval terms do not match policies ${policyIds.join(', ')}`);
  }
  let common: string[] | undefined;
  let quorum = DEFAULT_QUORUM;
  let expiresInMs = MAX_EXPIRY_MS;
  for (const approval of approvals) {
    const id = approval.policyId;
    const groups = approval.approvers.filter((g) => g.trim() !== '');
    if (groups.length === 0) throw invalid(`${id} names no approvers`);
    common = common === undefined ? groups : common.filter((g) => groups.includes(g));
    quorum = Math.max(quorum, parseQuorum(approval.quorum, id));
    expiresInMs = Math.min(expiresInMs, parseExpiry(approval.expires, id));
  }
  const approverGroup = common?.[0];
  if (approverGroup === undefined) throw invalid(`policies ${policyIds.join(', ')} share no approver group`);
  return { approverGroup, quorum, expiresInMs };
}
