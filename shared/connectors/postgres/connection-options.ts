import type { TokenCredential } from '@azure/identity';
import type { ConnectionConfig } from '../../config/connections.js';
import type { PostgresConnectorOptions } from './create-connector.js';

/**
 * How a configured connection becomes connector options: which password source, which TLS
 * setting. Secrets are fetched when a connection opens, never stored in the options.
 */

/** Azure Database for PostgreSQL accepts Entra access tokens for this resource as passwords. */
export const POSTGRES_ENTRA_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';

/** pglite-socket multiplexes connections onto one PGlite session, so one connection is enough. */
const DEMO_POOL_MAX = 1;

export interface PostgresDeps {
  /** The gateway's identity (DefaultAzureCredential / ManagedIdentityCredential); needed for `auth: entra`. */
  credential?: TokenCredential;
  /** Settings/environment record for `password-from-env`; this module never reads process.env. */
  env?: Record<string, string | undefined>;
  /** Address of the embedded demo server, for `target: embedded-demo`. */
  demo?: { host: string; port: number };
}

/** A password function that returns a fresh (credential-cached) Entra token for each new connection. */
export function entraPassword(credential: TokenCredential): () => Promise<string> {
  return async () => {
    const token = await credential.getToken(POSTGRES_ENTRA_SCOPE);
    if (token === null)
      throw new Error('The credential returned no token for Azure Database for PostgreSQL.');
    return token.token;
  };
}

function envPassword(env: Record<string, string | undefined>, name: string): () => Promise<string> {
  // Read at connect time: a missing secret fails that connection only, not the gateway's start.
  return async () => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`Environment variable ${name} is not set.`);
    return value;
  };
}

export function postgresOptionsFor(conn: ConnectionConfig, deps: PostgresDeps): PostgresConnectorOptions {
  if (conn.engine !== 'postgres') throw new TypeError(`connection ${conn.id} is not a postgres connection`);
  const target = conn.target;
  if (target === 'embedded-demo') {
    if (deps.demo === undefined)
      throw new TypeError(`connection ${conn.id}: the embedded demo is not running`);
    // Loopback to an in-process server: no TLS, PGlite's only user.
    return {
      host: deps.demo.host,
      port: deps.demo.port,
      database: 'postgres',
      user: 'postgres',
      password: 'postgres',
      ssl: false,
      poolMax: DEMO_POOL_MAX,
      pipeline: false,
      maxReadBytes: conn.maxReadBytes,
    };
  }
  const base = {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    poolMax: target.pool.max,
    maxReadBytes: conn.maxReadBytes,
  };
  if (target.auth === 'entra') {
    if (deps.credential === undefined)
      throw new TypeError(`connection ${conn.id}: auth entra needs a credential`);
    // A bearer token must never cross the network in clear, whatever `ssl` says.
    return { ...base, password: entraPassword(deps.credential), ssl: { rejectUnauthorized: true } };
  }
  const name = target.passwordEnv;
  if (name === undefined) throw new TypeError(`connection ${conn.id}: passwordEnv is required`);
  return {
    ...base,
    password: envPassword(deps.env ?? {}, name),
    ssl: target.ssl ? { rejectUnauthorized: true } : false,
  };
}
