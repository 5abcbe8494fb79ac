import type { TokenCredential } from '@azure/identity';
import type { ConnectionConfig } from '../config/connections.js';
import { GatewayError } from '../errors.js';
import type { Connector } from './connector.js';
import { closeAllPostgresConnectors, getPostgresConnector, type PostgresDeps } from './postgres.js';

export interface ConnectorRegistry {
  connectorFor(connection: ConnectionConfig): Connector;
  closeAll(): Promise<void>;
}

/**
 * Picks the connector for a connection's engine. Pools live at module scope in each
 * adapter, so they stay warm across Function invocations.
 */
export function connectorRegistry(deps: {
  credential?: TokenCredential;
  env?: Record<string, string | undefined>;
  demo?: { host: string; port: number };
}): ConnectorRegistry {
  const pgDeps: PostgresDeps = deps;
  return {
    connectorFor(connection) {
      switch (connection.engine) {
        case 'postgres':
          return getPostgresConnector(connection, pgDeps);
        case 'tsql':
          // T-SQL statements are analysed, but executing against Azure SQL is its own issue.
          throw new GatewayError('target_unavailable', 'This gateway cannot execute against Azure SQL yet.');
        default: {
          const engine: never = connection.engine;
          throw new GatewayError('target_unavailable', `Unknown engine ${String(engine)}.`);
        }
      }
    },
    closeAll: closeAllPostgresConnectors,
  };
}
