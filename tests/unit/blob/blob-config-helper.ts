import { type BlobConnectionConfig, matchesPattern } from '../../../shared/config/blob-connection.js';
import { parseConfig } from '../../../shared/config/connections.js';

export { matchesPattern };

/** One blob connection parsed through the whole connections-file schema. */
export function parseConfigBlob(overrides: Record<string, unknown>): BlobConnectionConfig {
  const config = parseConfig({
    connections: [
      {
        id: 'files',
        kind: 'blob',
        environment: 'test',
        accountUrl: 'http://127.0.0.1:10000/devstoreaccount1',
        auth: 'azurite',
        containers: { 'demo-files': { prefixes: ['exports/'] } },
        ...overrides,
      },
    ],
  });
  const c = config.blobConnections?.[0];
  if (!c) throw new Error('no blob connection parsed');
  return c;
}
