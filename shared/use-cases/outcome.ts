import type { ErrorCode } from '../errors.js';
import { GatewayError, toGatewayError } from '../errors.js';

/** A caller-safe account of why a request released nothing. */
export interface Failure {
  code: ErrorCode;
  message: string;
  /** Machine-readable detail safe to show the caller (policy ids, reasons, positions). */
  details?: Record<string, unknown>;
}

/**
 * What a use case answers, whatever the transport: the value, a denial, a request that
 * waits for people, or a failure with a stable code. Transports map these to their own
 * shapes (HTTP statuses, MCP tool errors); nothing here knows about either.
 */
export type Outcome<T> =
  | { kind: 'allowed'; requestId: string; value: T }
  | { kind: 'denied'; requestId: string; failure: Failure }
  | { kind: 'pending'; requestId: string; failure: Failure; approval?: PendingApproval }
  | { kind: 'failed'; requestId: string; failure: Failure };

export interface PendingApproval {
  /** The stored request that approvers decide on. */
  approvalRequestId: string;
  status: string;
  expiresAt: string;
}

export function failureOf(error: unknown): Failure {
  const e = toGatewayError(error);
  return { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
}

/** Refusals by policy are denials; approvals are pending; everything else failed. */
export function outcomeOfError<T>(requestId: string, error: unknown): Outcome<T> {
  const failure = failureOf(error);
  if (failure.code === 'policy_denied' || failure.code === 'forbidden') {
    return { kind: 'denied', requestId, failure };
  }
  if (failure.code === 'approval_workflow_unavailable') return { kind: 'pending', requestId, failure };
  return { kind: 'failed', requestId, failure };
}

/** The error a non-allowed outcome stands for (for transports that throw). */
export function errorOf(outcome: Exclude<Outcome<unknown>, { kind: 'allowed' }>): GatewayError {
  return new GatewayError(outcome.failure.code, outcome.failure.message, {
    ...(outcome.failure.details ? { details: outcome.failure.details } : {}),
  });
}
