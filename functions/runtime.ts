import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { CosmosBudgetStore } from '../shared/budget/index.js';
import { composeGateway, type Gateway } from '../shared/compose.js';
import { loadConfigFile } from '../shared/config/connections.js';
import { readSettings } from '../shared/config/settings.js';
import { connectorRegistry } from '../shared/connectors/registry.js';
import { createTokenVerifier } from '../shared/identity/index.js';
import { loadPolicyEngine } from '../shared/policy/index.js';
import { CosmosAuditStore } from '../shared/store/cosmos-audit-store.js';
import { createCosmosClient } from '../shared/store/cosmos-client.js';

/**
 * The Azure composition root: managed identity everywhere, no keys. Built once per worker.
 * Resolved relative to this module so the same line works from sources and from the bundle
 * (dist/functions/index.js next to dist/policies/).
 */
export const DEFAULT_POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));
/** The package root (the repo from sources, dist/ in the deployed bundle). */
const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A relative AGENTGATE_CONFIG names a file shipped in the package, whatever the working directory. */
export function resolveConfigPath(path: string): string {
  return isAbsolute(path) ? path : resolve(PACKAGE_ROOT, path);
}

export async function createAzureGateway(
  env: Record<string, string | undefined> = process.env,
): Promise<Gateway> {
  const settings = readSettings(env);
  if (!settings.AGENTGATE_CONFIG) throw new Error('AGENTGATE_CONFIG is not set');
  if (!settings.COSMOS__accountEndpoint) throw new Error('COSMOS__accountEndpoint is not set');
  if (settings.AGENTGATE_AUTH_TENANTS.length === 0 || settings.AGENTGATE_AUTH_AUDIENCES.length === 0) {
    throw new Error('AGENTGATE_AUTH_TENANTS and AGENTGATE_AUTH_AUDIENCES must be set');
  }

  const clientId = settings.AZURE_CLIENT_ID ?? settings.COSMOS__clientId;
  const credential: TokenCredential = clientId
    ? new ManagedIdentityCredential({ clientId })
    : new DefaultAzureCredential();

  const policy = await loadPolicyEngine(settings.AGENTGATE_POLICY_DIR ?? DEFAULT_POLICY_DIR);
  const config = await loadConfigFile(resolveConfigPath(settings.AGENTGATE_CONFIG));
  const cosmos = createCosmosClient({ endpoint: settings.COSMOS__accountEndpoint, credential });
  const database = cosmos.database(settings.COSMOS_DATABASE);

  return composeGateway({
    config,
    policy,
    verifier: createTokenVerifier({
      entra: { tenants: settings.AGENTGATE_AUTH_TENANTS, audiences: settings.AGENTGATE_AUTH_AUDIENCES },
    }),
    audit: new CosmosAuditStore(database.container('audit')),
    budgets: new CosmosBudgetStore(database.container('budgets')),
    connectorFor: connectorRegistry({ credential, env }).connectorFor,
    maskingKey: settings.AGENTGATE_MASKING_KEY,
  });
}
