import { type Readable, Transform } from 'node:stream';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, RestError, StorageSharedKeyCredential } from '@azure/storage-blob';
import { GatewayError } from '../../errors.js';
import type { BlobPath } from './path.js';
import type {
  BlobConnector,
  BlobEntry,
  BlobListing,
  BlobProperties,
  BlobRange,
  BlobRead,
  BlobReadOptions,
} from './port.js';

/** Azurite's published development account: not a secret, and accepted for loopback only. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzureBlobConnectorOptions {
  accountUrl: string;
  /** The gateway's identity (`auth: entra`), or the emulator key (`auth: azurite`). */
  credential: TokenCredential | 'azurite';
  timeoutMs: number;
}

/** Target failures in the gateway's terms; the SDK's text stays in the cause. */
function targetError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  if (e instanceof RestError) {
    if (e.statusCode === 404)
      return new GatewayError('not_found', 'No blob with that path exists.', { cause: e });
    if (e.statusCode === 412) {
      return new GatewayError('conflict', 'The blob changed while it was read; nothing was released.', {
        cause: e,
      });
    }
    if (e.statusCode === 403) {
      return new GatewayError(
        'target_unavailable',
        'The gateway identity may not read this storage account.',
        {
          cause: e,
        },
      );
    }
  }
  if (e instanceof Error && e.name === 'AbortError') {
    return new GatewayError('query_timeout', 'The storage account did not answer in time.', { cause: e });
  }
  return new GatewayError('target_unavailable', 'The storage account could not be reached.', { cause: e });
}

/** The body, its idle timer restarted by every chunk and stopped when it ends either way. */
function watched(body: Readable, timer: NodeJS.Timeout): Readable {
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      timer.refresh();
      done(null, chunk);
    },
  });
  body.on('error', (e) => out.destroy(e));
  out.on('close', () => {
    clearTimeout(timer);
    body.destroy();
  });
  return body.pipe(out);
}

function iso(d: Date | undefined): string | null {
  return d ? d.toISOString() : null;
}

/** One page of a folder: its subfolders, then its blobs, and where the next page starts. */
async function listPage(
  service: BlobServiceClient,
  container: string,
  prefix: string,
  page: { maxPageSize: number; continuation?: string | null },
  abortSignal: AbortSignal,
): Promise<BlobListing> {
  try {
    const pages = service
      .getContainerClient(container)
      .listBlobsByHierarchy('/', { prefix, abortSignal })
      .byPage({
        maxPageSize: page.maxPageSize,
        ...(page.continuation ? { continuationToken: page.continuation } : {}),
      });
    const next = await pages.next();
    if (next.done) return { entries: [], continuation: null };
    const value = next.value;
    const folders: BlobEntry[] = (value.segment.blobPrefixes ?? []).map((p) => ({
      kind: 'folder' as const,
      path: `${container}/${p.name}`,
    }));
    const blobs: BlobEntry[] = value.segment.blobItems.map((b) => ({
      kind: 'blob' as const,
      path: `${container}/${b.name}`,
      size: b.properties.contentLength ?? 0,
      contentType: b.properties.contentType ?? null,
      lastModified: iso(b.properties.lastModified),
      etag: b.properties.etag ?? null,
      versionId: b.versionId ?? null,
    }));
    return { entries: [...folders, ...blobs], continuation: value.continuationToken || null };
  } catch (e) {
    throw targetError(e);
  }
}

/** The `@azure/storage-blob` adapter of the blob port. */
export function createAzureBlobConnector(options: AzureBlobConnectorOptions): BlobConnector {
  const credential =
    options.credential === 'azurite'
      ? new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)
      : options.credential;
  const service = new BlobServiceClient(options.accountUrl, credential, { retryOptions: { maxTries: 2 } });
  const signal = () => AbortSignal.timeout(options.timeoutMs);
  const blobClient = (p: BlobPath) => service.getContainerClient(p.container).getBlobClient(p.name);

  return {
    list: (container, prefix, page) => listPage(service, container, prefix, page, signal()),

    async properties(path): Promise<BlobProperties> {
      try {
        const client = blobClient(path);
        const p = await client.getProperties({ abortSignal: signal() });
        // Tags are asked for only when the blob has some; one that cannot be read fails the
        // request rather than being decided as untagged.
        const tags = (p.tagCount ?? 0) > 0 ? (await client.getTags({ abortSignal: signal() })).tags : {};
        return {
          size: p.contentLength ?? 0,
          contentType: p.contentType ?? null,
          etag: p.etag ?? null,
          versionId: p.versionId ?? null,
          lastModified: iso(p.lastModified),
          tags,
        };
      } catch (e) {
        throw targetError(e);
      }
    },

    async read(path, range: BlobRange, etag, readOptions?: BlobReadOptions): Promise<BlobRead> {
      // A streamed read may take far longer than the timeout: it bounds each pause instead.
      const idle = readOptions?.idle === true;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.timeoutMs);
      try {
        const r = await blobClient(path).download(range.offset, range.count, {
          abortSignal: idle ? controller.signal : signal(),
          ...(etag ? { conditions: { ifMatch: etag } } : {}),
        });
        const body = r.readableStreamBody as Readable | undefined;
        if (!body) throw new GatewayError('target_unavailable', 'The storage account sent no content.');
        if (!idle) clearTimeout(timer);
        return {
          body: idle ? watched(body, timer) : body,
          etag: r.etag ?? null,
          versionId: r.versionId ?? null,
        };
      } catch (e) {
        clearTimeout(timer);
        throw targetError(e);
      }
    },

    async close() {},
  };
}
