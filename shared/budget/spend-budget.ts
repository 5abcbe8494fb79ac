import { GatewayError } from '../errors.js';
import type { BudgetStore } from './budget-store.js';
import { type BudgetAmount, type BudgetLimits, spend } from './window.js';

const MAX_ATTEMPTS = 20;

export type BudgetOutcome = { ok: true; left: BudgetAmount } | { ok: false; left: BudgetAmount };

/**
 * Spends `amount` from the budget under `key` with read, check, conditional write; a lost
 * race reads again. Over budget spends nothing. A store that keeps losing is an error, so
 * data is never released on a budget nobody could check.
 */
export async function spendBudget(
  store: BudgetStore,
  key: string,
  amount: BudgetAmount,
  limits: BudgetLimits,
  now: () => Date,
): Promise<BudgetOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.read(key);
    const outcome = spend(stored?.doc ?? { buckets: {} }, amount, limits, now());
    if (!outcome.ok) return outcome;
    if (await store.write(key, outcome.doc, stored?.etag)) return { ok: true, left: outcome.left };
  }
  throw new GatewayError('store_unavailable', 'The budget store is too busy; no data was released.');
}
