import type { ApprovalNotice, Notifier, NotifyOutcome } from '../ports/notifier.js';
import { buildApprovalCard, type TeamsCardMessage } from './teams-card.js';

export interface InboxEntry {
  requestId: string;
  /** ISO-8601, when the (latest) card for the request arrived. */
  receivedAt: string;
  notice: ApprovalNotice;
  /** The same card Teams would get, so the local host shows what approvers would see. */
  card: TeamsCardMessage;
}

/**
 * The local host's notifier: keeps the cards in memory for its `/api/inbox` page instead of
 * posting them. Bounded (oldest dropped first); a second card for the same request replaces
 * the first, as a redelivered notification must not show twice.
 */
export class InboxNotifier implements Notifier {
  readonly #entries = new Map<string, InboxEntry>();
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(options: { capacity?: number; now?: () => number } = {}) {
    this.#capacity = options.capacity ?? 200;
    this.#now = options.now ?? Date.now;
    if (!Number.isInteger(this.#capacity) || this.#capacity < 1)
      throw new TypeError('capacity must be positive');
  }

  async notify(notice: ApprovalNotice): Promise<NotifyOutcome> {
    let card: TeamsCardMessage;
    try {
      card = buildApprovalCard(notice);
    } catch (error) {
      return {
        ok: false,
        retryable: false,
        reason: `the card could not be built (${error instanceof Error ? error.name : typeof error})`,
      };
    }
    this.#entries.delete(notice.requestId);
    this.#entries.set(notice.requestId, {
      requestId: notice.requestId,
      receivedAt: new Date(this.#now()).toISOString(),
      notice: structuredClone(notice),
      card,
    });
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return { ok: true };
  }

  /** Newest first, copies. */
  list(): InboxEntry[] {
    return [...this.#entries.values()].reverse().map((e) => structuredClone(e));
  }

  get(requestId: string): InboxEntry | undefined {
    const entry = this.#entries.get(requestId);
    return entry ? structuredClone(entry) : undefined;
  }
}
