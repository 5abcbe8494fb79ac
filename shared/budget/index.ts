export type { BudgetStore, StoredBudget } from './budget-store.js';
export { CosmosBudgetStore } from './cosmos-budget-store.js';
export { BudgetLedger, type BudgetLedgerOptions, type BudgetSpender } from './ledger.js';
export { type BudgetOutcome, spendBudget } from './spend-budget.js';
export type { BudgetAmount, BudgetDocument, BudgetLimits } from './window.js';
