import { z } from 'zod';
import { type ArmSession, armListRows, type LiveFetch, resourceGraphRows } from './live-client.js';
import type { PostureInput } from './scan.js';
import type { Skipped } from './types.js';

/**
 * Live inputs for one subscription: Azure Resource Graph for resources and role assignments,
 * then ARM for what Resource Graph does not hold (diagnostic settings, Cosmos DB SQL role
 * assignments, server firewall rules and SQL auditing). The token and `fetch` are injected: the
 * CLI passes DefaultAzureCredential and the global fetch, tests pass recorded responses.
 * Every call has a timeout; pages are followed up to a bound; a failed call is reported as
 * skipped, never as a clean result.
 */

export interface LiveOptions {
  subscriptionId: string;
  /** A bearer token for `https://management.azure.com/.default`. */
  getToken: () => Promise<string>;
  fetch: LiveFetch;
  endpoint?: string;
  timeoutMs?: number;
  /** Most pages read per listing. */
  maxPages?: number;
}

const STORE_TYPES = [
  'microsoft.storage/storageaccounts',
  'microsoft.documentdb/databaseaccounts',
  'microsoft.sql/servers',
  'microsoft.dbforpostgresql/flexibleservers',
  'microsoft.dbformysql/flexibleservers',
  'microsoft.servicebus/namespaces',
  'microsoft.keyvault/vaults',
];
const OTHER_TYPES = [
  'microsoft.network/networksecuritygroups',
  'microsoft.web/sites',
  'microsoft.insights/components',
];

export const RESOURCES_QUERY = `Resources | where type in~ (${[...STORE_TYPES, ...OTHER_TYPES].map((t) => `'${t}'`).join(', ')}) | project id, name, type, location, kind, properties`;
export const ROLES_QUERY =
  "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' | project id, name, type, properties";

const row = z.looseObject({ id: z.string(), type: z.string() });

const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An ARM listing to read for one store: a path below the endpoint and its api-version. */
interface Listing {
  path: string;
  api: string;
}

const STORAGE_SERVICES = ['blobServices', 'queueServices', 'tableServices', 'fileServices'];

/** Each store type's own access lists (beyond its diagnostic settings), as `{id}/{suffix}`. */
const ACCESS_LISTS: ReadonlyMap<string, ReadonlyArray<{ suffix: string; api: string }>> = new Map([
  ['microsoft.documentdb/databaseaccounts', [{ suffix: 'sqlRoleAssignments', api: '2024-11-15' }]],
  [
    'microsoft.sql/servers',
    [
      { suffix: 'firewallRules', api: '2021-11-01' },
      { suffix: 'auditingSettings', api: '2021-11-01' },
    ],
  ],
  ['microsoft.dbforpostgresql/flexibleservers', [{ suffix: 'firewallRules', api: '2022-12-01' }]],
  ['microsoft.dbformysql/flexibleservers', [{ suffix: 'firewallRules', api: '2022-12-01' }]],
]);

export async function fetchLiveInputs(
  options: LiveOptions,
): Promise<{ inputs: PostureInput[]; skipped: Skipped[] }> {
  const session = await openSession(options);
  const where = `subscription ${options.subscriptionId}`;
  const inputs: PostureInput[] = [];
  const skipped: Skipped[] = [];
  const inventory = (file: string, json: unknown[]) => inputs.push({ kind: 'inventory', file, json });

  const resourcesFile = `resource-graph:${where}:resources`;
  const resources = await attempt(resourcesFile, skipped, () => resourceGraphRows(session, RESOURCES_QUERY));
  if (resources) inventory(resourcesFile, resources);
  const rolesFile = `resource-graph:${where}:role-assignments`;
  const roles = await attempt(rolesFile, skipped, () => resourceGraphRows(session, ROLES_QUERY));
  if (roles) inventory(rolesFile, roles);

  for (const e of storeListings(resources ?? [])) {
    const file = `arm:${e.path}`;
    const rows = await attempt(file, skipped, () => armListRows(session, e.path, e.api));
    // An empty listing says nothing a check could use; a failed one was recorded as skipped.
    if (rows && rows.length > 0) inventory(file, rows);
  }
  return { inputs, skipped };
}

/** Checks the options and takes the token once: a bad subscription id fails before any call. */
async function openSession(options: LiveOptions): Promise<ArmSession> {
  if (!SUBSCRIPTION.test(options.subscriptionId)) throw new TypeError('the subscription id must be a GUID');
  const endpoint = (options.endpoint ?? 'https://management.azure.com').replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxPages = options.maxPages ?? 50;
  const token = await options.getToken();
  return {
    subscriptionId: options.subscriptionId,
    endpoint,
    token,
    fetch: options.fetch,
    timeoutMs,
    maxPages,
  };
}

/** Runs one read; a failure is recorded as skipped (never as a clean, empty result) and gives undefined. */
async function attempt<T>(file: string, skipped: Skipped[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    skipped.push({ file, reason: String(e instanceof Error ? e.message : e) });
    return undefined;
  }
}

/** Per store among the resources: where its request logs would be configured, and its own access lists. */
function storeListings(resources: unknown[]): Listing[] {
  return resources.flatMap((r) => {
    const parsed = row.safeParse(r);
    if (!parsed.success) return [];
    const type = parsed.data.type.toLowerCase();
    return STORE_TYPES.includes(type) ? listingsFor(parsed.data.id, type) : [];
  });
}

function listingsFor(id: string, type: string): Listing[] {
  // A storage account keeps diagnostic settings per service, not on the account itself.
  const scopes =
    type === 'microsoft.storage/storageaccounts' ? STORAGE_SERVICES.map((s) => `${id}/${s}/default`) : [id];
  const diagnostics = scopes.map((scope) => ({
    path: `${scope}/providers/Microsoft.Insights/diagnosticSettings`,
    api: '2021-05-01-preview',
  }));
  const access = (ACCESS_LISTS.get(type) ?? []).map((a) => ({ path: `${id}/${a.suffix}`, api: a.api }));
  return [...diagnostics, ...access];
}
