import type { Connector, PlanSources } from '../connectors/connector.js';
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
  /**
   * Ask the target's plan for the masking plan's second opinion first (one EXPLAIN) when no
   * estimate gave it: an approved request run later has had none in this process.
   */
  explainFirst?: boolean;
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
export async function executeAndMask(request: RunInput): Promise<MaskedResult> {
  const input = await withPlanSources(request);
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

/**
 * The input with the plan's sources, asked of the target when `explainFirst` says so: of the
 * connector, or of the read session a streamed read then uses (its one estimate).
 */
export async function withPlanSources<T extends RunInput>(
  input: T,
  target: Pick<Connector, 'estimateRows'> = input.connector,
): Promise<T> {
  if (
    input.explainFirst !== true ||
    input.planSources !== undefined ||
    input.facts.provenance === undefined
  ) {
    return input;
  }
  let planSources: PlanSources | undefined;
  await input.clock.run('estimate', () =>
    target
      .estimateRows(input.sql, input.params, {
        maxRows: input.maxRows,
        statementTimeoutMs: input.connection.statementTimeoutMs,
        onPlanSources: (sources) => {
          planSources = sources;
        },
      })
      .catch(input.onTargetError),
  );
  return planSources === undefined ? input : { ...input, planSources };
}
