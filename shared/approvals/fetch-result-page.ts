import type { PrincipalSnapshot, ResultReleasedEvent } from '../audit/event.js';
import { GatewayError } from '../errors.js';
import type { ResultPage } from '../ports/result-store.js';
import { envelope, sameParty } from './events.js';
import type { FetchResultDeps } from './fetch-result.js';
import { reserveSeqs, updateRequest } from './lifecycle.js';

/** Rows of one page at most (and the default when a caller names only a continuation). */
export const MAX_PAGE_ROWS = 10_000;
const MAX_TOKEN_LENGTH = 512;

export type PageOutcome =
  /** Record `event` first, and release `page` only once it is recorded. */
  | { kind: 'released'; page: ResultPage; continuation: string | undefined; event: ResultReleasedEvent }
  | { kind: 'not_found' }
  | { kind: 'not_ready'; status: string };

interface Token {
  /** The result the token continues, and a prefix of its digest: it continues nothing else. */
  r: string;
  d: string;
  /** The next row. */
  o: number;
}

function invalid(): GatewayError {
  return new GatewayError('bad_request', 'invalid continuation token');
}

export function encodePageToken(page: Pick<ResultPage, 'id' | 'digest'>, next: number): string {
  const token: Token = { r: page.id, d: page.digest.slice(0, 16), o: next };
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

/**
 * The offset a caller's token names, once it is known to be a token for this very result.
 * It carries no secret: whoever holds it is the result's owner (checked on every page), and
 * a rewritten offset only names another page of the owner's own result.
 */
function decodePageToken(token: string, resultId: string): { offset: number; digest: string } {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let parsed: Partial<Record<keyof Token, unknown>>;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid();
  const { r, d, o } = parsed;
  if (r !== resultId || typeof d !== 'string' || d.length !== 16) throw invalid();
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 1) throw invalid();
  return { offset: o, digest: d };
}

/**
 * One page of the masked result of a completed request, for its requester only, until the
 * result's TTL: the first without a token, the next with the token the one before gave.
 * Each page is released under its own audit seq, naming its first row.
 */
export async function fetchResultPage(
  deps: FetchResultDeps,
  requestId: string,
  caller: PrincipalSnapshot,
  wanted: { limit?: number; continuation?: string },
): Promise<PageOutcome> {
  const current = await deps.requests.get(requestId);
  if (current === null || !sameParty(current.value.requester, caller)) return { kind: 'not_found' };
  const request = current.value;
  if (request.status !== 'completed' || request.resultId === undefined) {
    return { kind: 'not_ready', status: request.status };
  }
  const limit = Math.min(wanted.limit ?? MAX_PAGE_ROWS, MAX_PAGE_ROWS);
  const token =
    wanted.continuation === undefined ? null : decodePageToken(wanted.continuation, request.resultId);
  const offset = token?.offset ?? 0;
  const page = await deps.results.getPage(request.resultId, deps.now(), offset, limit);
  if (page === null) return { kind: 'not_found' };
  if (page.requestId !== request.id || !sameParty(page.owner, caller)) {
    throw new GatewayError('internal', 'A stored result does not belong to its request.');
  }
  if (token !== null && (token.digest !== page.digest.slice(0, 16) || offset >= page.rowCount))
    throw invalid();
  const reserved = await updateRequest<number>(deps.requests, requestId, (latest) => {
    const { next, seqs } = reserveSeqs(latest, 1);
    return { write: next, result: seqs[0]! };
  });
  if (reserved.kind !== 'written') return { kind: 'not_found' };
  const now = deps.now();
  if (now.getTime() >= Date.parse(page.expiresAt)) return { kind: 'not_found' };
  const context = { transport: deps.transport ?? 'rest', principal: caller } as const;
  const event: ResultReleasedEvent = {
    ...envelope(reserved.stored.value, reserved.result, now, context, 'approval.result'),
    kind: 'result.released',
    rows: page.rows.length,
    cells: page.rows.length * page.columns.length,
    bytes: Buffer.byteLength(JSON.stringify(page.rows), 'utf8'),
    digest: page.digest,
    offset,
  };
  const next = offset + page.rows.length;
  const continuation = next < page.rowCount ? encodePageToken(page, next) : undefined;
  return { kind: 'released', page, continuation, event };
}
