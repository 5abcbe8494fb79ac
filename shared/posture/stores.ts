import type { Evidence, Possible, ResourceView } from './types.js';

/** Resource types that hold data an agent could want, children included (…/blobServices). */
export const DATA_STORE_TYPES = [
  'microsoft.storage/storageaccounts',
  'microsoft.documentdb/databaseaccounts',
  'microsoft.sql/servers',
  'microsoft.dbforpostgresql/flexibleservers',
  'microsoft.dbforpostgresql/servers',
  'microsoft.dbformysql/flexibleservers',
  'microsoft.servicebus/namespaces',
  'microsoft.keyvault/vaults',
] as const;

export function isDataStoreType(type: string | undefined): boolean {
  if (!type) return false;
  const t = type.toLowerCase();
  return DATA_STORE_TYPES.some((d) => t === d || t.startsWith(`${d}/`));
}

export function isType(r: ResourceView, type: string): boolean {
  return r.type.toLowerCase() === type;
}

/** True when some value the property may take is not one of `safe` (absent counts as unsafe). */
export function mayBeOtherThan(p: Possible, safe: readonly unknown[]): boolean {
  if (p.unknown) return true;
  return p.values.some((v) =>
    typeof v === 'string'
      ? !safe.some((s) => typeof s === 'string' && s.toLowerCase() === v.toLowerCase())
      : !safe.includes(v),
  );
}

/** A value for a message: what the input says, `not set` when absent, or the fact that it is decided at deployment. */
export function shown(p: Possible): string {
  const parts = p.values.map((v) => (v === undefined ? 'not set' : JSON.stringify(v)));
  if (p.unknown) parts.push('decided at deployment');
  return parts.join(' or ');
}

/** Evidence of one property of a resource: file and line for templates, id and property for inventories. */
export function evidenceOf(r: ResourceView, property: string, p?: Possible): Evidence {
  const excerpt = p ? `${property.replace(/^properties\./, '')}: ${shown(p)}` : undefined;
  if (r.fromTemplate) {
    return { file: r.origin.file, line: r.origin.lineOf(property) ?? r.origin.line, property, excerpt };
  }
  return { file: r.origin.file, resourceId: r.id, property, excerpt };
}
