import type { BudgetDocument } from './window.js';

export interface StoredBudget {
  doc: BudgetDocument;
  /** Opaque version for the conditional write (Cosmos `_etag`). */
  etag: string;
}

/**
 * Persistence port for budgets. `write` is conditional: with an etag it succeeds only if the
 * document is unchanged since it was read, without one only if it does not exist yet; a lost
 * race answers false and the caller reads again. That is what keeps concurrent requests from
 * spending the same rows twice.
 */
export interface BudgetStore {
  read(key: string): Promise<StoredBudget | undefined>;
  write(key: string, doc: BudgetDocument, etag: string | undefined): Promise<boolean>;
}
