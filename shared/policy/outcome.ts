import type { AuthorizationAnswer } from '@cedar-policy/cedar-wasm/nodejs';
import type { ApprovalObligation, Decision, Obligations } from '../types.js';
import type { PolicyMeta } from './policy-meta.js';

/** Policy id reported when the decision failed closed. */
export const ERROR_POLICY_ID = 'error';
export const DEFAULT_DENY_REASON = 'no policy permits this request';

/**
 * Turns Cedar's answer into the gateway's decision. Deny overrides; among satisfied permits
 * the most restrictive wins: one approval permit makes the whole decision an approval.
 */
export function toDecision(answer: AuthorizationAnswer, policies: ReadonlyMap<string, PolicyMeta>): Decision {
  switch (answer.type) {
    case 'failure':
      return errorDecision(answer.errors.map((e) => e.message));
    case 'success':
      break;
    default:
      return unreachable(answer);
  }
  const { decision, diagnostics } = answer.response;
  // Cedar skips a policy that errors and decides without it; that could drop a forbid,
  // so any evaluation error denies the whole request.
  if (diagnostics.errors.length > 0) {
    return errorDecision(diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`));
  }
  const determining: PolicyMeta[] = [];
  for (const id of [...diagnostics.reason].sort()) {
    const meta = policies.get(id);
    if (meta === undefined) return errorDecision([`Cedar named unknown policy ${id}`]);
    determining.push(meta);
  }
  switch (decision) {
    case 'deny':
      return determining.length === 0
        ? { outcome: 'deny', policyIds: [], reasons: [DEFAULT_DENY_REASON], obligations: {} }
        : { outcome: 'deny', ...named(determining), obligations: {} };
    case 'allow':
      return permitDecision(determining);
    default:
      return unreachable(decision);
  }
}

function permitDecision(permits: PolicyMeta[]): Decision {
  // An allow is always made by at least one permit; anything else is not to be trusted.
  if (permits.length === 0 || permits.some((p) => p.effect !== 'permit')) {
    return errorDecision(['Cedar allowed without a determining permit']);
  }
  const approvals = permits.filter((p) => p.outcome === 'approval');
  if (approvals.length > 0) {
    return {
      outcome: 'approval',
      ...named(approvals),
      obligations: { ...rowCap(approvals), approvals: approvals.map(approvalObligation) },
    };
  }
  return { outcome: 'allow', ...named(permits), obligations: rowCap(permits) };
}

/**
 * Obligations come from the policies that made the outcome: an approved bulk read runs
 * under the cap its approval policy states, not the cap of the plain read it exceeded.
 */
function rowCap(policies: PolicyMeta[]): Obligations {
  const caps = policies.flatMap((p) => (p.maxRows === undefined ? [] : [p.maxRows]));
  return caps.length > 0 ? { maxRows: Math.min(...caps) } : {};
}

/** An approval policy's terms as the decision carries them (whatever the policy's id). */
function approvalObligation(p: PolicyMeta): ApprovalObligation {
  const { quorum, expires } = p.annotations;
  return {
    policyId: p.id,
    approvers: [...p.approvers],
    ...(quorum === undefined ? {} : { quorum }),
    ...(expires === undefined ? {} : { expires }),
  };
}

function named(policies: PolicyMeta[]): Pick<Decision, 'policyIds' | 'reasons'> {
  return { policyIds: policies.map((p) => p.id), reasons: policies.map((p) => p.message) };
}

export function errorDecision(details: string[]): Decision {
  const detail = details.length > 0 ? `: ${details.join('; ')}` : '';
  return {
    outcome: 'deny',
    policyIds: [ERROR_POLICY_ID],
    reasons: [`policy evaluation failed, request denied${detail}`],
    obligations: {},
  };
}

function unreachable(value: never): never {
  throw new TypeError(`unexpected Cedar answer ${JSON.stringify(value)}`);
}
