import { z } from 'zod';
import { MAX_BLOB_PATH } from '../connectors/blob/path.js';
import { LIMITS } from '../limits.js';
import { purposeSchema, wholeNumber } from './inputs.js';

/**
 * Inputs of the blob use cases, the same whichever transport carried them. Numbers may come
 * as query-string text (decimal digits only); paths are checked for safety by the use case
 * (shared/connectors/blob/path.ts), not here, so that a refused path is audited.
 */

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
    offset: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional(),
    /** Bytes to read from `offset`; the rest of the blob when absent. */
    length: wholeNumber(1, Number.MAX_SAFE_INTEGER).optional(),
    /** Rows (records, lines) skipped before the first one returned. */
    rowOffset: wholeNumber(0, 100_000_000).optional(),
    maxRows: wholeNumber(1, LIMITS.maxRows).optional(),
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
