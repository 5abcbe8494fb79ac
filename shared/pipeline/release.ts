import { createHash } from 'node:crypto';
import type { BudgetStore } from '../budget/index.js';
import { spendBudget } from '../budget/index.js';
import type { ConnectionConfig } from '../config/connections.js';
import type { Principal } from '../types.js';
import { gatewayApproval, requireAllow } from './decide.js';
import type { RequestTrace } from './trace.js';

export interface BudgetLeft {
  rowsLeft: number;
  bytesLeft: number;
  windowSeconds: number;
}

/** Budgets are per principal (by issuer and id) and connection; hashed so any id is a valid item id. */
export function budgetKey(principal: Principal, connection: string): string {
  const who = JSON.stringify([connection, principal.kind, principal.issuer, principal.id]);
  return createHash('sha256').update(who).digest('hex');
}

/**
 * Stage 7: the last checks before data leaves. One response may carry at most the
 * connection's byte cap to an agent, and an agent's reads on a connection spend a budget
 * per window; either limit sends the read to approval instead of releasing it.
 */
export async function checkRelease(input: {
  trace: RequestTrace;
  principal: Principal;
  connection: ConnectionConfig;
  budgets: BudgetStore | undefined;
  rows: number;
  bytes: number;
  /** Rows this read counts for (the rows read, when the result folds many into one cell). */
  spentRows: number;
  now: () => Date;
}): Promise<BudgetLeft | undefined> {
  const { trace, principal, connection: conn, bytes } = input;
  if (principal.kind !== 'agent') return undefined;
  if (bytes > conn.maxResponseBytes) {
    requireAllow(
      trace,
      gatewayApproval(
        'gateway-response-bytes',
        `The result is ${bytes} bytes, more than the ${conn.maxResponseBytes} one response may carry to an agent.`,
      ),
    );
  }
  const budget = conn.budget;
  const store = input.budgets;
  if (!budget || !store) return undefined;
  const spent = input.spentRows;
  const outcome = await trace.clock.run('budget', () =>
    spendBudget(store, budgetKey(principal, conn.id), { rows: spent, bytes }, budget, input.now),
  );
  if (!outcome.ok) {
    requireAllow(
      trace,
      gatewayApproval(
        'gateway-budget',
        `This read of ${spent} rows and ${bytes} bytes would exceed your budget on this connection (${outcome.left.rows} rows and ${outcome.left.bytes} bytes left in the current ${budget.windowSeconds} s window).`,
      ),
    );
  }
  return { rowsLeft: outcome.left.rows, bytesLeft: outcome.left.bytes, windowSeconds: budget.windowSeconds };
}
