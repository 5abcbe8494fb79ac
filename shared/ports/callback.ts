/** One POST of a callback notice, as the sender saw it end. */
export type CallbackAttempt =
  | { kind: 'delivered'; status: number }
  /** May pass: 5xx, 408, 429, a network error or the timeout. */
  | { kind: 'retry'; reason: string }
  /** Will not pass by trying again: another 4xx, a redirect, a refused address. */
  | { kind: 'fail'; reason: string };

/**
 * Port to whoever POSTs a signed notice to a checked callback URL. It never throws for a
 * delivery failure, follows no redirect, ignores the response body, and never reaches an
 * address that is not public (but loopback on the local host). Reasons carry statuses and
 * error codes only, never the URL's query or the key.
 */
export interface CallbackSender {
  post(url: URL, body: string, headers: Readonly<Record<string, string>>): Promise<CallbackAttempt>;
}
