import { isExpired } from '../approvals/index.js';
import { GatewayError } from '../errors.js';
import type { Principal } from '../types.js';
import type { ApprovalPorts, UseCaseDeps } from './deps.js';

/**
 * At most `limits.pendingApprovalsPerPrincipal` requests of one requester wait for approval
 * at once; one more is refused before it is stored, queued or shown to anyone. Without it one
 * agent's probes bury every other caller's requests in the approvers' inbox (red-team round
 * 13: 500 of them, the inbox showing 200) and send a Teams card each. Counted from the store,
 * so it holds across instances; requests that arrive together may pass the count together,
 * at most one per statement the caller may have in flight.
 */
export async function refuseOverPendingCap(
  deps: UseCaseDeps & { approvals: ApprovalPorts },
  requester: Principal,
  now: Date,
): Promise<void> {
  const max = deps.config.limits.pendingApprovalsPerPrincipal;
  const pending = await deps.approvals.requests.list({
    status: 'pending',
    // Expired ones wait for the expiry timer; reading past them finds the live ones.
    limit: max * 4,
    requester: { issuer: requester.issuer, id: requester.id },
  });
  const waiting = pending.filter((r) => !isExpired(r, now)).length;
  if (waiting < max) return;
  throw new GatewayError(
    'too_many_pending',
    `You already have ${waiting} requests waiting for approval, as many as one caller may (${max}); this one was not stored and nothing ran. Wait for a decision or cancel one of yours.`,
    { details: { limit: max } },
  );
}
