/**
 * The Postgres connector: Azure Database for PostgreSQL with the gateway's Entra identity,
 * or the embedded PGlite demo, through the same `pg` code path.
 */
export {
  entraPassword,
  POSTGRES_ENTRA_SCOPE,
  type PostgresDeps,
  postgresOptionsFor,
} from './postgres/connection-options.js';
export {
  createPostgresConnector,
  type PostgresConnector,
  type PostgresConnectorOptions,
} from './postgres/create-connector.js';
export { closeAllPostgresConnectors, getPostgresConnector } from './postgres/registry.js';
