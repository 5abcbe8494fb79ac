import { z } from 'zod';

/** Rows kept per read when a connection turns replay on without saying how many. */
export const DEFAULT_KEEP_ROWS = 100;

/**
 * Per connection: keep the masked result of each released read for auditors' replay, capped
 * at the first `keepRows` rows. Off when absent: a kept result is a second copy of released
 * data (masked, but data), so a connection owner opts in.
 */
export const replaySchema = z
  .object({
    keepRows: z.number().int().min(1).max(1000).default(DEFAULT_KEEP_ROWS),
  })
  .strict();

export type ReplayConfig = z.output<typeof replaySchema>;
