import { GatewayError } from '../errors.js';
import { approverGroups, ERROR_POLICY_ID } from '../policy/index.js';
import type { Decision } from '../types.js';
import type { RequestTrace } from './trace.js';

/** What the decide stage needs: `decide(rows, source)` bound to one statement and caller. */
export type DecideFn = (estimatedRows: number | null, rowsSource?: 'estimate' | 'actual') => Decision;

/** Stage 3: one policy decision, timed, and kept on the trace as the request's decision. */
export async function decide(
  trace: RequestTrace,
  decideFn: DecideFn,
  rows: number | null,
  rowsSource?: 'estimate' | 'actual',
): Promise<Decision> {
  const decision = await trace.clock.run('decide', () => decideFn(rows, rowsSource));
  trace.decision = decision;
  return decision;
}

/**
 * An approval the gateway asks for itself (byte cap, budget), named like a policy. Its
 * approvers are the connection's `approvers` (a comma-separated list of groups), carried on
 * the decision as a policy's `@approvers` are.
 */
export function gatewayApproval(policyId: string, reason: string, approvers: string): Decision {
  return {
    outcome: 'approval',
    policyIds: [policyId],
    reasons: [reason],
    obligations: { approvals: [{ policyId, approvers: approverGroups(approvers) }] },
  };
}

/** The error a decision that is not `allow` ends the request with: nothing was released. */
export function refusalFor(decision: Decision): GatewayError {
  switch (decision.outcome) {
    case 'deny':
      // An evaluation error denies too; its Cedar message goes to the audit record only.
      if (decision.policyIds.includes(ERROR_POLICY_ID)) {
        return new GatewayError('policy_denied', 'Denied: the policy could not be evaluated.', {
          details: { policyIds: [ERROR_POLICY_ID], reasons: [] },
        });
      }
      return new GatewayError('policy_denied', decision.reasons.join(' ') || 'Denied by policy.', {
        details: { policyIds: decision.policyIds, reasons: decision.reasons },
      });
    case 'approval':
      return new GatewayError(
        'approval_workflow_unavailable',
        'This request needs human approval, and the approval workflow is not available yet. Nothing was executed.',
        { details: { policyIds: decision.policyIds, reasons: decision.reasons } },
      );
    case 'allow':
      return new GatewayError('policy_error', 'An allowed decision was refused.');
    default: {
      const unexpected: never = decision.outcome;
      return new GatewayError('policy_error', `Unexpected policy outcome ${String(unexpected)}.`);
    }
  }
}

/** Ends the request when the decision is not `allow`; the decision is already on the trace. */
export function requireAllow(trace: RequestTrace, decision: Decision): void {
  trace.decision = decision;
  if (decision.outcome !== 'allow') throw refusalFor(decision);
}
