import type { ConnectionConfig } from '../config/connections.js';
import type { Connector } from '../connectors/connector.js';
import { GatewayError } from '../errors.js';
import type { Masker, MaskingReport } from '../masking/index.js';
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
  const { connection: conn, facts, result, catalog } = input;
  try {
    const sources = input.connector.resolveSources
      ? await input.connector.resolveSources(result.columns)
      : result.columns.map(() => null);
    const plan =
      facts.provenance && catalog
        ? planFromProvenance({
            columns: result.columns,
            sources,
            outputs: facts.provenance.outputs,
            classification: conn.classification,
            catalog,
          })
        : traceColumns({ columns: result.columns, sources, facts, classification: conn.classification });
    return input.masker.maskResult({
      columns: result.columns,
      rows: result.rows,
      plan,
      unmasked: input.clear,
    });
  } catch (e) {
    if (e instanceof GatewayError && e.code === 'masking_failed') throw e;
    throw new GatewayError('masking_failed', 'The result could not be masked; no rows were released.', {
      cause: e,
    });
  }
}
