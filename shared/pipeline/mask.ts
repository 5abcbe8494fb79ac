import type { ConnectionConfig } from '../config/connections.js';
import type { Connector, SourceColumn } from '../connectors/connector.js';
import { GatewayError } from '../errors.js';
import type { ColumnPlan, Masker, MaskingReport } from '../masking/index.js';
import { traceColumns } from '../masking/index.js';
import { planFromProvenance } from '../masking/provenance-plan.js';
import type { Catalog } from '../sql/catalog.js';
import type { QueryResult, StatementFacts } from '../types.js';

export interface MaskInput {
  connector: Connector;
  connection: ConnectionConfig;
  facts: StatementFacts;
  catalog: Catalog | undefined;
  result: QueryResult;
  /** Classes the requester may see in clear. */
  clear: Set<string>;
  masker: Masker;
}

/**
 * Stage 6: mask the rows with the requester's posture. Complete provenance, by position,
 * when the statement was traced; the older name-based trace only for statements nobody
 * could trace (people, other dialects). Any failure releases nothing.
 */
export async function mask(input: MaskInput): Promise<{ rows: QueryResult['rows']; report: MaskingReport }> {
  const { result } = input;
  try {
    const plan = await maskingPlan(input, result.columns);
    return input.masker.maskResult({
      columns: result.columns,
      rows: result.rows,
      plan,
      unmasked: input.clear,
    });
  } catch (e) {
    throw maskingFailed(e);
  }
}

/** What each result column is masked as; a streamed read plans once, from its columns. */
export async function maskingPlan(
  input: Omit<MaskInput, 'result'>,
  columns: QueryResult['columns'],
  resolved?: Array<SourceColumn | null>,
): Promise<ColumnPlan[]> {
  const { connection: conn, facts, catalog } = input;
  const sources =
    resolved ??
    (input.connector.resolveSources
      ? await input.connector.resolveSources(columns)
      : columns.map(() => null));
  return facts.provenance && catalog
    ? planFromProvenance({
        columns,
        sources,
        outputs: facts.provenance.outputs,
        classification: conn.classification,
        catalog,
      })
    : traceColumns({ columns, sources, facts, classification: conn.classification });
}

export function maskingFailed(e: unknown): GatewayError {
  if (e instanceof GatewayError && e.code === 'masking_failed') return e;
  return new GatewayError('masking_failed', 'The result could not be masked; no rows were released.', {
    cause: e,
  });
}
