import { z } from 'zod';
import { MAX_BLOB_PATH } from '../connectors/blob/path.js';
import { LIMITS } from '../limits.js';
import { purposeSchema } from './inputs.js';

/**
 * Inputs of the blob use cases, the same whichever transport carried them. Numbers may come
 * as query-string text, hence the coercion; paths are checked for safety by the use case
 * (shared/connectors/blob/path.ts), not here, so that a refused path is audited.
 */

const count = (max: number) => z.coerce.number().int().min(0).max(max);

export const listBlobsQuerySchema = z
  .object({
    /** `container/folder/` to list; the exposed roots when absent. */
    prefix: z.string().min(1).max(MAX_BLOB_PATH).optional(),
    continuation: z.string().min(1).max(LIMITS.continuationChars).optional(),
    purpose: purposeSchema.optional(),
  })
  .strict();

export const readBlobQuerySchema = z
  .object({
    /** `container/name/of/blob`. */
    path: z
      .string()
      .min(1)
      .max(MAX_BLOB_PATH * 4),
    /** First byte to read. */
    offset: count(Number.MAX_SAFE_INTEGER).optional(),
    /** Bytes to read from `offset`; the rest of the blob when absent. */
    length: count(Number.MAX_SAFE_INTEGER).pipe(z.number().min(1)).optional(),
    /** Rows (records, lines) skipped before the first one returned. */
    rowOffset: count(100_000_000).optional(),
    maxRows: count(LIMITS.maxRows).pipe(z.number().min(1)).optional(),
    purpose: purposeSchema.optional(),
  })
  .strict();

export type ListBlobsQuery = z.output<typeof listBlobsQuerySchema>;
export type ReadBlobQuery = z.output<typeof readBlobQuerySchema>;

export interface ListBlobsInput extends ListBlobsQuery {
  connection: string | null;
}

export interface ReadBlobInput extends ReadBlobQuery {
  connection: string | null;
}
