import type {
  Connector,
  ExecuteOptions,
  PlanSources,
  SourceColumn,
} from '../../shared/connectors/connector.js';
import type { CatalogTable } from '../../shared/sql/catalog.js';
import type { QueryResult } from '../../shared/types.js';
import { DEMO_TABLES } from './demo-catalog.js';

/**
 * A hand-written test fake of the Connector port (the real adapter is tested against PGlite
 * in tests/contract). It records every call so tests can prove what never reached the target.
 */
export class FakeConnector implements Connector {
  readonly engine = 'postgres' as const;
  readonly executed: Array<{ sql: string; params: readonly unknown[]; options: ExecuteOptions }> = [];
  readonly estimated: string[] = [];
  estimate: number | null = 10;
  result: QueryResult = { columns: [], rows: [], rowCount: 0, truncated: false };
  sources: Array<SourceColumn | null> = [];
  /** What the estimate tells a caller that asks the plan's sources; undefined tells nothing. */
  planSources: PlanSources | undefined;
  /** What the plan costs (told to a caller that asks); undefined: the engine cannot say. */
  cost: number | undefined;
  /** The options each estimate was asked with. */
  readonly estimateOptions: ExecuteOptions[] = [];
  failWith: Error | undefined;
  /** What the target's catalog holds (the demo's four tables unless a test changes it). */
  tables: CatalogTable[] = DEMO_TABLES;
  described = 0;

  async execute(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<QueryResult> {
    this.executed.push({ sql, params, options });
    if (this.failWith) throw this.failWith;
    return this.result;
  }

  async estimateRows(
    sql: string,
    _params: readonly unknown[],
    options: ExecuteOptions,
  ): Promise<number | null> {
    this.estimated.push(sql);
    this.estimateOptions.push(options);
    if (this.planSources !== undefined) options.onPlanSources?.(this.planSources);
    if (this.cost !== undefined) options.onPlanCost?.({ total: this.cost });
    return this.estimate;
  }

  async resolveColumns(
    pairs: ReadonlyArray<{ tableId: number; columnId: number }>,
  ): Promise<Array<SourceColumn | null>> {
    return pairs.map((_, i) => this.sources[i] ?? null);
  }

  async describeTables(tables: readonly string[]): Promise<CatalogTable[]> {
    this.described++;
    return this.tables.filter((t) => tables.includes(t.name));
  }

  async close(): Promise<void> {}
}
