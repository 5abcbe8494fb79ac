import type { ApprovalNotice, Notifier, NotifyOutcome } from '../ports/notifier.js';
import type { GroupWebhooks } from './group-webhooks.js';
import { buildApprovalCard } from './teams-card.js';

export interface TeamsWebhookOptions {
  webhooks: GroupWebhooks;
  /** Injectable for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Tries in all, the first included (4). */
  maxAttempts?: number;
  /** Backoff before try n+1: base * 2^(n-1), capped; a Retry-After is honoured up to the cap (1 s, 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per try (10 s). */
  timeoutMs?: number;
  now?: () => number;
}

type Attempt =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'fail'; reason: string };

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Posts the approval card to the Teams webhook of the request's approver group. Retries with
 * exponential backoff on 429 (honouring Retry-After) and 5xx and on network failures; any
 * other 4xx is final. Never throws for a delivery failure, and never puts the webhook URL (a
 * secret) in an outcome: reasons carry statuses and error class names only.
 */
export class TeamsWebhookNotifier implements Notifier {
  readonly #webhooks: GroupWebhooks;
  readonly #fetch: typeof fetch;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(options: TeamsWebhookOptions) {
    this.#webhooks = options.webhooks;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#baseDelayMs = options.baseDelayMs ?? 1_000;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1) {
      throw new TypeError('maxAttempts must be a positive integer');
    }
  }

  async notify(notice: ApprovalNotice): Promise<NotifyOutcome> {
    const url = this.#webhooks.webhookFor(notice.approverGroup);
    if (url === undefined) {
      return {
        ok: false,
        retryable: false,
        reason:
          notice.approverGroup === null
            ? 'the request names no approver group, so there is no Teams channel to tell'
            : `no Teams webhook is configured for approver group ${JSON.stringify(notice.approverGroup)}`,
      };
    }
    let body: string;
    try {
      body = JSON.stringify(buildApprovalCard(notice));
    } catch (error) {
      return { ok: false, retryable: false, reason: `the card could not be built (${errorName(error)})` };
    }
    let last = '';
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const result = await this.#post(url, body);
      if (result.kind === 'ok') return { ok: true };
      if (result.kind === 'fail') return { ok: false, retryable: false, reason: result.reason };
      last = result.reason;
      if (attempt === this.#maxAttempts) break;
      const backoff = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
      const wait =
        result.retryAfterMs === undefined ? backoff : Math.min(this.#maxDelayMs, result.retryAfterMs);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return { ok: false, retryable: true, reason: `${last}, after ${this.#maxAttempts} tries` };
  }

  async #post(url: string, body: string): Promise<Attempt> {
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        // A webhook that redirects is not the one configured.
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      // The error's message may quote the URL; only its class is kept.
      return { kind: 'retry', reason: `the Teams webhook could not be reached (${errorName(error)})` };
    }
    // The body is not needed; release the connection.
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return { kind: 'ok' };
    const reason = `the Teams webhook answered ${response.status}`;
    if (response.status === 429 || response.status === 408) {
      return {
        kind: 'retry',
        reason,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.#now()),
      };
    }
    if (response.status >= 500) return { kind: 'retry', reason };
    return { kind: 'fail', reason };
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
