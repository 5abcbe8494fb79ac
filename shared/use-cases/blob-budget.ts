import type { BlobConnectionConfig } from '../config/blob-connection.js';
import { gatewayApproval } from '../pipeline/decide.js';
import { budgetKey } from '../pipeline/release.js';
import type { RequestTrace } from '../pipeline/trace.js';
import type { Decision, Principal } from '../types.js';
import type { UseCaseDeps } from './deps.js';

/** The gateway's own approval of a read that would pass the agent's budget (as for SQL). */
export const BLOB_BUDGET_POLICY = 'gateway-budget';

/**
 * Spends what a read would release (its rows, and the bytes of its masked rows) from the
 * agent's budget on the connection, before anything is released. Over budget spends nothing
 * and answers the approval decision; people are not budgeted, as for SQL. An approved read
 * spends nothing: the approval is the exception to the budget.
 */
export async function overBlobBudget(
  deps: UseCaseDeps,
  trace: RequestTrace,
  principal: Principal,
  conn: BlobConnectionConfig,
  released: { rows: number; bytes: number },
): Promise<Decision | null> {
  const store = deps.budgets;
  const limits = conn.budget;
  if (principal.kind !== 'agent' || !store || !limits) return null;
  const outcome = await trace.clock.run('budget', () =>
    store.spend(budgetKey(principal, conn.id), released, limits),
  );
  if (outcome.ok) return null;
  return gatewayApproval(
    BLOB_BUDGET_POLICY,
    `This read of ${released.rows} rows and ${released.bytes} bytes would exceed your budget on this connection (${outcome.left.rows} rows and ${outcome.left.bytes} bytes left in the current ${limits.windowSeconds} s window).`,
    conn.approvers,
  );
}
