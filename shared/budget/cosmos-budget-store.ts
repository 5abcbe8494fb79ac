import type { Container } from '@azure/cosmos';
import { GatewayError } from '../errors.js';
import { withDeadline } from '../store/deadline.js';
import type { BudgetStore, StoredBudget } from './budget-store.js';
import type { BudgetDocument } from './window.js';

const TIMEOUT_MS = 5000;

function statusOf(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

function unavailable(cause: unknown): GatewayError {
  return new GatewayError('store_unavailable', 'The budget store is unavailable; no data was released.', {
    cause,
  });
}

/**
 * Budgets in the Cosmos DB `budgets` container, one item per key (partition `/id`).
 * Creates conflict (409) when the item appeared meanwhile; replaces carry If-Match on the
 * item's `_etag` and fail with 412 when someone else wrote first.
 */
export class CosmosBudgetStore implements BudgetStore {
  constructor(private readonly container: Container) {}

  async read(key: string): Promise<StoredBudget | undefined> {
    try {
      const { resource } = await withDeadline(TIMEOUT_MS, (abortSignal) =>
        this.container
          .item(key, key)
          .read<{ buckets?: BudgetDocument['buckets']; _etag?: string }>({ abortSignal }),
      );
      if (!resource) return undefined;
      return { doc: { buckets: resource.buckets ?? {} }, etag: resource._etag ?? '' };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw unavailable(e);
    }
  }

  async write(key: string, doc: BudgetDocument, etag: string | undefined): Promise<boolean> {
    const item = { id: key, buckets: doc.buckets };
    try {
      if (etag === undefined) {
        await withDeadline(TIMEOUT_MS, (abortSignal) => this.container.items.create(item, { abortSignal }));
      } else {
        await withDeadline(TIMEOUT_MS, (abortSignal) =>
          this.container
            .item(key, key)
            .replace(item, { abortSignal, accessCondition: { type: 'IfMatch', condition: etag } }),
        );
      }
      return true;
    } catch (e) {
      const status = statusOf(e);
      if (status === 409 || status === 412 || status === 404) return false;
      throw unavailable(e);
    }
  }
}
