import { z } from 'zod';

/** What the blob use cases answer, as schemas (for the OpenAPI document and the MCP tools). */

const decision = z.object({ outcome: z.enum(['allow', 'deny', 'approval']), policyIds: z.array(z.string()) });
const masking = z.object({
  columns: z.record(z.string(), z.string()),
  cellsMasked: z.number().int(),
  byClass: z.record(z.string(), z.number().int()),
});

export const blobEntrySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('blob'),
    path: z.string(),
    size: z.number().int(),
    contentType: z.string().nullable(),
    lastModified: z.string().nullable(),
    etag: z.string().nullable(),
    versionId: z.string().nullable(),
    /** Personal data the detectors found in the name is masked in `path`; it cannot be read by it. */
    nameMasked: z.literal(true).optional(),
  }),
  z.object({ kind: z.literal('folder'), path: z.string(), nameMasked: z.literal(true).optional() }),
]);

export const blobListSchema = z.object({
  requestId: z.string(),
  decision,
  entries: z.array(blobEntrySchema),
  continuation: z.string().nullable(),
});

export const blobReadSchema = z.object({
  requestId: z.string(),
  decision,
  path: z.string(),
  format: z.enum(['csv', 'json', 'ndjson', 'text', 'binary']),
  contentType: z.string().nullable(),
  size: z.number().int(),
  etag: z.string().nullable(),
  versionId: z.string().nullable(),
  range: z.object({ offset: z.number().int(), count: z.number().int().optional() }),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number().int(),
  truncated: z.boolean(),
  bytesRead: z.number().int(),
  masking,
});
