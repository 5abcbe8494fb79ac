import { GatewayError } from '../errors.js';

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

export type AnnotationsOf = (policyId: string) => Readonly<Record<string, string>> | undefined;

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

function parseGroups(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
}

/**
 * Reads `@approvers`, `@quorum` and `@expires` from the approval policies that determined a
 * decision. Several policies must all be satisfied, so the approver group is one they all
 * name, the quorum the largest and the expiry the shortest. Anything unreadable, or no
 * common group, throws `policy_error`: a request nobody may rightly approve is not stored.
 */
export function approvalTerms(policyIds: readonly string[], annotationsOf: AnnotationsOf): ApprovalTerms {
  if (policyIds.length === 0) throw invalid('no approval policy named');
  let common: string[] | undefined;
  let quorum = DEFAULT_QUORUM;
  let expiresInMs = MAX_EXPIRY_MS;
  for (const id of policyIds) {
    const annotations = annotationsOf(id);
    if (annotations === undefined) throw invalid(`unknown policy ${id}`);
    const groups = parseGroups(annotations.approvers);
    if (groups.length === 0) throw invalid(`${id} names no @approvers`);
    common = common === undefined ? groups : common.filter((g) => groups.includes(g));
    quorum = Math.max(quorum, parseQuorum(annotations.quorum, id));
    expiresInMs = Math.min(expiresInMs, parseExpiry(annotations.expires, id));
  }
  const approverGroup = common?.[0];
  if (approverGroup === undefined) throw invalid(`policies ${policyIds.join(', ')} share no approver group`);
  return { approverGroup, quorum, expiresInMs };
}
