import { type BlobConnectionConfig, matchesPattern } from '../config/blob-connection.js';
import { gatewayApproval } from '../pipeline/decide.js';
import { budgetKey, tableBudgetScope } from '../pipeline/release.js';
import type { RequestTrace } from '../pipeline/trace.js';
import type { Decision, Principal } from '../types.js';
import type { UseCaseDeps } from './deps.js';

/** The gateway's own approval of a read that would pass the agent's budget (as for SQL). */
export const BLOB_BUDGET_POLICY = 'gateway-budget';

/**
 * Spends what a read would release (its rows, and the bytes of its masked rows) from the
 * agent's budget on the connection, and from the table budget of every SQL table the blob is
 * declared to hold (`tableBudgets`), before anything is released. Over any of them is the
 * approval decision; budgets spent before it stay spent, as for SQL. People are not budgeted,
 * and an approved read spends nothing: the approval is the exception to the budget.
 */
export async function overBlobBudget(
  deps: UseCaseDeps,
  trace: RequestTrace,
  principal: Principal,
  conn: BlobConnectionConfig,
  released: { rows: number; bytes: number; name: string },
): Promise<Decision | null> {
  const store = deps.budgets;
  if (principal.kind !== 'agent' || !store) return null;
  const spent = { rows: released.rows, bytes: released.bytes };
  const over = (left: { rows: number; bytes: number }, windowSeconds: number, what: string) =>
    gatewayApproval(
      BLOB_BUDGET_POLICY,
      `This read of ${released.rows} rows and ${released.bytes} bytes would exceed your budget on ${what} (${left.rows} rows and ${left.bytes} bytes left in the current ${windowSeconds} s window).`,
      conn.approvers,
    );
  for (const [pattern, ref] of Object.entries(conn.tableBudgets)) {
    const table = deps.connections.get(ref.connection);
    const limits = table?.tableBudgets[ref.table];
    if (!table || !limits || !matchesPattern(pattern, released.name)) continue;
    const key = budgetKey(principal, tableBudgetScope(table), ref.table);
    const outcome = await trace.clock.run('budget', () => store.spend(key, spent, limits));
    if (!outcome.ok) return over(outcome.left, limits.windowSeconds, `table ${ref.table}`);
  }
  const limits = conn.budget;
  if (!limits) return null;
  const outcome = await trace.clock.run('budget', () =>
    store.spend(budgetKey(principal, conn.id), spent, limits),
  );
  return outcome.ok ? null : over(outcome.left, limits.windowSeconds, 'this connection');
}
