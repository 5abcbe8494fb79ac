import type { PrincipalSnapshot, ResultReleasedEvent, Transport } from '../audit/event.js';
import { resultDigest } from '../audit/result-digest.js';
import { GatewayError } from '../errors.js';
import type { RequestStatus, RequestStore } from '../ports/request-store.js';
import type { ResultStore, StoredResult } from '../ports/result-store.js';
import { envelope, sameParty } from './events.js';
import { reserveSeqs, updateRequest } from './lifecycle.js';

export interface FetchResultDeps {
  requests: RequestStore;
  results: ResultStore;
  now: () => Date;
  transport?: Transport;
}

export type FetchOutcome =
  /** Record `event` first, and release `result` only once it is recorded. */
  | { kind: 'released'; result: StoredResult; event: ResultReleasedEvent }
  /** Unknown, not the caller's, or past its TTL: all answered 404. */
  | { kind: 'not_found' }
  | { kind: 'not_ready'; status: RequestStatus };

/**
 * The masked result of a completed request, for its requester only (same issuer and id)
 * and only until the result's TTL. Each release takes its own audit seq.
 */
export async function fetchResult(
  deps: FetchResultDeps,
  requestId: string,
  caller: PrincipalSnapshot,
): Promise<FetchOutcome> {
  const current = await deps.requests.get(requestId);
  if (current === null || !sameParty(current.value.requester, caller)) return { kind: 'not_found' };
  const request = current.value;
  if (request.status !== 'completed' || request.resultId === undefined) {
    return { kind: 'not_ready', status: request.status };
  }
  const result = await deps.results.get(request.resultId, deps.now());
  if (result === null) return { kind: 'not_found' };
  // One serialisation of the rows serves the digest check and the byte count.
  const rowsJson = JSON.stringify(result.rows);
  if (
    result.requestId !== request.id ||
    !sameParty(result.owner, caller) ||
    resultDigest(result.columns, rowsJson) !== result.digest
  ) {
    throw new GatewayError('internal', 'A stored result does not belong to its request.');
  }

  const reserved = await updateRequest<number>(deps.requests, requestId, (latest) => {
    const { next, seqs } = reserveSeqs(latest, 1);
    return { write: next, result: seqs[0]! };
  });
  if (reserved.kind !== 'written') return { kind: 'not_found' };
  const now = deps.now();
  // Checked again after the write: the TTL may have passed while the seq was reserved.
  if (now.getTime() >= Date.parse(result.expiresAt)) return { kind: 'not_found' };
  const event: ResultReleasedEvent = {
    ...envelope(
      reserved.stored.value,
      reserved.result,
      now,
      { transport: deps.transport ?? 'rest', principal: caller },
      'approval.result',
    ),
    kind: 'result.released',
    rows: result.rows.length,
    cells: result.rows.length * result.columns.length,
    bytes: Buffer.byteLength(rowsJson, 'utf8'),
    digest: result.digest,
  };
  return { kind: 'released', result, event };
}
