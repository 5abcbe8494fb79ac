import type { Connector, ExecuteOptions, SourceColumn } from '../../shared/connectors/connector.js';
import type { QueryResult } from '../../shared/types.js';

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
  failWith: Error | undefined;

  async execute(sql: string, params: readonly unknown[], options: ExecuteOptions): Promise<QueryResult> {
    this.executed.push({ sql, params, options });
    if (this.failWith) throw this.failWith;
    return this.result;
  }

  async estimateRows(sql: string): Promise<number | null> {
    this.estimated.push(sql);
    return this.estimate;
  }

  async resolveColumns(
    pairs: ReadonlyArray<{ tableId: number; columnId: number }>,
  ): Promise<Array<SourceColumn | null>> {
    return pairs.map((_, i) => this.sources[i] ?? null);
  }

  async close(): Promise<void> {}
}
