import { z } from 'zod';
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
  fetch: (
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
  ) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;
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

const graphPage = z.looseObject({ data: z.array(z.unknown()), $skipToken: z.string().optional() });
const armList = z.looseObject({ value: z.array(z.unknown()), nextLink: z.string().optional() });
const row = z.looseObject({ id: z.string(), type: z.string() });

const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function fetchLiveInputs(
  options: LiveOptions,
): Promise<{ inputs: PostureInput[]; skipped: Skipped[] }> {
  if (!SUBSCRIPTION.test(options.subscriptionId)) throw new TypeError('the subscription id must be a GUID');
  const endpoint = (options.endpoint ?? 'https://management.azure.com').replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxPages = options.maxPages ?? 50;
  const token = await options.getToken();
  const skipped: Skipped[] = [];
  const where = `subscription ${options.subscriptionId}`;

  const call = async (url: string, body?: unknown): Promise<unknown> => {
    const res = await options.fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${url.replace(endpoint, '')}`);
    return res.json();
  };

  const graph = async (query: string): Promise<unknown[]> => {
    const rows: unknown[] = [];
    let skipToken: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const body = {
        subscriptions: [options.subscriptionId],
        query,
        options: { $top: 1000, ...(skipToken ? { $skipToken: skipToken } : {}) },
      };
      const p = graphPage.parse(
        await call(`${endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`, body),
      );
      rows.push(...p.data);
      skipToken = p.$skipToken;
      if (!skipToken) return rows;
    }
    throw new Error(`more than ${maxPages} pages of Resource Graph results`);
  };

  const list = async (path: string, apiVersion: string): Promise<unknown[]> => {
    const rows: unknown[] = [];
    let url: string | undefined = `${endpoint}${path}?api-version=${apiVersion}`;
    for (let page = 0; url && page < maxPages; page++) {
      const p = armList.parse(await call(url));
      rows.push(...p.value);
      // Follow nextLink only on the same endpoint: a response must not send the token elsewhere.
      url = p.nextLink?.startsWith(`${endpoint}/`) ? p.nextLink : undefined;
    }
    return rows;
  };

  const inputs: PostureInput[] = [];
  let resources: unknown[] = [];
  try {
    resources = await graph(RESOURCES_QUERY);
    inputs.push({ kind: 'inventory', file: `resource-graph:${where}:resources`, json: resources });
  } catch (e) {
    skipped.push({
      file: `resource-graph:${where}:resources`,
      reason: String(e instanceof Error ? e.message : e),
    });
  }
  try {
    inputs.push({
      kind: 'inventory',
      file: `resource-graph:${where}:role-assignments`,
      json: await graph(ROLES_QUERY),
    });
  } catch (e) {
    skipped.push({
      file: `resource-graph:${where}:role-assignments`,
      reason: String(e instanceof Error ? e.message : e),
    });
  }

  // Per store: where its request logs would be configured, and its own access lists.
  const extra: Array<{ path: string; api: string }> = [];
  for (const r of resources) {
    const parsed = row.safeParse(r);
    if (!parsed.success) continue;
    const { id } = parsed.data;
    const type = parsed.data.type.toLowerCase();
    if (!STORE_TYPES.includes(type)) continue;
    const diag = (scope: string) => ({
      path: `${scope}/providers/Microsoft.Insights/diagnosticSettings`,
      api: '2021-05-01-preview',
    });
    if (type === 'microsoft.storage/storageaccounts') {
      for (const s of ['blobServices', 'queueServices', 'tableServices', 'fileServices'])
        extra.push(diag(`${id}/${s}/default`));
    } else extra.push(diag(id));
    if (type === 'microsoft.documentdb/databaseaccounts')
      extra.push({ path: `${id}/sqlRoleAssignments`, api: '2024-11-15' });
    if (type === 'microsoft.sql/servers') {
      extra.push(
        { path: `${id}/firewallRules`, api: '2021-11-01' },
        { path: `${id}/auditingSettings`, api: '2021-11-01' },
      );
    }
    if (
      type === 'microsoft.dbforpostgresql/flexibleservers' ||
      type === 'microsoft.dbformysql/flexibleservers'
    ) {
      extra.push({ path: `${id}/firewallRules`, api: '2022-12-01' });
    }
  }
  for (const e of extra) {
    try {
      const rows = await list(e.path, e.api);
      if (rows.length > 0) inputs.push({ kind: 'inventory', file: `arm:${e.path}`, json: rows });
    } catch (err) {
      skipped.push({ file: `arm:${e.path}`, reason: String(err instanceof Error ? err.message : err) });
    }
  }
  return { inputs, skipped };
}
