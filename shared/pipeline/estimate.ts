import type { Connector, ExecuteOptions } from '../connectors/connector.js';
import { GatewayError } from '../errors.js';
import type { RequestTrace } from './trace.js';

/**
 * Stage 4: how much the statement reads, before anything runs. The planner's row estimate,
 * or, for a statement that folds many rows into one cell, the rows it reads (EXPLAIN ANALYZE
 * under the same read-only transaction and timeout). A statement the target rejects fails
 * here as the statement's own error; a target that is down fails as unavailable.
 */
export async function estimate(
  trace: RequestTrace,
  connector: Connector,
  statement: { sql: string; params: readonly unknown[] },
  options: ExecuteOptions,
  onTargetError: (e: unknown) => never,
): Promise<number | null> {
  const rows = await trace.clock.run('estimate', () =>
    connector.estimateRows(statement.sql, statement.params, options).catch((e: unknown) => {
      trace.estimateError = e instanceof GatewayError ? e.code : 'internal';
      return onTargetError(e);
    }),
  );
  trace.estimatedRows = rows;
  return rows;
}
