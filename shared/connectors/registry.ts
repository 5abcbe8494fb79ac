import type { TokenCredential } from '@azure/identity';
import type { ConnectionConfig, TargetKind } from '../config/connections.js';
import { GatewayError } from '../errors.js';
import type { Connector } from './connector.js';
import { closeAllPostgresConnectors, getPostgresConnector, type PostgresDeps } from './postgres.js';

/** What adapters may need from the host: the gateway's identity, its environment, the demo. */
export interface ConnectorDeps {
  credential?: TokenCredential;
  env?: Record<string, string | undefined>;
  demo?: { host: string; port: number };
}

/**
 * One adapter per target kind: it builds the connector for a connection and owns its pools
 * (kept at module scope, so warm Function instances reuse open connections). A new target
 * kind adds a folder under connectors/ and one row here.
 */
export interface ConnectorFactory {
  connectorFor(connection: ConnectionConfig, deps: ConnectorDeps): Connector;
  closeAll(): Promise<void>;
}

export const CONNECTOR_FACTORIES: Readonly<Record<TargetKind, ConnectorFactory>> = {
  postgres: {
    connectorFor: (connection, deps) => getPostgresConnector(connection, deps satisfies PostgresDeps),
    closeAll: closeAllPostgresConnectors,
  },
  'azure-sql': {
    connectorFor: () => {
      // T-SQL statements are analysed, but executing against Azure SQL is its own issue.
      throw new GatewayError('target_unavailable', 'This gateway cannot execute against Azure SQL yet.');
    },
    closeAll: async () => {},
  },
};

export interface ConnectorRegistry {
  connectorFor(connection: ConnectionConfig): Connector;
  closeAll(): Promise<void>;
}

/** Picks the adapter for a connection's kind from the factory table. */
export function connectorRegistry(
  deps: ConnectorDeps,
  factories: Readonly<Record<TargetKind, ConnectorFactory>> = CONNECTOR_FACTORIES,
): ConnectorRegistry {
  return {
    connectorFor(connection) {
      const factory = factories[connection.kind];
      if (!factory) throw new GatewayError('target_unavailable', 'No adapter for this target kind.');
      return factory.connectorFor(connection, deps);
    },
    async closeAll() {
      await Promise.allSettled(Object.values(factories).map((f) => f.closeAll()));
    },
  };
}
