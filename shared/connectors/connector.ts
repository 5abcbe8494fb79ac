import type { CatalogTable } from '../sql/catalog.js';
import type { QueryResult, ResultColumn } from '../types.js';

export interface ExecuteOptions {
  /** Row cap: the connector fetches maxRows + 1 to report truncation and returns at most maxRows. */
  maxRows: number;
  statementTimeoutMs: number;
  /**
   * The caller's analysis says the statement is a plain query (SELECT, VALUES, TABLE), so a
   * connector may run it as a cursor without preparing a fallback. A wrong hint fails the
   * request; it never widens what runs.
   */
  plainQuery?: boolean;
  /**
   * For estimates: the largest row count of any step of the plan (the rows read) instead of
   * the rows returned, for statements that fold many rows into one cell.
   */
  rowsRead?: boolean;
  /**
   * For estimates: told what the target's own plan says each result column reads, where the
   * target's plan says it (see PlanSources). A connector that cannot tell never calls it.
   */
  onPlanSources?: (sources: PlanSources) => void;
  /**
   * For estimates: told the plan's total cost (PlanCost), where the target's planner states
   * one. A connector whose engine cannot price a plan never calls it.
   */
  onPlanCost?: (cost: PlanCost) => void;
  /**
   * For counted estimates (`rowsRead`): the most a plan may cost before it is run to be
   * counted. A connector that prices plans first plans the statement without running it, and
   * a plan that costs more is not run: its cost goes to `onPlanCost` and the estimate is the
   * planner's largest step instead of the counted one. Without it, the count runs as asked.
   */
  maxPlanCost?: number;
}

/**
 * What the target's planner says a statement costs, before anything runs: the root plan's
 * total cost, in the engine's own units (PostgreSQL: cost units, about one sequential page
 * read each). Only ever used to hold a statement back for approval, never to let one through.
 */
export interface PlanCost {
  total: number;
}

/**
 * By result position, the base columns the target's plan says that column is computed from
 * (`schema.table.column`, or `schema.table.*` for a whole row); an empty list where the plan
 * names none it can vouch for. Only ever used to add classes to a masking plan, never to
 * remove one, so a list that says too much costs masking, not a leak.
 */
export type PlanSources = ReadonlyArray<readonly string[]>;

/** In PlanSources: the plan was too large to read, so the column is withheld. */
export const PLAN_UNREADABLE = '?';

/** Rows per cursor FETCH of a streamed read unless the caller says otherwise (see the bench). */
export const DEFAULT_BATCH_ROWS = 2000;

export interface StreamOptions extends ExecuteOptions {
  /** Rows per FETCH: memory is bounded by a couple of batches, not by the result. */
  batchRows?: number;
}

/** One batch of a streamed read: rows as arrays in the order of `columns`. */
export interface RowBatch<C extends ResultColumn = ResultColumn> {
  columns: readonly C[];
  rows: unknown[][];
  /**
   * On the first batch, when the connector resolves sources: the base column of each result
   * column, looked up inside the read (whose session may be the only one the pool has).
   */
  sources?: Array<SourceColumn | null>;
}

/** What a streamed read saw once it ended: rows handed over (at most maxRows), and whether more existed. */
export interface StreamSummary<C extends ResultColumn = ResultColumn> {
  columns: readonly C[];
  rows: number;
  truncated: boolean;
}

/**
 * One read-only transaction on one pooled session for a request's estimate and the read it
 * decides. `execute` ends the session; `end` ends it without reading (a refused request) and
 * is safe to call twice. An estimate, when there is one, comes first.
 */
export interface ReadSession<C extends ResultColumn = ResultColumn> {
  estimateRows(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<number | null>;
  execute(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<QueryResult<C>>;
  /**
   * Optional capability: the read in batches from a cursor (FETCH n, repeated), each handed to
   * `onBatch` before the next is taken in, so memory is bounded by the batch, not the result.
   * `onBatch` is called at least once (an empty result: no rows, with its columns); a failure
   * of `onBatch` is thrown unchanged and ends the session. Ends the session like `execute`.
   */
  stream?(
    sql: string,
    params: readonly unknown[],
    options: StreamOptions,
    onBatch: (batch: RowBatch<C>) => Promise<void>,
  ): Promise<StreamSummary<C>>;
  end(): Promise<void>;
}

/** A fully qualified source column, resolved from the engine's catalog. */
export interface SourceColumn {
  schema: string;
  table: string;
  column: string;
}

/**
 * Port to a data target. Connectors reach the target with the gateway's own identity, run
 * every statement in a read-only transaction with a statement timeout, and bind parameters
 * (never interpolate them).
 */
export interface Connector {
  /** The SQL dialect statements for this target are written in. */
  readonly engine: 'postgres' | 'tsql';
  execute(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<QueryResult>;
  /**
   * Planner estimate of rows for a read, or null when the engine cannot say. A statement the
   * target rejects fails here as it would when executed (`query_failed`), and a target that
   * cannot be reached is `target_unavailable`: neither is an unknown size.
   */
  estimateRows(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<number | null>;
  /**
   * The columns of these `schema.table`s in the engine's order, with their types; tables the
   * target does not have are left out. The analyser resolves names against this.
   */
  describeTables?(tables: readonly string[]): Promise<CatalogTable[]>;
  /**
   * Optional capability: the base column each result column comes from, in order (null when
   * it is not a plain column), for targets whose wire protocol says so. The connector reads
   * its own origin fields of the columns it returned; the pipeline never looks at them.
   */
  resolveSources?(columns: readonly ResultColumn[]): Promise<Array<SourceColumn | null>>;
  /**
   * Optional capability: a session for estimate-then-execute (see ReadSession). Opening it
   * costs nothing; the session checks out its connection on first use.
   */
  openRead?(statementTimeoutMs: number): ReadSession;
  close(): Promise<void>;
}
