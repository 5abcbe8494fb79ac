import { resultDigest } from '../audit/result-digest.js';
import { type BlobConnectionConfig, blobClasses } from '../config/blob-connection.js';
import { formatOf } from '../connectors/blob/parse.js';
import { type BlobPath, blobPathProblem, isExposed, splitBlobPath } from '../connectors/blob/path.js';
import type { BlobEntry, BlobRange } from '../connectors/blob/port.js';
import { unmaskedClasses } from '../decide-query.js';
import { GatewayError } from '../errors.js';
import { boundedRouteValue } from '../limits.js';
import { BUILTIN_CLASSES, type MaskingReport, maskTextDefault } from '../masking/index.js';
import { FREE_TEXT_CLASS, UNPROVEN_CLASS } from '../masking/provenance-plan.js';
import { gatewayApproval, refusalFor, requireAllow } from '../pipeline/decide.js';
import { newTrace, type RequestStart, type RequestTrace } from '../pipeline/trace.js';
import type { Decision, Principal } from '../types.js';
import { requestBlobApproval } from './blob-approval.js';
import { overBlobBudget } from './blob-budget.js';
import type { ListBlobsInput, ReadBlobInput } from './blob-inputs.js';
import { maskedBlobName } from './blob-names.js';
import { decideBlobList, decideBlobRead } from './blob-policy.js';
import { type ReadResult, readBinary, readTyped } from './blob-read.js';
import { type Concluded, conclude } from './conclude.js';
import type { BlobPorts, UseCaseDeps } from './deps.js';
import type { Outcome } from './outcome.js';
import { scannedPurpose } from './purpose.js';
import { keepForReplay } from './replay-keep.js';

export interface BlobListValue {
  requestId: string;
  decision: { outcome: Decision['outcome']; policyIds: string[] };
  entries: BlobEntry[];
  continuation: string | null;
}

export interface BlobReadValue {
  requestId: string;
  decision: { outcome: Decision['outcome']; policyIds: string[] };
  path: string;
  format: string;
  contentType: string | null;
  size: number;
  etag: string | null;
  versionId: string | null;
  range: BlobRange;
  columns: Array<{ name: string; type: string }>;
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
  bytesRead: number;
  masking: MaskingReport;
}

type BlobDeps = UseCaseDeps & { blobs?: BlobPorts };

/** The gateway's own refusal of a path outside the allowlist, named like a policy. */
export const BLOB_ALLOWLIST_POLICY = 'gateway-blob-allowlist';
/** The gateway's own refusal of a path whose name carries what the caller may not see. */
export const BLOB_NAME_POLICY = 'gateway-blob-name-masked';
/** The gateway's own approval of a read over the connection's byte threshold. */
export const BLOB_BYTES_POLICY = 'gateway-blob-read-bytes';

function notExposed(trace: RequestTrace): never {
  requireAllow(trace, {
    outcome: 'deny',
    policyIds: [BLOB_ALLOWLIST_POLICY],
    reasons: ['That path is not exposed on this connection.'],
    obligations: {},
  });
  throw new GatewayError('policy_denied', 'That path is not exposed on this connection.');
}

/** Classes a caller may see in clear in blob names (the detectors report built-in classes only). */
function clearInNames(deps: BlobDeps, principal: Principal): ReadonlySet<string> {
  return unmaskedClasses(deps.policy, principal, [...BUILTIN_CLASSES]);
}

/**
 * A path or prefix whose name carries a value the caller would see masked in a listing is
 * refused before the storage account is asked: decided from the string alone, the answer
 * is the same whether such a blob exists or not, so neither reads nor listings can confirm a
 * guessed name (an e-mail address, a card number). The audit names the masked form.
 */
function refuseMaskedName(
  deps: BlobDeps,
  trace: RequestTrace,
  principal: Principal,
  path: BlobPath,
  format: string,
): void {
  const name = maskedBlobName(deps.masker, path.name, clearInNames(deps, principal));
  if (!name.masked) return;
  trace.blob = {
    container: path.container,
    path: name.path,
    versionId: null,
    etag: null,
    contentType: null,
    format,
    size: null,
    bytesRead: 0,
  };
  const reason = 'That path carries personal data; blob names that do are masked and cannot be used.';
  requireAllow(trace, { outcome: 'deny', policyIds: [BLOB_NAME_POLICY], reasons: [reason], obligations: {} });
  throw new GatewayError('policy_denied', reason);
}

function findBlobConnection(
  deps: BlobDeps,
  id: string | null,
): { conn: BlobConnectionConfig; ports: BlobPorts } {
  const conn = id === null ? undefined : deps.blobs?.connections.get(id);
  if (!conn || !deps.blobs)
    throw new GatewayError('connection_not_found', 'No blob connection with that id exists.');
  return { conn, ports: deps.blobs };
}

/** A caller's path, refused unless canonical and inside the allowlist (audited either way). */
function checkedPath(
  trace: RequestTrace,
  conn: BlobConnectionConfig,
  raw: string,
  prefix: boolean,
): BlobPath {
  // A refused path is what was asked, as a statement: an auditor could not tell which file
  // or traversal an agent tried (red-team round 44). Masked as a blob name is, since a path
  // can carry personal data.
  const asked = () => {
    trace.statement = `${prefix ? 'LIST BLOBS' : 'READ BLOB'} ${maskTextDefault(raw) ?? '[withheld]'}`;
  };
  const problem = blobPathProblem(raw, { prefix });
  if (problem) {
    asked();
    throw new GatewayError('bad_request', `Invalid blob path: ${problem}.`);
  }
  const path = splitBlobPath(raw);
  const allow = Object.fromEntries(Object.entries(conn.containers).map(([c, spec]) => [c, spec.prefixes]));
  if (!isExposed(allow, path)) {
    asked();
    notExposed(trace);
  }
  return path;
}

function roots(conn: BlobConnectionConfig): BlobEntry[] {
  return Object.entries(conn.containers).flatMap(([container, spec]) =>
    spec.prefixes.map((p) => ({ kind: 'folder' as const, path: `${container}/${p}` })),
  );
}

function start(base: Omit<RequestStart, 'action' | 'connection'>, action: string, connection: string | null) {
  return newTrace({ ...base, action, connection: boundedRouteValue(connection) });
}

/** Lists the exposed roots (no prefix), or one page of a folder inside them. */
export function listBlobs(
  deps: BlobDeps,
  base: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
  given: ListBlobsInput,
): Promise<Outcome<BlobListValue>> {
  const input = scannedPurpose(given, deps.masker);
  const trace = start(base, 'blobs.list', input.connection);
  trace.principal = principal;
  trace.purpose = input.purpose ?? null;
  return conclude(deps, trace, async () => {
    const { conn, ports } = findBlobConnection(deps, input.connection);
    const path = input.prefix === undefined ? undefined : checkedPath(trace, conn, input.prefix, true);
    if (path) refuseMaskedName(deps, trace, principal, path, 'listing');
    const decision = decideBlobList({
      policy: deps.policy,
      principal,
      connection: conn,
      purpose: input.purpose,
      now: trace.time,
      container: path?.container ?? '',
      prefix: path?.name ?? '',
    });
    requireAllow(trace, decision);
    const listing = path
      ? await trace.clock.run('execute', () =>
          ports.connectorFor(conn).list(path.container, path.name, {
            maxPageSize: conn.maxListPage,
            ...(input.continuation ? { continuation: input.continuation } : {}),
          }),
        )
      : { entries: roots(conn), continuation: null };
    const allow = Object.fromEntries(Object.entries(conn.containers).map(([c, s]) => [c, s.prefixes]));
    // The target answers for the prefix asked; anything else it sent is dropped, not shown.
    // Names are content: what the detectors find in them is masked, as in the answer so in
    // the audit (the digest is over the masked entries).
    const clear = clearInNames(deps, principal);
    const entries = listing.entries
      .filter((e) => isExposed(allow, splitBlobPath(e.path)))
      .map((e): BlobEntry => {
        const name = maskedBlobName(deps.masker, e.path, clear);
        return name.masked ? { ...e, path: name.path, nameMasked: true } : e;
      });
    const json = JSON.stringify(entries);
    const columns = [{ name: 'entry', type: 'json' }];
    trace.blob = {
      container: path?.container ?? '',
      path: path?.name ?? '',
      versionId: null,
      etag: null,
      contentType: null,
      format: 'listing',
      size: null,
      bytesRead: entries.length,
    };
    trace.released = {
      rows: entries.length,
      cells: entries.length,
      bytes: Buffer.byteLength(json),
      digest: resultDigest(columns, json),
    };
    return {
      value: {
        requestId: trace.requestId,
        decision: { outcome: decision.outcome, policyIds: decision.policyIds },
        entries,
        continuation: listing.continuation,
      },
      end: { rowsReturned: entries.length, truncated: listing.continuation !== null },
    };
  });
}

/**
 * Byte ranges are widened to whole KiB. A record is returned only when the range holds all of
 * it, so with ranges to the byte the row count stepped at each record's last byte, and an agent
 * read a CSV row's raw length, and so the length of the masked name and address in it, in
 * seven requests (red-team round 44). At 1 KiB a step says only which record spans a KiB
 * boundary: the sum of some ten records' lengths, never one.
 */
export const RANGE_GRAIN = 1024;

/** The range asked for, widened to RANGE_GRAIN and checked against the blob's size. */
function rangeOf(input: ReadBlobInput, size: number): BlobRange {
  const asked = input.offset ?? 0;
  if (asked > 0 && asked >= size)
    throw new GatewayError('bad_request', 'The offset is past the end of the blob.');
  const offset = Math.floor(asked / RANGE_GRAIN) * RANGE_GRAIN;
  if (input.length === undefined) return { offset };
  const end = Math.min(size, Math.ceil((asked + input.length) / RANGE_GRAIN) * RANGE_GRAIN);
  return { offset, count: end - offset };
}

/** Reads one blob: allowlist, properties, decision (approval over the threshold), read, mask, audit. */
export function readBlob(
  deps: BlobDeps,
  base: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
  given: ReadBlobInput,
): Promise<Outcome<BlobReadValue>> {
  const input = scannedPurpose(given, deps.masker);
  const trace = start(base, 'blobs.read', input.connection);
  trace.principal = principal;
  trace.purpose = input.purpose ?? null;
  return conclude(deps, trace, () => readBody(deps, trace, principal, input));
}

/** The blob as the target describes it, checked against the connection's caps. */
async function inspect(deps: BlobDeps, trace: RequestTrace, principal: Principal, input: ReadBlobInput) {
  const { conn, ports } = findBlobConnection(deps, input.connection);
  const path = checkedPath(trace, conn, input.path, false);
  refuseMaskedName(deps, trace, principal, path, formatOf(path.name, null));
  const connector = ports.connectorFor(conn);
  const props = await trace.clock.run('estimate', () => connector.properties(path));
  const format = formatOf(path.name, props.contentType);
  trace.blob = {
    container: path.container,
    path: path.name,
    versionId: props.versionId,
    etag: props.etag,
    contentType: props.contentType,
    format,
    size: props.size,
    bytesRead: 0,
  };
  if (props.size > conn.maxBlobBytes) {
    throw new GatewayError(
      'payload_too_large',
      'The blob is larger than this connection lets the gateway read.',
    );
  }
  const range = rangeOf(input, props.size);
  if (range.offset > 0 || range.count !== undefined) trace.blob.range = { ...range };
  if (format === 'json' && trace.blob.range)
    throw new GatewayError('bad_request', 'JSON documents are read whole.');
  return {
    conn,
    path,
    connector,
    props,
    format,
    range,
    bytesToRead: range.count ?? props.size - range.offset,
  };
}

type Inspected = Awaited<ReturnType<typeof inspect>>;

/** Policy first; a read the policies allow but that exceeds the byte threshold goes to people. */
async function decideRead(
  deps: BlobDeps,
  trace: RequestTrace,
  principal: Principal,
  input: ReadBlobInput,
  b: Inspected,
) {
  const common = {
    policy: deps.policy,
    principal,
    connection: b.conn,
    purpose: input.purpose,
    now: trace.time,
  };
  let decision = await trace.clock.run('decide', () =>
    decideBlobRead({ ...common, ...b, ranged: trace.blob?.range !== undefined }),
  );
  if (decision.outcome === 'allow' && b.bytesToRead > b.conn.approvalBytes) {
    decision = gatewayApproval(
      BLOB_BYTES_POLICY,
      `Reads of more than ${b.conn.approvalBytes} bytes need approval.`,
      b.conn.approvers,
    );
  }
  trace.decision = decision;
  return decision;
}

/**
 * A bulk read goes to people whole: it is bounded by the bytes approved and by
 * `maxApprovedRows`, not by the row cap of a direct answer (approvers may lower it).
 */
function blobToPeople(
  deps: BlobDeps,
  trace: RequestTrace,
  principal: Principal,
  input: ReadBlobInput,
  b: Inspected,
  d: Decision,
  rows: number,
): Promise<Concluded<never>> {
  return requestBlobApproval({ ...deps, approvals: deps.approvals! }, trace, principal, {
    connection: b.conn,
    path: b.path,
    range: b.range,
    etag: b.props.etag,
    versionId: b.props.versionId,
    rowOffset: input.rowOffset ?? 0,
    maxRows: Math.min(d.obligations.maxRows ?? rows, input.maxRows ?? Infinity),
    purpose: input.purpose ?? null,
  });
}

async function readBody(
  deps: BlobDeps,
  trace: RequestTrace,
  principal: Principal,
  input: ReadBlobInput,
): Promise<Concluded<BlobReadValue>> {
  const b = await inspect(deps, trace, principal, input);
  const { conn, path, props, format, range } = b;
  const decision = await decideRead(deps, trace, principal, input, b);
  const toPeople = (d: Decision, rows: number) => blobToPeople(deps, trace, principal, input, b, d, rows);
  if (decision.outcome === 'approval' && deps.approvals) return toPeople(decision, conn.maxApprovedRows);
  if (decision.outcome !== 'allow') throw refusalFor(decision);
  const clear = unmaskedClasses(deps.policy, principal, [
    ...blobClasses(conn).map(([, cls]) => cls),
    ...BUILTIN_CLASSES,
    FREE_TEXT_CLASS,
    UNPROVEN_CLASS,
  ]);
  trace.unmaskedClasses = [...clear].sort();
  // The effective cap: the connection's, the caller's and the policy's, whichever is least.
  const maxRows = Math.min(
    conn.maxRows,
    input.maxRows ?? conn.maxRows,
    decision.obligations.maxRows ?? Infinity,
  );
  const run = {
    connector: b.connector,
    connection: conn,
    path,
    range,
    etag: props.etag,
    size: props.size,
    format,
    masker: deps.masker,
  };
  const read = await trace.clock.run('execute', () =>
    (format === 'binary' ? readBinary : readTyped)({
      ...run,
      unmasked: clear,
      rowOffset: input.rowOffset ?? 0,
      maxRows,
    }),
  );
  // Read but not released: a read past the agent's budget goes to people instead.
  const over = await overBlobBudget(deps, trace, principal, conn, {
    rows: read.rowCount,
    bytes: read.bytes,
    name: path.name,
  });
  if (over) {
    trace.decision = over;
    if (trace.blob) trace.blob.bytesRead = read.bytesRead;
    // The read that was over budget, no more: the rows it would have released.
    if (deps.approvals) return toPeople(over, maxRows);
    throw refusalFor(over);
  }
  const out = released(trace, decision, { path: input.path, props, format, range }, read);
  // Typed reads only: a binary read is one base64 cell no replay could check by eye.
  if (format !== 'binary') {
    keepForReplay(deps, trace, {
      replay: conn.replay,
      columns: read.columns,
      rows: read.rows,
      masking: read.masking,
    });
  }
  return out;
}

function released(
  trace: RequestTrace,
  decision: Decision,
  what: {
    path: string;
    props: { size: number; contentType: string | null; etag: string | null };
    format: string;
    range: BlobRange;
  },
  read: ReadResult,
): Concluded<BlobReadValue> {
  if (trace.blob) {
    trace.blob.bytesRead = read.bytesRead;
    trace.blob.versionId = read.versionId ?? trace.blob.versionId;
  }
  trace.masking = read.masking;
  trace.released = {
    rows: read.rowCount,
    cells: read.rowCount * read.columns.length,
    bytes: read.bytes,
    digest: read.digest,
  };
  return {
    value: {
      requestId: trace.requestId,
      decision: { outcome: decision.outcome, policyIds: decision.policyIds },
      path: what.path,
      format: what.format,
      contentType: what.props.contentType,
      size: what.props.size,
      etag: what.props.etag,
      versionId: read.versionId,
      range: what.range,
      columns: read.columns,
      rows: read.rows,
      rowCount: read.rowCount,
      truncated: read.truncated,
      bytesRead: read.bytesRead,
      masking: read.masking,
    },
    end: { rowsReturned: read.rowCount, truncated: read.truncated },
  };
}
