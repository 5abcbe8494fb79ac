import { z } from 'zod';
import { blobPathProblem, CONTAINER_NAME, folderPrefix } from '../connectors/blob/path.js';
import { canonicalPath, parseFieldPath } from './field-path.js';
import { replaySchema } from './replay.js';

/**
 * Connections of kind `blob`: an Azure Storage account the gateway reads with its own
 * identity. What agents may reach is an allowlist of containers and name prefixes; how the
 * content is masked is a classification per path pattern (a whole class, or a class per
 * column or field).
 */

const dataClass = z.string().regex(/^[a-z][a-z0-9_.-]*$/, 'data class: lower-case dotted name');

/** A glob over blob names within a container: `*` within a segment, `**` across segments. */
const pathPattern = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\p{L}\p{N}._\-=+@,~() /*?]+$/u, 'path pattern: blob name characters, *, ** and ?')
  .refine((p) => !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '.'), {
    message: 'path pattern: relative to the container, without . or ..',
  });

/**
 * Field keys of one pattern are fields or paths into nested JSON (shared/config/field-path.ts):
 * a malformed path is refused, and so is one path written twice (`a.b` and `"a".b`), which
 * would leave which class applies to chance.
 */
function checkFieldPaths(fields: Record<string, string>, ctx: z.RefinementCtx, at: string): void {
  const seen = new Map<string, string>();
  for (const key of Object.keys(fields)) {
    const parsed = parseFieldPath(key);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: `field path "${key}": ${parsed}`, path: [at, key] });
      continue;
    }
    const canonical = canonicalPath(parsed);
    const before = seen.get(canonical);
    if (before !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: `field path "${key}" and "${before}" name the same field path`,
        path: [at, key],
      });
    seen.set(canonical, key);
  }
}

const prefixSchema = z
  .string()
  .max(512)
  .refine((p) => p === '' || blobPathProblem(`aaa/${p}`, { prefix: true }) === undefined, {
    message: 'prefix: canonical blob name characters, no . or .. segments, no leading /',
  })
  .transform(folderPrefix);

const containerSchema = z
  .object({
    /** Name prefixes that are exposed; `""` exposes the whole container. */
    prefixes: z.array(prefixSchema).min(1),
  })
  .strict();

/**
 * `entra`: the gateway's identity (DefaultAzureCredential / managed identity, role Storage
 * Blob Data Reader). `azurite`: the emulator's well-known development key, accepted only for
 * a loopback account URL (the local host and the tests).
 */
const blobAuth = z.enum(['entra', 'azurite']);

export const blobConnectionSchema = z
  .object({
    kind: z.literal('blob'),
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'connection id: lower-case letters, digits, - and _'),
    environment: z.string().min(1),
    description: z.string().default(''),
    tags: z.array(z.string()).default([]),
    /** `https://<account>.blob.core.windows.net`, or `embedded-demo` for the local Azurite. */
    accountUrl: z.union([z.literal('embedded-demo'), z.url({ protocol: /^https?$/ })]),
    auth: blobAuth,
    containers: z.record(z.string().regex(CONTAINER_NAME, 'container name'), containerSchema),
    /** Per path pattern: one class for the whole content, or a class per column / field. */
    classification: z
      .record(pathPattern, z.union([dataClass, z.record(z.string().min(1).max(512), dataClass)]))
      .superRefine((patterns, ctx) => {
        for (const [pattern, spec] of Object.entries(patterns))
          if (typeof spec !== 'string') checkFieldPaths(spec, ctx, pattern);
      })
      .default({}),
    /** Rows one read releases at most. */
    maxRows: z.number().int().min(1).max(1_000_000).default(1000),
    /**
     * Rows an approved (bulk) read stores at most, when no policy states a cap: an approved
     * read streams whole into the result store, bounded by the bytes approved.
     */
    maxApprovedRows: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(100_000_000),
    /** Bytes of masked content one response may carry; the read stops (truncated) there. */
    maxResponseBytes: z.number().int().min(1024).max(100_000_000).default(1_000_000),
    /** A read that would fetch more bytes than this is a bulk read that needs approval. */
    approvalBytes: z.number().int().min(1024).default(10_000_000),
    /** Blobs larger than this are never read through the gateway, approved or not. */
    maxBlobBytes: z
      .number()
      .int()
      .min(1024)
      .default(2 ** 30),
    /** Blobs one listing page returns at most. */
    maxListPage: z.number().int().min(1).max(5000).default(500),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    approvers: z.string().min(1).max(256).default('data-owners'),
    /** Keep the first rows of each typed read for replay (shared/config/replay.ts); off when absent. */
    replay: replaySchema.optional(),
    /**
     * Blobs that hold rows of a SQL table (an export): pattern -> the SQL connection and the
     * table whose table budget a read of them spends too, under the same key as the table's
     * own reads, so that the export is no way around the table's budget.
     */
    tableBudgets: z
      .record(
        z.string().min(1).max(512),
        z.object({ connection: z.string().min(1).max(63), table: z.string().min(1).max(256) }).strict(),
      )
      .default({}),
    /**
     * What one agent may be given through this connection per window (rows, and bytes of the
     * masked rows released); a read over it goes to approval, as for SQL budgets.
     */
    budget: z
      .object({
        rows: z.number().int().min(1).default(Number.MAX_SAFE_INTEGER),
        bytes: z.number().int().min(1),
        windowSeconds: z
          .number()
          .int()
          .min(60)
          .max(7 * 24 * 3600)
          .default(3600),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => c.auth !== 'azurite' || c.accountUrl === 'embedded-demo' || isLoopback(c.accountUrl), {
    message: 'auth azurite is only accepted for a loopback account URL (the local emulator)',
    path: ['auth'],
  });

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

export type BlobConnectionConfig = z.output<typeof blobConnectionSchema>;

/**
 * Whether a glob pattern matches a blob name (both relative to the container), case aside: a
 * pattern decides what is masked and charged, and `exports/*.csv` must cover `up.CSV` too
 * (red-team round 36), so matching more errs on the side of masking.
 */
export function matchesPattern(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` matches anything below.
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/gu, (c) => `\\${c}`);
  }
  return new RegExp(`${re}$`, 'iu').test(name);
}

/** What the classification says of one blob: a whole-content class and/or per-field classes. */
export interface BlobClassification {
  /** Class of every value of the content, when a pattern gives one (`text.free`: scan only). */
  whole?: string;
  /** Column, field or path into nested JSON (shared/config/field-path.ts) -> class. */
  fields: Record<string, string>;
}

/**
 * Every pattern that matches contributes (a blob matched by `exports/**` and `exports/*.csv`
 * gets both); when two patterns class the same field differently the masker picks the class
 * that reveals least, so both are kept as candidates by the caller.
 */
export function classificationFor(conn: BlobConnectionConfig, name: string): BlobClassification[] {
  const found: BlobClassification[] = [];
  for (const [pattern, spec] of Object.entries(conn.classification)) {
    if (!matchesPattern(pattern, name)) continue;
    found.push(typeof spec === 'string' ? { whole: spec, fields: {} } : { fields: { ...spec } });
  }
  return found;
}

/** Every class a blob connection names (for the start-up check of unknown classes). */
export function blobClasses(conn: {
  classification: BlobConnectionConfig['classification'];
}): Array<[string, string]> {
  return Object.entries(conn.classification).flatMap(([pattern, spec]) =>
    typeof spec === 'string'
      ? [[pattern, spec] as [string, string]]
      : Object.entries(spec).map(([field, cls]) => [`${pattern}.${field}`, cls] as [string, string]),
  );
}
