import type { BudgetStore, StoredBudget } from '../../shared/budget/budget-store.js';
import type { BudgetDocument } from '../../shared/budget/window.js';

/** In-process budgets: a TEST ADAPTER with the Cosmos adapter's conditional-write contract. */
export class MemoryBudgetStore implements BudgetStore {
  private readonly docs = new Map<string, { doc: BudgetDocument; version: number }>();

  async read(key: string): Promise<StoredBudget | undefined> {
    const entry = this.docs.get(key);
    return entry ? { doc: structuredClone(entry.doc), etag: String(entry.version) } : undefined;
  }

  async write(key: string, doc: BudgetDocument, etag: string | undefined): Promise<boolean> {
    const entry = this.docs.get(key);
    if (etag === undefined ? entry !== undefined : entry === undefined || String(entry.version) !== etag) {
      return false;
    }
    this.docs.set(key, { doc: structuredClone(doc), version: (entry?.version ?? 0) + 1 });
    return true;
  }
}
