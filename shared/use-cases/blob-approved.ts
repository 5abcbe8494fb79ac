import { z } from 'zod';
import { sha256Hex } from '../approvals/create-request.js';
import type { ExecutedDetail, MaskedRows, OpenResult, StreamedRun } from '../approvals/execute-approved.js';
import { type BlobConnectionConfig, blobClasses } from '../config/blob-connection.js';
import { formatOf } from '../connectors/blob/parse.js';
import { blobPathProblem, isExposed, splitBlobPath } from '../connectors/blob/path.js';
import type { BlobProperties, BlobRange } from '../connectors/blob/port.js';
import { unmaskedClasses } from '../decide-query.js';
import { GatewayError } from '../errors.js';
import { BUILTIN_CLASSES } from '../masking/index.js';
import { FREE_TEXT_CLASS, UNPROVEN_CLASS } from '../masking/provenance-plan.js';
import type { StoredRequest } from '../ports/request-store.js';
import type { Principal } from '../types.js';
import { blobReadStatement } from './blob-approval.js';
import { decideBlobRead } from './blob-policy.js';
import { streamApprovedRead } from './blob-stream.js';
import type { BlobPorts, UseCaseDeps } from './deps.js';

/** The one parameter a stored blob read carries (shared/use-cases/blob-approval.ts). */
const storedBlobReadSchema = z
  .object({
    kind: z.literal('blob.read'),
    path: z.string().min(1),
    offset: z.number().int().min(0),
    count: z.number().int().min(0).optional(),
    rowOffset: z.number().int().min(1).optional(),
    etag: z.string().nullable(),
    versionId: z.string().nullable(),
  })
  .strict();

export type StoredBlobRead = z.output<typeof storedBlobReadSchema>;

/** The stored read, or null when the params are not exactly one blob read. */
export function storedBlobRead(request: StoredRequest): StoredBlobRead | null {
  if (request.params.length !== 1) return null;
  const parsed = storedBlobReadSchema.safeParse(request.params[0]);
  return parsed.success ? parsed.data : null;
}

/** Whether a stored request names a blob connection (and so runs as a blob read). */
export function isBlobRequest(deps: UseCaseDeps, request: StoredRequest): boolean {
  return deps.blobs?.connections.has(request.connection) === true;
}

type BlobDeps = UseCaseDeps & { blobs?: BlobPorts };

/** The stored read resolved against the connection as configured now. */
function storedTarget(deps: BlobDeps, request: StoredRequest) {
  const conn = deps.blobs?.connections.get(request.connection);
  const read = storedBlobRead(request);
  if (!conn || !deps.blobs)
    throw new GatewayError('connection_not_found', 'The request names a connection that no longer exists.');
  if (!read) throw new GatewayError('bad_request', 'The stored request is not a blob read.');
  if (blobPathProblem(read.path, { prefix: false }))
    throw new GatewayError('bad_request', 'The stored path is not valid.');
  const path = splitBlobPath(read.path);
  const range: BlobRange = {
    offset: read.offset,
    ...(read.count === undefined ? {} : { count: read.count }),
  };
  return { conn, read, path, range, connector: deps.blobs.connectorFor(conn) };
}

type Target = ReturnType<typeof storedTarget>;

/** `blob.read` decided again with the blob's properties now (the allowlist may have narrowed). */
function redecideRead(
  deps: BlobDeps,
  request: StoredRequest,
  principal: Principal,
  t: Target,
  p: BlobProperties,
): 'approval' | 'allow' | 'deny' {
  if (!exposed(t.conn, t.path)) return 'deny';
  return decideBlobRead({
    policy: deps.policy,
    principal,
    connection: t.conn,
    purpose: request.purpose ?? undefined,
    now: deps.now(),
    path: t.path,
    props: p,
    format: formatOf(t.path.name, p.contentType),
    bytesToRead: t.range.count ?? p.size - t.range.offset,
    ranged: t.range.offset > 0 || t.range.count !== undefined,
  }).outcome;
}

/**
 * The approved version parsed, masked and streamed whole into the result store (the writer
 * `open` answers), with the requester's posture; `detail.blob` is what the audit names.
 */
async function streamApproved(
  deps: BlobDeps,
  request: StoredRequest,
  principal: Principal,
  t: Target,
  p: BlobProperties,
  open: OpenResult,
  detail: ExecutedDetail,
): Promise<StreamedRun> {
  const format = formatOf(t.path.name, p.contentType);
  detail.blob = {
    container: t.path.container,
    path: t.path.name,
    versionId: t.read.versionId,
    etag: t.read.etag,
    contentType: p.contentType,
    format,
    size: p.size,
    bytesRead: 0,
    ...(t.range.offset > 0 || t.range.count !== undefined ? { range: { ...t.range } } : {}),
  };
  if (p.size > t.conn.maxBlobBytes)
    throw new GatewayError(
      'payload_too_large',
      'The blob is larger than this connection lets the gateway read.',
    );
  const unmasked = unmaskedClasses(deps.policy, principal, [
    ...blobClasses(t.conn).map(([, cls]) => cls),
    ...BUILTIN_CLASSES,
    FREE_TEXT_CLASS,
    UNPROVEN_CLASS,
  ]);
  return streamApprovedRead(
    {
      connector: t.connector,
      connection: t.conn,
      path: t.path,
      range: t.range,
      // The approved version (`If-Match`), never whatever is there now.
      etag: t.read.etag,
      size: p.size,
      format,
      masker: deps.masker,
      unmasked,
      rowOffset: t.read.rowOffset ?? 0,
      // What approvers were shown (and may have lowered), as for approved SQL.
      maxRows: request.maxRows,
    },
    open,
    detail,
  );
}

/**
 * An approved blob read, run as the direct read would: exactly the stored path and range,
 * of exactly the version approved (ETag and version unchanged, and the read pinned by
 * `If-Match` too), decided again under the policies in force, masked with the requester's
 * posture (`principal`: the recorded requester). The hooks of `executeApproved`
 * (shared/approvals/execute-approved.ts); the properties are fetched once for all of them.
 */
export function storedBlobRun(deps: BlobDeps, request: StoredRequest, principal: Principal) {
  let target: Target | undefined;
  let props: Promise<BlobProperties> | undefined;
  const resolved = () => {
    target ??= storedTarget(deps, request);
    return target;
  };
  const properties = () => {
    const t = resolved();
    props ??= t.connector.properties(t.path);
    return props;
  };
  return {
    /** The stored fingerprint recomputed; a statement that does not match its params refuses. */
    fingerprintOf: (): string => {
      const t = resolved();
      if (
        blobReadStatement({
          path: t.path,
          range: t.range,
          etag: t.read.etag,
          rowOffset: t.read.rowOffset,
        }) !== request.statement
      )
        return 'statement-does-not-match-params';
      return sha256Hex(`blob.read ${t.read.path}`);
    },
    /** The approver approved these bytes: a blob rewritten (or deleted) since is not read. */
    precondition: async (): Promise<'blob_changed' | null> => {
      const { read } = resolved();
      let p: BlobProperties;
      try {
        p = await properties();
      } catch (e) {
        if (e instanceof GatewayError && e.code === 'not_found') return 'blob_changed';
        throw e;
      }
      return p.etag === read.etag && p.versionId === read.versionId ? null : 'blob_changed';
    },
    redecide: async () => redecideRead(deps, request, principal, resolved(), await properties()),
    /** Never called: the read streams (`streamAndStore`), so no result is ever held whole. */
    runAndMask: async (): Promise<MaskedRows> => {
      throw new GatewayError('internal', 'An approved blob read streams into the result store.');
    },
    streamAndStore: async (_r: StoredRequest, open: OpenResult, detail: ExecutedDetail) =>
      streamApproved(deps, request, principal, resolved(), await properties(), open, detail),
  };
}

function exposed(conn: BlobConnectionConfig, path: ReturnType<typeof splitBlobPath>): boolean {
  const allow = Object.fromEntries(Object.entries(conn.containers).map(([c, spec]) => [c, spec.prefixes]));
  return isExposed(allow, path);
}
