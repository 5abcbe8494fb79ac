import { finding } from '../mask.js';
import { evidenceOf } from '../stores.js';
import type { Finding, ResourceView } from '../types.js';

/**
 * Data stores without request-level logs. A diagnostic setting counts when it targets the store
 * (or one of its services) and enables a request category or the audit/allLogs group.
 */

const STORES: Array<{ type: string; label: string; categories: string[] }> = [
  {
    type: 'microsoft.storage/storageaccounts',
    label: 'Storage read logs (StorageRead)',
    categories: ['storageread'],
  },
  {
    type: 'microsoft.documentdb/databaseaccounts',
    label: 'Cosmos DB data-plane requests (DataPlaneRequests)',
    categories: ['dataplanerequests'],
  },
  {
    type: 'microsoft.sql/servers',
    label: 'SQL auditing (SQLSecurityAuditEvents)',
    categories: ['sqlsecurityauditevents'],
  },
  {
    type: 'microsoft.dbforpostgresql/flexibleservers',
    label: 'PostgreSQL audit logs (PostgreSQLLogs with pgaudit)',
    categories: ['postgresqllogs'],
  },
];

const GROUPS = new Set(['audit', 'alllogs']);

/** Lower-cased id of what a diagnostic setting targets, as written (template) or from its id (inventory). */
function targetOf(d: ResourceView): string {
  if (d.fromTemplate) return (d.scopeText ?? '').toLowerCase();
  const id = d.id.toLowerCase();
  const cut = id.indexOf('/providers/microsoft.insights/diagnosticsettings/');
  return cut === -1 ? '' : id.slice(0, cut);
}

function enabled(d: ResourceView, categories: string[]): boolean {
  const logs = d.raw('properties.logs');
  if (!Array.isArray(logs)) return false;
  return logs.some((l) => {
    if (typeof l !== 'object' || l === null) return false;
    const e = l as Record<string, unknown>;
    if (e.enabled === false) return false;
    const c = typeof e.category === 'string' ? e.category.toLowerCase() : '';
    const g = typeof e.categoryGroup === 'string' ? e.categoryGroup.toLowerCase() : '';
    return categories.includes(c) || GROUPS.has(g);
  });
}

/** The store's name as the template writes it (`parameters('name')`), to recognise it in a scope. */
function nameText(r: ResourceView): string {
  const raw = r.raw('name');
  const s = typeof raw === 'string' ? raw : r.name;
  return (s.startsWith('[') ? s.slice(1, -1) : s).toLowerCase();
}

function targets(d: ResourceView, store: ResourceView, type: string): boolean {
  if (!store.fromTemplate) {
    const target = targetOf(d);
    const id = store.id.toLowerCase();
    return target !== '' && (target === id || target.startsWith(`${id}/`));
  }
  if (!d.fromTemplate) return false;
  const scope = d.read('scope');
  const path = `${type}/${store.name.toLowerCase()}`;
  if (!scope.unknown && scope.values.length > 0) {
    return scope.values.every((v) => typeof v === 'string' && `${v.toLowerCase()}/`.includes(`${path}/`));
  }
  // Left as written: the same file naming the store's type and its name expression.
  const target = targetOf(d);
  return d.origin.file === store.origin.file && target.includes(type) && target.includes(nameText(store));
}

function sqlAudited(resources: readonly ResourceView[], store: ResourceView): boolean {
  return resources.some((a) => {
    const t = a.type.toLowerCase();
    if (
      t !== 'microsoft.sql/servers/auditingsettings' &&
      t !== 'microsoft.sql/servers/extendedauditingsettings'
    )
      return false;
    const state = a.read('properties.state');
    const on =
      !state.unknown && state.values.every((v) => typeof v === 'string' && v.toLowerCase() === 'enabled');
    if (!on) return false;
    if (!store.fromTemplate) return a.id.toLowerCase().startsWith(`${store.id.toLowerCase()}/`);
    return a.name.toLowerCase().startsWith(`${store.name.toLowerCase()}/`);
  });
}

export function checkLogging(resources: readonly ResourceView[]): Finding[] {
  const settings = resources.filter((r) => r.type.toLowerCase() === 'microsoft.insights/diagnosticsettings');
  const out: Finding[] = [];
  for (const store of resources) {
    const type = store.type.toLowerCase();
    const spec = STORES.find((s) => s.type === type);
    if (!spec || !store.described) continue;
    const logged =
      settings.some((d) => targets(d, store, type) && enabled(d, spec.categories)) ||
      (type === 'microsoft.sql/servers' && sqlAudited(resources, store));
    if (logged) continue;
    const evidence = evidenceOf(store, 'name');
    evidence.line = store.origin.line;
    evidence.excerpt = `no diagnostic setting with ${spec.label} for ${store.name} in the inputs`;
    out.push(finding('logging.no-request-logs', store.id, `${store.name} has no ${spec.label}`, evidence));
  }
  return out;
}
