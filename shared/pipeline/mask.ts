import type { ConnectionConfig } from '../config/connections.js';
import type { Connector, PlanSources, SourceColumn } from '../connectors/connector.js';
import { GatewayError } from '../errors.js';
import type { ColumnPlan, Masker, MaskingReport } from '../masking/index.js';
import { traceColumns } from '../masking/index.js';
import { planFromProvenance } from '../masking/provenance-plan.js';
import type { Catalog } from '../sql/catalog.js';
import type { QueryResult, StatementFacts } from '../types.js';

const UNREACHABLE_TARGET: ReadonlySet<string> = new Set(['target_unavailable', 'query_timeout']);

export interface MaskInput {
  connector: Connector;
  connection: ConnectionConfig;
  facts: StatementFacts;
  catalog: Catalog | undefined;
  result: QueryResult;
  /** Classes the requester may see in clear. */
  clear: Set<string>;
  masker: Masker;
  /** What the target's plan says each result column reads, when the estimate asked it. */
  planSources?: PlanSources;
}

/**
 * Stage 6: mask the rows with the requester's posture. Complete provenance, by position,
 * when the statement was traced; the older name-based trace only for statements nobody
 * could trace (people, other dialects). Any failure releases nothing.
 */
export async function mask(input: MaskInput): Promise<{ rows: QueryResult['rows']; report: MaskingReport }> {
  const { result } = input;
  // Where each column comes from is asked of the target: when it cannot answer, that is the
  // target's error (502, 504), not a masking failure; nothing is released either way.
  let sources: Array<SourceColumn | null> | undefined;
  try {
    sources = input.connector.resolveSources
      ? await input.connector.resolveSources(result.columns)
      : undefined;
  } catch (e) {
    // Only the target's own fixed answers pass; any other error (a message from the server)
    // stays a masking failure, so no server text reaches the caller from here.
    throw e instanceof GatewayError && UNREACHABLE_TARGET.has(e.code) ? e : maskingFailed(e);
  }
  try {
    const plan = await maskingPlan(input, result.columns, sources);
    return await input.masker.maskResultInSlices({
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
        ...(input.planSources !== undefined ? { planSources: input.planSources } : {}),
      })
    : traceColumns({ columns, sources, facts, classification: conn.classification });
}

export function maskingFailed(e: unknown): GatewayError {
  if (e instanceof GatewayError && e.code === 'masking_failed') return e;
  return new GatewayError('masking_failed', 'The result could not be masked; no rows were released.', {
    cause: e,
  });
}
