import { GatewayError } from '../errors.js';
import {
  REQUEST_TRANSITIONS,
  type RequestStatus,
  type RequestStore,
  type StoredRequest,
  type Versioned,
} from '../ports/request-store.js';

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return REQUEST_TRANSITIONS[from].includes(to);
}

/**
 * The request moved to `to` at `now`. Throws TypeError for a transition REQUEST_TRANSITIONS
 * does not allow: callers check first, so reaching this is a bug, never a lost race.
 */
export function transition(
  request: StoredRequest,
  to: RequestStatus,
  now: Date,
  changes: Partial<Omit<StoredRequest, 'id' | 'status' | 'updatedAt'>> = {},
): StoredRequest {
  if (!canTransition(request.status, to)) {
    throw new TypeError(`request ${request.id} cannot go from ${request.status} to ${to}`);
  }
  return { ...request, ...changes, status: to, updatedAt: now.toISOString() };
}

/** True once `now` has reached the request's expiry. */
export function isExpired(request: StoredRequest, now: Date): boolean {
  return now.getTime() >= Date.parse(request.expiresAt);
}

/**
 * Takes `count` audit seqs: the request to write (with `auditSeq` moved on) and the seqs,
 * which belong to whoever's conditional write succeeds.
 */
export function reserveSeqs(request: StoredRequest, count: number): { next: StoredRequest; seqs: number[] } {
  const seqs = Array.from({ length: count }, (_, i) => request.auditSeq + i);
  return { next: { ...request, auditSeq: request.auditSeq + count }, seqs };
}

/** What one attempt decided on the request as it was read: write this, or stop here. */
export type Step<T> = { write: StoredRequest; result: T } | { stop: T };

export type UpdateOutcome<T> =
  | { kind: 'written'; result: T; stored: Versioned<StoredRequest> }
  | { kind: 'stopped'; result: T; current: StoredRequest }
  | { kind: 'missing' };

export const MAX_UPDATE_ATTEMPTS = 8;

/**
 * Reads the request, lets `step` decide on what it read, and writes with that version's
 * etag. When another writer got there first, reads again and asks `step` again, so a
 * transition is retried only while it is still valid on the newer state. `step` must be
 * free of effects beyond building its answer: it may run more than once.
 */
export async function updateRequest<T>(
  store: RequestStore,
  id: string,
  step: (current: StoredRequest) => Step<T> | Promise<Step<T>>,
): Promise<UpdateOutcome<T>> {
  for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
    const current = await store.get(id);
    if (current === null) return { kind: 'missing' };
    const decided = await step(current.value);
    if ('stop' in decided) return { kind: 'stopped', result: decided.stop, current: current.value };
    const written = await store.replace(decided.write, current.etag);
    if (written.ok) return { kind: 'written', result: decided.result, stored: written.value };
    if (written.reason === 'missing') return { kind: 'missing' };
  }
  throw new GatewayError('store_unavailable', 'The request is changing too often to update; try again.');
}
