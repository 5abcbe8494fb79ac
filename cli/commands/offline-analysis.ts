import type { ConnectionConfig } from '../../shared/config/connections.js';
import { functionsOf } from '../../shared/pipeline/analyse.js';
import { exposedCatalog } from '../../shared/query/catalog-cache.js';
import { analyseStatement } from '../../shared/sql/analyse.js';
import type { Catalog } from '../../shared/sql/catalog.js';
import type { StatementFacts } from '../../shared/types.js';
import { DEMO_TABLES } from '../dev/demo-catalog.js';

/**
 * Facts about a statement as the gateway finds them, without a target: for a connection to
 * the embedded demo, whose tables are known, a single read is traced against its exposed
 * catalog as the gateway traces it (so `policy check` sees the same masked predicates and
 * violations); for any other target only the statement itself is read.
 */
export async function offlineAnalysis(
  connection: ConnectionConfig,
  sql: string,
): Promise<{ facts: StatementFacts; catalog: Catalog | undefined }> {
  const first = await analyseStatement(connection.engine, sql, { defaultSchema: connection.defaultSchema });
  const singleRead = first.effect === 'read' && first.statementCount === 1;
  if (connection.engine !== 'postgres' || connection.target !== 'embedded-demo' || !singleRead) {
    return { facts: first, catalog: undefined };
  }
  const catalog = exposedCatalog(connection, DEMO_TABLES);
  const facts = await analyseStatement(connection.engine, sql, {
    defaultSchema: connection.defaultSchema,
    catalog,
    functions: functionsOf(connection),
  });
  return { facts, catalog };
}
