import { z } from 'zod';
import type { Origin, Possible, ResourceView, RoleGrant } from './types.js';

/**
 * Exported inventories: what `az resource list`, `az role assignment list`, `az network nsg
 * list`, `az storage account list`, `az cosmosdb list`, `az monitor diagnostic-settings list`
 * print, Azure Resource Graph results (`az graph query`: `{ data: [...] }`) and ARM list
 * responses (`{ value: [...] }`). The az CLI flattens some resources' properties to the top
 * level; a read looks under `properties` first, then at the top.
 */

const roleAssignmentSchema = z.looseObject({
  principalId: z.string().optional(),
  principalName: z.string().optional(),
  principalType: z.string().optional(),
  roleDefinitionName: z.string().optional(),
  roleDefinitionId: z.string().optional(),
  scope: z.string().optional(),
  id: z.string().optional(),
});

const resourceSchema = z.looseObject({ id: z.string(), type: z.string(), name: z.string().optional() });

/** Keys every az/ARG resource row has; a row with only these says nothing about its settings. */
const BASIC_KEYS = new Set([
  'id',
  'name',
  'type',
  'kind',
  'location',
  'resourceGroup',
  'tags',
  'sku',
  'identity',
  'properties',
  'managedBy',
  'plan',
  'zones',
  'extendedLocation',
  'changedTime',
  'createdTime',
  'provisioningState',
  'tenantId',
  'subscriptionId',
  'etag',
  'systemData',
]);

export interface Inventory {
  resources: ResourceView[];
  grants: RoleGrant[];
}

/** The rows of an inventory file, or undefined when the JSON is not an inventory. */
function rowsOf(json: unknown): unknown[] | undefined {
  if (Array.isArray(json)) return json;
  if (typeof json === 'object' && json !== null) {
    const o = json as Record<string, unknown>;
    if (Array.isArray(o.data)) return o.data;
    if (Array.isArray(o.value)) return o.value;
  }
  return undefined;
}

function at(v: unknown, key: string): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const entry = Object.entries(v).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return entry?.[1];
}

function walkPath(root: unknown, path: string): unknown {
  let v = root;
  for (const key of path.split('.')) v = at(v, key);
  return v;
}

function readValue(row: Record<string, unknown>, path: string): unknown {
  const direct = walkPath(row, path);
  if (direct !== undefined || !path.startsWith('properties.')) return direct;
  return walkPath(row, path.slice('properties.'.length));
}

/** Scope kind and resource type of a full ARM id. */
export function scopeOf(scope: string): Pick<RoleGrant, 'scopeLevel' | 'scopeType'> {
  const parts = scope.split('/').filter((p) => p !== '');
  const lower = parts.map((p) => p.toLowerCase());
  const providers = lower.lastIndexOf('providers');
  if (providers !== -1 && providers + 2 < parts.length) {
    const namespace = parts[providers + 1];
    const types: string[] = [];
    for (let i = providers + 2; i < parts.length; i += 2) types.push(parts[i]);
    // A scope inside a resource's children (…/storageAccounts/x/blobServices/default) is still that resource's data.
    return { scopeLevel: 'resource', scopeType: `${namespace}/${types.join('/')}`.toLowerCase() };
  }
  if (lower[0] === 'subscriptions' && lower[2] === 'resourcegroups' && parts.length >= 4)
    return { scopeLevel: 'resourceGroup' };
  if (lower[0] === 'subscriptions' && parts.length >= 2) return { scopeLevel: 'subscription' };
  // Management groups reach every subscription under them.
  if (lower.includes('managementgroups')) return { scopeLevel: 'subscription' };
  return { scopeLevel: 'unknown' };
}

function originFor(file: string): Origin {
  return { file, lineOf: () => undefined };
}

/** Resources and role assignments of an inventory file, or undefined when it holds none. */
export function readInventoryFile(file: string, json: unknown): Inventory | undefined {
  const rows = rowsOf(json);
  if (!rows || rows.length === 0) return undefined;
  const resources: ResourceView[] = [];
  const grants: RoleGrant[] = [];
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    const rec = row as Record<string, unknown>;
    const origin = originFor(file);
    const type = typeof rec.type === 'string' ? rec.type.toLowerCase() : '';
    const isCosmos = type === 'microsoft.documentdb/databaseaccounts/sqlroleassignments';
    // ARM and Resource Graph rows keep an assignment's fields under `properties`; az flattens them.
    const nested =
      (type === 'microsoft.authorization/roleassignments' || isCosmos) &&
      typeof rec.properties === 'object' &&
      rec.properties !== null;
    const ra = roleAssignmentSchema.safeParse(
      nested ? { ...rec, ...(rec.properties as object), id: rec.id } : rec,
    );
    if (
      ra.success &&
      ra.data.principalId !== undefined &&
      (ra.data.roleDefinitionId || ra.data.roleDefinitionName)
    ) {
      const d = ra.data;
      const scope = typeof d.scope === 'string' ? d.scope : '';
      grants.push({
        principal: d.principalId,
        principalName: d.principalName,
        principalType: d.principalType,
        roleName: d.roleDefinitionName,
        roleId: d.roleDefinitionId,
        scope,
        ...scopeOf(scope),
        plane: isCosmos ? 'cosmos' : 'arm',
        origin,
        resourceId: d.id ?? scope,
      });
      continue;
    }
    const r = resourceSchema.safeParse(rec);
    if (!r.success) continue;
    resources.push({
      id: r.data.id,
      type: r.data.type,
      name: r.data.name ?? r.data.id.split('/').pop() ?? r.data.id,
      origin,
      fromTemplate: false,
      // `az resource list` prints properties: null; flattened az output has other keys beside the basics.
      described:
        (typeof rec.properties === 'object' && rec.properties !== null) ||
        Object.keys(rec).some((k) => !BASIC_KEYS.has(k)),
      read: (path): Possible => ({ values: [readValue(rec, path)], unknown: false }),
      raw: (path) => readValue(rec, path),
    });
  }
  return resources.length + grants.length === 0 ? undefined : { resources, grants };
}
