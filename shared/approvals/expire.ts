import type { RequestTransitionEvent } from '../audit/event.js';
import type { RequestStatus, RequestStore, StoredRequest } from '../ports/request-store.js';
import { envelope, type StepContext } from './events.js';
import { isExpired, reserveSeqs, transition, updateRequest } from './lifecycle.js';

/** An `executing` request not updated for this long is taken to have died mid-run. */
export const DEFAULT_EXECUTING_STALE_MS = 15 * 60_000;

export interface ExpireDeps {
  requests: RequestStore;
  now: () => Date;
  /** Requests examined per status per run (oldest first). */
  limit?: number;
  executingStaleMs?: number;
}

export interface ExpireReport {
  expired: string[];
  /** Executing requests failed as `interrupted`. */
  interrupted: string[];
  events: RequestTransitionEvent[];
}

const context: StepContext = { transport: 'timer', principal: null };

/**
 * For the timer: moves pending and approved requests past their expiry to `expired`, and
 * fails `executing` requests that have not moved for `executingStaleMs` (a worker that died
 * mid-run), so none waits forever and none can run late. Each move is a conditional write
 * that re-checks the state it read, so a racing approval or execution wins cleanly.
 */
export async function expireStale(deps: ExpireDeps): Promise<ExpireReport> {
  const limit = deps.limit ?? 100;
  const staleMs = deps.executingStaleMs ?? DEFAULT_EXECUTING_STALE_MS;
  const report: ExpireReport = { expired: [], interrupted: [], events: [] };

  const move = async (id: string, from: RequestStatus, due: (r: StoredRequest, now: Date) => boolean) => {
    const update = await updateRequest<RequestTransitionEvent | null>(deps.requests, id, (current) => {
      const now = deps.now();
      if (current.status !== from || !due(current, now)) return { stop: null };
      const to = from === 'executing' ? 'failed' : 'expired';
      const changed =
        to === 'failed'
          ? transition(current, 'failed', now, {
              error: { code: 'interrupted', message: 'The execution was interrupted.' },
            })
          : transition(current, 'expired', now);
      const { next, seqs } = reserveSeqs(changed, 1);
      const event: RequestTransitionEvent = {
        ...envelope(next, seqs[0]!, now, context, 'approval.expire'),
        kind: 'request.transition',
        from,
        to,
        reason: to === 'failed' ? 'interrupted' : 'expired',
      };
      return { write: next, result: event };
    });
    if (update.kind !== 'written' || update.result === null) return;
    report.events.push(update.result);
    (from === 'executing' ? report.interrupted : report.expired).push(id);
  };

  for (const status of ['pending', 'approved'] as const) {
    for (const request of await deps.requests.list({ status, limit })) {
      if (isExpired(request, deps.now())) await move(request.id, status, isExpired);
    }
  }
  const stale = (r: StoredRequest, now: Date) => now.getTime() - Date.parse(r.updatedAt) >= staleMs;
  for (const request of await deps.requests.list({ status: 'executing', limit })) {
    if (stale(request, deps.now())) await move(request.id, 'executing', stale);
  }
  return report;
}
