import type { ConnectionConfig } from '../../config/connections.js';
import type { Connector } from '../connector.js';
import { type PostgresDeps, postgresOptionsFor } from './connection-options.js';
import { createPostgresConnector } from './create-connector.js';

/**
 * One connector (and so one pool) per connection id for the life of the process, so warm
 * Function instances reuse open connections instead of paying a TLS + Entra login each call.
 */

const connectors = new Map<string, { signature: string; connector: Connector }>();

/** What the pool was built from; a changed target (config reload in dev) gets a fresh pool. */
function signatureOf(conn: ConnectionConfig, deps: PostgresDeps): string {
  return JSON.stringify([conn.target, deps.demo ?? null]);
}

export function getPostgresConnector(conn: ConnectionConfig, deps: PostgresDeps): Connector {
  const signature = signatureOf(conn, deps);
  const cached = connectors.get(conn.id);
  if (cached !== undefined && cached.signature === signature) return cached.connector;
  const connector = createPostgresConnector(postgresOptionsFor(conn, deps));
  connectors.set(conn.id, { signature, connector });
  // Requests still holding the replaced connector finish first; end() waits for their clients.
  if (cached !== undefined) void cached.connector.close().catch(() => undefined);
  return connector;
}

export async function closeAllPostgresConnectors(): Promise<void> {
  const all = [...connectors.values()];
  connectors.clear();
  await Promise.allSettled(all.map((c) => c.connector.close()));
}
