import type { KeptLink, MaintenanceEvent, MaskingSummary } from '../audit/event.js';
import { eventId } from '../audit/event.js';
import { digestOf } from '../audit/result-digest.js';
import { blobClasses } from '../config/blob-connection.js';
import type { ReplayConfig } from '../config/replay.js';
import { unmaskedClasses } from '../decide-query.js';
import { BUILTIN_CLASSES } from '../masking/index.js';
import type { KeptRows, RequestTrace } from '../pipeline/trace.js';
import type { ResultStore } from '../ports/result-store.js';
import type { Principal } from '../types.js';
import type { UseCaseDeps } from './deps.js';

/**
 * Keeping released results for replay (connections with `replay`). The first rows of each
 * released read, exactly as released (masked), are written to the result store after the
 * request's audit event is durable; the event names the kept copy and its digest before the
 * copy exists. So a kept copy never holds what was not released (a read refused or failed
 * at the audit writes nothing), and a copy that was never written, lost or changed is found
 * on replay against the hash-chained event. The write is not awaited by the response: it is
 * tracked, its failure logged, counted and audited as a `replay.keep` maintenance event.
 */

/** Default retention of a kept result (`AGENTGATE_REPLAY_TTL_DAYS`). */
export const DEFAULT_REPLAY_TTL_MS = 30 * 24 * 3600 * 1000;

/** Kept writes in flight at most per instance (each holds at most 1,000 rows). */
export const MAX_PENDING_WRITES = 256;

export interface ReplayKeepStats {
  kept: number;
  failed: number;
  pending: number;
}

/** The result store kept copies go to, their retention, and the writes still in flight. */
export class ReplayKeeper {
  readonly #pending = new Set<Promise<void>>();
  #kept = 0;
  #failed = 0;

  constructor(
    readonly results: ResultStore,
    readonly ttlMs: number = DEFAULT_REPLAY_TTL_MS,
  ) {}

  /** Runs `write` off the response path; `onFailure` sees why it failed. */
  track(write: () => Promise<void>, onFailure: (error: unknown) => Promise<void>): void {
    // A store that hangs must not pile kept rows up in memory: past the cap, a copy is
    // refused at once, and visibly, like any failed write.
    if (this.#pending.size >= MAX_PENDING_WRITES) {
      this.#failed++;
      void onFailure(new Error(`${MAX_PENDING_WRITES} kept writes already in flight`)).catch(() => undefined);
      return;
    }
    const done: Promise<void> = write().then(
      () => {
        this.#kept++;
      },
      async (error: unknown) => {
        this.#failed++;
        await onFailure(error).catch(() => undefined);
      },
    );
    const tracked = done.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  stats(): ReplayKeepStats {
    return { kept: this.#kept, failed: this.#failed, pending: this.#pending.size };
  }

  /** Waits for every write started so far (tests, and a host that stops). */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}

/** Rows released, in the form their digest was taken over (objects, or value arrays). */
export interface ReleasedRows {
  replay: ReplayConfig | undefined;
  columns: ReadonlyArray<{ name: string; type: string }>;
  rows: readonly unknown[];
  masking: MaskingSummary | null;
}

/**
 * Marks the first rows of what this request releases for keeping, once `trace.released`
 * holds its digest. Call last, when nothing can refuse the release any more; `conclude`
 * writes the copy only after the event is durable, and drops the mark if the request fails.
 */
export function keepForReplay(
  deps: Pick<UseCaseDeps, 'replay' | 'newId' | 'log'>,
  trace: RequestTrace,
  released: ReleasedRows,
): void {
  const digest = trace.released?.digest;
  if (!deps.replay || !released.replay || !trace.principal || digest === undefined) return;
  // A reader who saw classes in clear (unmask permits) was released clear values: a kept
  // copy would store them and show them to auditors who may not see them. Not kept.
  if (trace.unmaskedClasses === undefined || trace.unmaskedClasses.length > 0) return;
  const rows = released.rows.slice(0, released.replay.keepRows);
  const columns = released.columns.map((c) => ({ name: c.name, type: c.type }));
  const kept = digestOf({ columns, rows });
  const complete = rows.length === released.rows.length;
  if (complete && kept !== digest) {
    // The rows given are not what the digest names: keeping them would prove nothing.
    deps.log(keepFailure(trace.requestId, new Error('the rows to keep do not match the released digest')));
    return;
  }
  trace.kept = {
    link: { replayResultId: `replay-${deps.newId()}`, digest: kept, rows: rows.length, complete },
    columns,
    rows,
    masking: released.masking ?? { columns: {}, cellsMasked: 0, byClass: {} },
    owner: { issuer: trace.principal.issuer, id: trace.principal.id },
  };
}

/** After the request's event is durable: write the kept rows, without holding the response. */
export function startKeptWrite(
  deps: Pick<UseCaseDeps, 'audit' | 'log'> & Partial<Pick<UseCaseDeps, 'replay' | 'now' | 'newId'>>,
  trace: RequestTrace,
): void {
  const { kept } = trace;
  const keeper = deps.replay;
  if (!kept || !keeper) return;
  const now = deps.now?.() ?? new Date();
  keeper.track(
    () => writeKept(keeper, trace.requestId, kept, now),
    (error) => reportKeepFailure(deps, trace, kept.link, error),
  );
}

async function writeKept(keeper: ReplayKeeper, requestId: string, kept: KeptRows, now: Date): Promise<void> {
  const writer = keeper.results.open({
    id: kept.link.replayResultId,
    requestId,
    owner: kept.owner,
    columns: kept.columns,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + keeper.ttlMs).toISOString(),
  });
  try {
    // Rows as released (objects for reads, value arrays for approved results): the store's
    // digest over them is then the digest the event names.
    await writer.append(kept.rows as unknown[][]);
    const { digest } = await writer.commit({ truncated: !kept.link.complete, masking: kept.masking });
    if (digest !== kept.link.digest) throw new Error('the kept result was written with another digest');
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
}

function keepFailure(requestId: string, error: unknown) {
  return {
    level: 'error' as const,
    requestId,
    code: 'replay_keep_failed',
    status: 500,
    message: 'The kept copy of a released result could not be written; the read was answered.',
    cause: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

/** Logged, and audited as a later event, so replay and search show the copy is missing and why. */
async function reportKeepFailure(
  deps: Pick<UseCaseDeps, 'audit' | 'log'> & Partial<Pick<UseCaseDeps, 'now' | 'newId'>>,
  trace: RequestTrace,
  link: KeptLink,
  error: unknown,
): Promise<void> {
  const logged = keepFailure(trace.requestId, error);
  deps.log(logged);
  const id = `${trace.requestId}-replay-keep`;
  const event: MaintenanceEvent = {
    id: eventId(id, 0),
    requestId: id,
    seq: 0,
    kind: 'maintenance',
    time: (deps.now?.() ?? new Date()).toISOString(),
    principal: null,
    transport: trace.transport,
    connection: trace.connection,
    action: 'replay.keep',
    task: 'replay.keep',
    ok: false,
    detail: { requestId: trace.requestId, replayResultId: link.replayResultId, error: logged.cause },
  };
  await deps.audit.append(event);
}

/**
 * The classes `principal` sees in clear on a connection, for a release whose masking was
 * done earlier (an approved result, masked with the requester's posture when it ran).
 */
export function clearClassesOn(
  deps: Pick<UseCaseDeps, 'connections' | 'blobs' | 'policy'>,
  principal: Principal,
  connection: string | null,
): string[] {
  const sql = connection === null ? undefined : deps.connections.get(connection);
  const blob = connection === null ? undefined : deps.blobs?.connections.get(connection);
  const classes = [
    ...BUILTIN_CLASSES,
    ...Object.values(sql?.classification ?? {}),
    ...(blob ? blobClasses(blob).map(([, cls]) => cls) : []),
  ];
  return [...unmaskedClasses(deps.policy, principal, classes)].sort();
}

/** The `replay` setting of a connection of any kind (SQL or blob), by id. */
export function replayOf(
  deps: Pick<UseCaseDeps, 'connections' | 'blobs'>,
  connection: string | null,
): ReplayConfig | undefined {
  if (connection === null) return undefined;
  return deps.connections.get(connection)?.replay ?? deps.blobs?.connections.get(connection)?.replay;
}
