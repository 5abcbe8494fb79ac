import type { MaskingReport } from '../masking/index.js';
import type { QueryResult } from '../types.js';
import { type MaskInput, mask } from './mask.js';
import type { StageClock } from './stage-clock.js';

export interface RunInput extends Omit<MaskInput, 'result'> {
  sql: string;
  params: readonly unknown[];
  maxRows: number;
  clock: StageClock;
  /** Turns a target failure into what the caller may see (and throws it). */
  onTargetError: (e: unknown) => never;
  /** Runs between execution and masking; throwing there releases nothing. */
  afterExecute?: (result: QueryResult) => Promise<void>;
}

export interface MaskedResult {
  result: QueryResult;
  rows: QueryResult['rows'];
  report: MaskingReport;
}

/**
 * Stage 5+6: run the statement with the gateway's identity under the connection's limits,
 * then mask what came back. The direct path and an approved stored request both run
 * through here, so an approval can never skip masking.
 */
export async function executeAndMask(input: RunInput): Promise<MaskedResult> {
  const { connector, connection: conn, facts } = input;
  const result = await input.clock.run('execute', () =>
    connector
      .execute(input.sql, input.params, {
        maxRows: input.maxRows,
        statementTimeoutMs: conn.statementTimeoutMs,
        plainQuery: facts.statementKinds.every((kind) => kind === 'SelectStmt'),
      })
      .catch(input.onTargetError),
  );
  if (input.afterExecute) await input.afterExecute(result);
  const { rows, report } = await input.clock.run('mask', () => mask({ ...input, result }));
  return { result, rows, report };
}
