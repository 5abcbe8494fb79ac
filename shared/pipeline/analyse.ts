import type { ConnectionConfig } from '../config/connections.js';
import type { Connector } from '../connectors/connector.js';
import type { CatalogCache } from '../query/catalog-cache.js';
import { tablesOutsideExposure, unexposedReads } from '../query/exposure.js';
import { analyseStatement } from '../sql/analyse.js';
import { AnalysisMemo } from '../sql/analysis-memo.js';
import type { Catalog } from '../sql/catalog.js';
import { DEFAULT_FUNCTIONS, type FunctionPolicy, functionPolicy } from '../sql/pg/allowlist.js';
import type { Principal, StatementFacts } from '../types.js';

export interface Analysis {
  facts: StatementFacts;
  /** Tables and columns read that the connection does not expose. */
  unexposed: string[];
  /** The exposed catalog the provenance pass ran against (single reads only). */
  catalog: Catalog | undefined;
}

/** Statement texts remembered per connection and per catalog, and the longest one kept. */
const MEMO_ENTRIES = 512;
const MEMO_MAX_SQL = 16 * 1024;

// Keyed by the objects the facts depend on: a reloaded connection or a refreshed catalog is
// a new object, so its statements are analysed afresh and the old memo goes with the old object.
const plainMemos = new WeakMap<ConnectionConfig, AnalysisMemo>();
const catalogMemos = new WeakMap<ConnectionConfig, WeakMap<Catalog, AnalysisMemo>>();

function plainMemo(conn: ConnectionConfig): AnalysisMemo {
  let memo = plainMemos.get(conn);
  if (memo === undefined) {
    memo = new AnalysisMemo(MEMO_ENTRIES, MEMO_MAX_SQL);
    plainMemos.set(conn, memo);
  }
  return memo;
}

function catalogMemo(conn: ConnectionConfig, catalog: Catalog): AnalysisMemo {
  let byCatalog = catalogMemos.get(conn);
  if (byCatalog === undefined) {
    byCatalog = new WeakMap();
    catalogMemos.set(conn, byCatalog);
  }
  let memo = byCatalog.get(catalog);
  if (memo === undefined) {
    memo = new AnalysisMemo(MEMO_ENTRIES, MEMO_MAX_SQL);
    byCatalog.set(catalog, memo);
  }
  return memo;
}

/** What agents may call on this connection: the reviewed allowlist, with its own changes. */
export function functionsOf(conn: ConnectionConfig): FunctionPolicy {
  const custom = conn.functions.deny.length + Object.keys(conn.functions.allow).length > 0;
  return custom ? functionPolicy(conn.functions) : DEFAULT_FUNCTIONS;
}

/**
 * Stage 2: what the statement does. Parsed once without the catalog, so that names outside
 * the exposure never reach the target (not even as a catalog lookup), then, for a single
 * read, again against the exposed catalog for provenance.
 */
export async function analyse(input: {
  connection: ConnectionConfig;
  connector: Connector;
  catalogs: CatalogCache;
  sql: string;
  principal: Principal;
}): Promise<Analysis> {
  const { connection: conn, sql } = input;
  const first = await plainMemo(conn).get(sql, () =>
    analyseStatement(conn.engine, sql, { defaultSchema: conn.defaultSchema }),
  );
  const early = tablesOutsideExposure(first, conn);
  const singleRead = first.effect === 'read' && first.statementCount === 1;
  if (input.principal.kind === 'agent' && early.length > 0 && singleRead) {
    return { facts: first, unexposed: early, catalog: undefined };
  }
  if (conn.engine !== 'postgres' || !singleRead)
    return { facts: first, unexposed: early, catalog: undefined };
  const catalog = await input.catalogs.catalogFor(conn, input.connector);
  const facts = await catalogMemo(conn, catalog).get(sql, () =>
    analyseStatement(conn.engine, sql, {
      defaultSchema: conn.defaultSchema,
      catalog,
      functions: functionsOf(conn),
    }),
  );
  return { facts, unexposed: unexposedReads(facts, early), catalog };
}
