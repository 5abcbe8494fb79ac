import type { KeptLink, RequestEvent } from '../audit/event.js';
import { digestOf } from '../audit/result-digest.js';
import { GatewayError } from '../errors.js';
import type { Principal } from '../types.js';
import type { UseCaseDeps } from './deps.js';

/**
 * The kept rows of a replayed command (shared/use-cases/replay-keep.ts), checked against the
 * audit event that names them: the event is hash-chained, the kept copy is not, so a copy
 * whose digest, row count or request differs from the event is flagged and not shown.
 */

/** The group whose members may see kept rows: the rows are data, masked but data. */
export const REPLAY_ROWS_GROUP = 'auditors';

/**
 * `verified`: the copy is what the event names. `mismatch`: it is not (changed, swapped, or
 * refused by the store's own integrity check). `missing`: expired, never written (see
 * `failure`), or deleted. `unreadable`: the result store did not answer.
 */
export type KeptCheck = 'verified' | 'mismatch' | 'missing' | 'unreadable';

export interface KeptView extends KeptLink {
  /** Set when rows were asked for. */
  check?: KeptCheck;
  /** The kept rows as released (objects for reads, value arrays for approved results). */
  result?: { columns: Array<{ name: string; type: string }>; rows: unknown[] };
  /** Why the copy was never written, from its `replay.keep` event. */
  failure?: string;
}

/** Beyond `audit.read`: membership of the auditors group itself. */
export function requireRowsReader(principal: Principal): void {
  if (principal.kind === 'human' && principal.groups.includes(REPLAY_ROWS_GROUP)) return;
  throw new GatewayError('forbidden', 'Only members of the auditors group may see kept results.', {
    details: { policyIds: ['replay-rows-auditors-only'] },
  });
}

/** Why the kept write of `requestId` failed, if its failure was audited. */
async function keepFailureOf(deps: UseCaseDeps, requestId: string): Promise<string | undefined> {
  const page = await deps.audit.search({ requestId: `${requestId}-replay-keep` }, { limit: 1 });
  const event = page.records.find((e) => e.kind === 'maintenance' && e.task === 'replay.keep');
  const error = event?.kind === 'maintenance' ? event.detail.error : undefined;
  return typeof error === 'string' ? error : error === undefined ? undefined : 'the write failed';
}

/** The kept copy an event names, read and checked; rows only when it verifies. */
export async function readKept(deps: UseCaseDeps, event: RequestEvent, link: KeptLink): Promise<KeptView> {
  const view: KeptView = { ...link };
  if (!deps.replay) return { ...view, check: 'unreadable' };
  let stored: Awaited<ReturnType<typeof deps.replay.results.get>>;
  try {
    stored = await deps.replay.results.get(link.replayResultId, deps.now());
  } catch (e) {
    const down = e instanceof GatewayError && e.code === 'store_unavailable';
    return { ...view, check: down ? 'unreadable' : 'mismatch' };
  }
  if (stored === null) {
    const failure = await keepFailureOf(deps, event.requestId).catch(() => undefined);
    return { ...view, check: 'missing', ...(failure ? { failure } : {}) };
  }
  const same =
    stored.requestId === event.requestId &&
    stored.rows.length === link.rows &&
    digestOf({ columns: stored.columns, rows: stored.rows }) === link.digest;
  if (!same) return { ...view, check: 'mismatch' };
  return { ...view, check: 'verified', result: { columns: stored.columns, rows: stored.rows } };
}
