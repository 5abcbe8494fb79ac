import type { ConnectionConfig } from '../config/connections.js';
import type { Connector } from '../connectors/connector.js';
import { type Catalog, type CatalogTable, catalogOf } from '../sql/catalog.js';

/**
 * The exposed part of each connection's catalog, read from the target with the gateway's
 * identity once and kept for a while: the analyser resolves every name against it. A failed
 * read is not kept, so the next request tries again.
 */

const TTL_MS = 5 * 60_000;

export interface CatalogCache {
  catalogFor(connection: ConnectionConfig, connector: Connector): Promise<Catalog>;
}

/** Marks what the exposure list leaves out of each table the target described. */
export function exposedCatalog(connection: ConnectionConfig, described: CatalogTable[]): Catalog {
  const tables: CatalogTable[] = [];
  for (const table of described) {
    const spec = connection.exposure[table.name];
    if (spec === undefined) continue;
    const allowed = spec.columns === undefined ? undefined : new Set(spec.columns);
    tables.push({
      name: table.name,
      columns: table.columns.map((c) => ({ ...c, exposed: allowed === undefined || allowed.has(c.name) })),
    });
  }
  return catalogOf(tables);
}

export function createCatalogCache(now: () => number = Date.now): CatalogCache {
  const entries = new Map<string, { at: number; catalog: Promise<Catalog> }>();
  return {
    catalogFor(connection, connector) {
      const hit = entries.get(connection.id);
      if (hit && now() - hit.at < TTL_MS) return hit.catalog;
      const tables = Object.keys(connection.exposure);
      const catalog =
        tables.length === 0 || connector.describeTables === undefined
          ? Promise.resolve(catalogOf([]))
          : connector.describeTables(tables).then((described) => exposedCatalog(connection, described));
      entries.set(connection.id, { at: now(), catalog });
      catalog.catch(() => entries.delete(connection.id));
      return catalog;
    },
  };
}
