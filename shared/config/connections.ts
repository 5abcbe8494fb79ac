import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { dataClassProblem, declaredCustomClasses } from '../masking/classes.js';
import { parseOperator } from '../masking/operators.js';
import { FREE_TEXT_CLASS } from '../masking/provenance-plan.js';
import { type BlobConnectionConfig, blobClasses, blobConnectionSchema } from './blob-connection.js';
import { approvalsConfigSchema } from './callbacks.js';
import { replaySchema } from './replay.js';

/**
 * The connections file: which targets exist, how the gateway reaches them with its own
 * identity, their limits, and how their columns are classified for masking.
 */

const targetSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(5432),
    database: z.string().min(1),
    user: z.string().min(1),
    /** `entra`: password is an Entra access token for the gateway identity. */
    auth: z.enum(['entra', 'password-from-env']),
    /** With `password-from-env`: the environment variable holding the password. */
    passwordEnv: z.string().min(1).optional(),
    ssl: z.boolean().default(true),
    /**
     * The gateway's connections to this target, per instance: at most `max` pooled sessions
     * (each request holds one for its estimate and read). Size it under the server's
     * max_connections divided by the instances that may run at once.
     */
    pool: z
      .object({ max: z.number().int().min(1).max(100).default(5) })
      .strict()
      .default({ max: 5 }),
  })
  .strict()
  .refine((t) => t.auth !== 'password-from-env' || t.passwordEnv !== undefined, {
    message: 'passwordEnv is required when auth is password-from-env',
  });

const dataClass = z.string().regex(/^[a-z][a-z0-9_.-]*$/, 'data class: lower-case dotted name');

/** Schemas that are never exposed, whatever a config says: the server's own catalogs. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

const exposedTable = z
  .object({
    /** Columns that may be read; all of the table's columns when absent. */
    columns: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

/**
 * What agents may read through a connection: `schema.table` -> which columns. Names are
 * compared exactly as PostgreSQL stores them (unquoted names fold to lower case).
 */
const exposureSchema = z
  .record(
    z
      .string()
      .regex(/^[^.\s]+\.[^.\s]+$/, 'schema.table')
      .refine((t) => !SYSTEM_SCHEMAS.has(t.split('.')[0].toLowerCase()) && !t.startsWith('pg_'), {
        message: 'system catalogs are never exposed',
      }),
    exposedTable.nullable().transform((t) => t ?? {}),
  )
  .default({});

const functionKind = z.enum(['scalar', 'count', 'summary', 'collection', 'ordered', 'window', 'srf']);

const budgetSchema = z
  .object({
    /** Rows released per principal through this connection in one window. */
    rows: z.number().int().min(1),
    /** Bytes of result released per principal in one window. */
    bytes: z.number().int().min(1).default(50_000_000),
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(3600),
  })
  .strict();

/** Fields every connection has, whatever its target. */
const commonFields = {
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'connection id: lower-case letters, digits, - and _'),
  environment: z.string().min(1),
  description: z.string().default(''),
  tags: z.array(z.string()).default([]),
  maxRows: z.number().int().min(1).max(1_000_000).default(1000),
  statementTimeoutMs: z.number().int().min(100).max(600_000).default(15_000),
  defaultSchema: z.string().default('public'),
  /** `schema.table.column` -> data class. */
  classification: z
    .record(z.string().regex(/^[^.]+\.[^.]+\.[^.]+$/, 'schema.table.column'), dataClass)
    .default({}),
  exposure: exposureSchema,
  /** Changes to the reviewed function list agents may call (see shared/sql/pg/allowlist.ts). */
  functions: z
    .object({
      allow: z.record(z.string().min(1), functionKind).default({}),
      deny: z.array(z.string().min(1)).default([]),
    })
    .strict()
    .default({ allow: {}, deny: [] }),
  /** Bytes one response may carry to an agent; more is a bulk read that needs approval. */
  maxResponseBytes: z.number().int().min(1024).max(100_000_000).default(1_000_000),
  /**
   * Bytes of the target's answer the gateway reads for one request (one batch of a streamed
   * read); more fails the request with result_too_large. Rows are held whole before masking,
   * so this bounds the gateway's memory; maxResponseBytes only sees what masking left. Each
   * request's bound falls at random in the last eighth below it, so it tells no masked
   * value's length (shared/connectors/postgres/wire-meter.ts).
   */
  maxReadBytes: z
    .number()
    .int()
    .min(1_048_576)
    .max(1_073_741_824)
    .default(64 * 1024 * 1024),
  /**
   * The most the target's planner may cost an agent's statement (PostgreSQL cost units, the
   * root plan's `Total Cost`); a costlier plan is held for approval before anything runs.
   * Targets that cannot price a plan are not held by it.
   */
  maxPlanCost: z.number().positive().max(1e15).default(1_000_000),
  /** Rows and bytes one agent may take through this connection per window; unlimited when absent. */
  budget: budgetSchema.optional(),
  /**
   * Budgets of single tables (`schema.table`), kept apart from the connection's: a read
   * spends its rows and bytes from the budget of every budgeted table it reads.
   */
  tableBudgets: z.record(z.string().regex(/^[^.]+\.[^.]+$/, 'schema.table'), budgetSchema).default({}),
  /**
   * The approver group for the approvals the gateway itself asks for (a result over the byte
   * cap, a read over budget), which no policy annotation names.
   */
  approvers: z.string().min(1).max(256).default('data-owners'),
  /** Keep the first rows of each released read for replay (shared/config/replay.ts); off when absent. */
  replay: replaySchema.optional(),
};

/** Azure SQL Database, reached with the gateway's Entra identity only. */
const azureSqlTargetSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(1433),
    database: z.string().min(1),
    user: z.string().min(1).optional(),
    auth: z.literal('entra'),
    ssl: z.boolean().default(true),
  })
  .strict();

/**
 * One connection per target kind. The kind says what the gateway talks to and which adapter
 * owns it; `engine` is the SQL dialect its statements are written in, which the analyser
 * and the policies see.
 */
const postgresConnectionSchema = z
  .object({
    kind: z.literal('postgres'),
    engine: z.literal('postgres').default('postgres'),
    /** `embedded-demo` is the PGlite demo served by the local host. */
    target: z.union([targetSchema, z.literal('embedded-demo')]),
    ...commonFields,
  })
  .strict();

const azureSqlConnectionSchema = z
  .object({
    kind: z.literal('azure-sql'),
    engine: z.literal('tsql').default('tsql'),
    target: azureSqlTargetSchema,
    ...commonFields,
  })
  .strict();

/** The kind a connection written before kinds existed has: its dialect's target. */
function withKind(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || 'kind' in raw) return raw;
  const engine = (raw as { engine?: unknown }).engine;
  return { ...raw, kind: engine === 'tsql' ? 'azure-sql' : 'postgres' };
}

export const connectionSchema = z.preprocess(
  withKind,
  z.discriminatedUnion('kind', [postgresConnectionSchema, azureSqlConnectionSchema]),
);

/** The target kinds a connection may have. */
export const TARGET_KINDS = ['postgres', 'azure-sql'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** An entry of the connections file: a SQL target, or a storage account (`kind: blob`). */
const fileConnectionSchema = z.preprocess(
  withKind,
  z.discriminatedUnion('kind', [postgresConnectionSchema, azureSqlConnectionSchema, blobConnectionSchema]),
);

export const configFileSchema = z
  .object({
    connections: z.array(fileConnectionSchema).min(1),
    /** Data class -> operator spec; merged over the built-in defaults. */
    masking: z
      .object({
        operators: z.record(dataClass, z.string()).default({}),
      })
      .strict()
      .default({ operators: {} }),
    /** Approval workflow settings that live with the config (callback hosts). */
    approvals: approvalsConfigSchema.optional(),
    /** Limits of the gateway instance as a whole, whatever the connection. */
    limits: z
      .object({
        /**
         * Statements one principal (tenant and object id, else issuer and id) may have in flight at once on the query
         * path of one gateway instance, REST and MCP together; one more is refused (429).
         */
        concurrentQueriesPerPrincipal: z.number().int().min(1).max(1000).default(4),
        /**
         * Requests one principal (issuer and id) may have waiting for approval at once; one
         * more is refused (429) so that one caller cannot bury everyone else's in the inbox.
         */
        pendingApprovalsPerPrincipal: z.number().int().min(1).max(1000).default(10),
      })
      .strict()
      .default({ concurrentQueriesPerPrincipal: 4, pendingApprovalsPerPrincipal: 10 }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    for (const c of cfg.connections) {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', message: `duplicate connection id ${c.id}` });
      seen.add(c.id);
    }
    // Blob classes are checked apart; the placeholder keeps the indices of the error paths.
    const sqlOnly = cfg.connections.map((c) => (c.kind === 'blob' ? { id: c.id, classification: {} } : c));
    checkMasking({ ...cfg, connections: sqlOnly }, ctx);
    checkBlobClasses(cfg, ctx);
    checkBlobTableBudgets(cfg, ctx);
  })
  // Blob connections take their own use cases (shared/use-cases/blobs.ts); the SQL pipeline
  // only ever sees SQL connections.
  .transform(({ connections, ...rest }) => ({
    ...rest,
    connections: connections.filter(isSql),
    blobConnections: connections.filter((c): c is BlobConnectionConfig => c.kind === 'blob'),
  }));

function isSql<C extends { kind: string }>(c: C): c is Exclude<C, { kind: 'blob' }> {
  return c.kind !== 'blob';
}

/**
 * A blob's table budget names a SQL connection and one of its table budgets: a name that
 * matches none would leave the export unbudgeted without a word, so it is a config error.
 */
function checkBlobTableBudgets(
  cfg: { connections: ReadonlyArray<{ kind: string; id: string; tableBudgets?: Record<string, unknown> }> },
  ctx: z.RefinementCtx,
): void {
  cfg.connections.forEach((c, i) => {
    if (c.kind !== 'blob') return;
    for (const [pattern, ref] of Object.entries((c as BlobConnectionConfig).tableBudgets)) {
      const sql = cfg.connections.find((s) => s.kind !== 'blob' && s.id === ref.connection);
      if (sql?.tableBudgets?.[ref.table] !== undefined) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['connections', i, 'tableBudgets', pattern],
        message: `no SQL connection ${ref.connection} with a table budget for ${ref.table}`,
      });
    }
  });
}

/** The same refusal of unknown classes as for SQL columns; `text.free` means "scan only". */
function checkBlobClasses(
  cfg: {
    connections: ReadonlyArray<{ kind: string } | BlobConnectionConfig>;
    masking: { operators: Record<string, string> };
  },
  ctx: z.RefinementCtx,
): void {
  const declared = declaredCustomClasses(Object.keys(cfg.masking.operators));
  cfg.connections.forEach((c, i) => {
    if (c.kind !== 'blob') return;
    for (const [where, cls] of blobClasses(c as BlobConnectionConfig)) {
      const problem = cls === FREE_TEXT_CLASS ? undefined : dataClassProblem(cls, declared);
      if (problem)
        ctx.addIssue({ code: 'custom', path: ['connections', i, 'classification', where], message: problem });
    }
  });
}

const OPERATOR_SPECS = 'redact, partial:N (N from 0 to 64), email, token, null, default';

/** A typo'd class or operator would leave data unmasked, so it stops the start instead. */
function checkMasking(
  cfg: {
    connections: Array<{ id: string; classification: Record<string, string> }>;
    masking: { operators: Record<string, string> };
  },
  ctx: z.RefinementCtx,
): void {
  const declared = declaredCustomClasses(Object.keys(cfg.masking.operators));
  for (const [cls, spec] of Object.entries(cfg.masking.operators)) {
    const problem = dataClassProblem(cls, declared);
    if (problem) ctx.addIssue({ code: 'custom', path: ['masking', 'operators', cls], message: problem });
    if (parseOperator(spec) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['masking', 'operators', cls],
        message: `unknown masking operator "${spec}" (valid: ${OPERATOR_SPECS})`,
      });
    }
  }
  cfg.connections.forEach((c, i) => {
    for (const [column, cls] of Object.entries(c.classification)) {
      const problem = dataClassProblem(cls, declared);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['connections', i, 'classification', column],
          message: problem,
        });
    }
  });
}

export type ConnectionConfig = z.output<typeof connectionSchema>;
export type PostgresConnectionConfig = Extract<ConnectionConfig, { kind: 'postgres' }>;
export type GatewayConfig = Omit<z.output<typeof configFileSchema>, 'blobConnections'> & {
  /** Storage accounts (`kind: blob`); absent or empty when none is configured. */
  blobConnections?: BlobConnectionConfig[];
};
export type { BlobConnectionConfig } from './blob-connection.js';

export function parseConfig(raw: unknown, source = 'config'): GatewayConfig {
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`Invalid ${source}: ${issues}`);
  }
  return parsed.data;
}

export async function loadConfigFile(path: string): Promise<GatewayConfig> {
  const text = await readFile(path, 'utf8');
  const raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  return parseConfig(raw, path);
}
