import { finding } from '../mask.js';
import { evidenceOf, isType, mayBeOtherThan, shown } from '../stores.js';
import type { Finding, ResourceView } from '../types.js';

/** Keys left working: each service's switch, and the value that means keys are off. */
const SWITCHES: Array<{ type: string; property: string; off: boolean; id: string }> = [
  {
    type: 'microsoft.documentdb/databaseaccounts',
    property: 'properties.disableLocalAuth',
    off: true,
    id: 'local-auth.cosmos',
  },
  // Absent means allowed: Storage accepts shared keys unless told otherwise.
  {
    type: 'microsoft.storage/storageaccounts',
    property: 'properties.allowSharedKeyAccess',
    off: false,
    id: 'local-auth.storage',
  },
  {
    type: 'microsoft.servicebus/namespaces',
    property: 'properties.disableLocalAuth',
    off: true,
    id: 'local-auth.servicebus',
  },
  {
    type: 'microsoft.insights/components',
    property: 'properties.DisableLocalAuth',
    off: true,
    id: 'local-auth.appinsights',
  },
];

export function checkLocalAuth(resources: readonly ResourceView[]): Finding[] {
  const out: Finding[] = [];
  for (const r of resources) {
    if (!r.described) continue;
    for (const s of SWITCHES) {
      if (!isType(r, s.type)) continue;
      const p = r.read(s.property);
      if (!mayBeOtherThan(p, [s.off])) continue;
      const name = s.property.slice('properties.'.length);
      out.push(
        finding(
          s.id,
          r.id,
          `${name} is ${shown(p)} on ${r.name}: keys still work`,
          evidenceOf(r, s.property, p),
        ),
      );
    }
  }
  return out;
}
