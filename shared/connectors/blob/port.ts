import type { Readable } from 'node:stream';
import type { BlobPath } from './path.js';

/** One entry of a listing: a blob, or a folder (a name prefix ending in `/`). */
export type BlobEntry =
  | {
      kind: 'blob';
      /** `container/name`. */
      path: string;
      size: number;
      contentType: string | null;
      lastModified: string | null;
      etag: string | null;
      versionId: string | null;
      /** What the detectors found in the name is masked in `path`: it is not a path to read. */
      nameMasked?: true;
    }
  | { kind: 'folder'; path: string; nameMasked?: true };

export interface BlobListing {
  entries: BlobEntry[];
  /** Opaque marker of the next page; null on the last page. */
  continuation: string | null;
}

export interface BlobProperties {
  size: number;
  contentType: string | null;
  etag: string | null;
  versionId: string | null;
  lastModified: string | null;
  /** Index tags; read only when the blob has some. */
  tags: Record<string, string>;
}

export interface BlobRange {
  offset: number;
  /** Bytes to read from `offset`; to the end when absent. */
  count?: number;
}

export interface BlobRead {
  /** The bytes, as the target sends them; the caller destroys it when it has read enough. */
  body: Readable;
  /** What the target says it served (the version read, so a change between calls is seen). */
  etag: string | null;
  versionId: string | null;
}

export interface BlobReadOptions {
  /**
   * The connection's timeout bounds the start of the answer and then each pause between
   * chunks, not the whole transfer (an approved export may stream for many minutes).
   */
  idle?: boolean;
}

/**
 * Port to a storage account. Adapters reach it with the gateway's own identity and are
 * handed paths the caller has already checked against the allowlist (shared/connectors/blob/
 * path.ts); they never build paths themselves.
 */
export interface BlobConnector {
  /** One page of the blobs and folders directly under `prefix` (hierarchical, `/`). */
  list(
    container: string,
    prefix: string,
    page: { continuation?: string; maxPageSize: number },
  ): Promise<BlobListing>;
  /** Properties of one blob; `not_found` when it does not exist. */
  properties(path: BlobPath): Promise<BlobProperties>;
  /** Reads a byte range of the version whose ETag is `etag` (a changed blob fails the read). */
  read(path: BlobPath, range: BlobRange, etag: string | null, options?: BlobReadOptions): Promise<BlobRead>;
  close(): Promise<void>;
}
