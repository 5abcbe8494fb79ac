import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';

/**
 * The well-known Cosmos DB emulator key. The in-process server accepts any key; we use
 * this public one so nothing here looks like a real secret.
 */
export const EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only by default, so the unauthenticated emulator is never reachable from outside. */
  host?: string;
}

export interface CosmosEmulator {
  endpoint: string;
  key: string;
  stop(): Promise<void>;
}

/**
 * Starts `@vercel/cosmosdb-server` in this process (HTTPS, self-signed certificate, empty
 * and in memory). Connect to it with `createCosmosClient({ ..., allowSelfSigned: true })`.
 */
export async function startCosmosEmulator(options: CosmosEmulatorOptions = {}): Promise<CosmosEmulator> {
  const host = options.host ?? '127.0.0.1';
  // Without keepAlive the emulator answers `Connection: close`, and every request pays a new
  // TLS handshake: about a fifth of the local host's CPU per request, measured.
  const server = createHttpsServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `https://${urlHost}:${port}`,
    key: EMULATOR_KEY,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // close() waits for open sockets; clients may keep some alive, so cut them.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
