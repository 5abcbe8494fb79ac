import type { EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { DecisionRequest, PolicyResource, Principal } from '../types.js';
import { CEDAR_ACTION_TYPE, cedarEntityType } from './cedar-names.js';

export interface CedarRequestParts {
  principal: EntityUidJson;
  action: EntityUidJson;
  resource: EntityUidJson;
  entities: EntityJson[];
}

/** Everything Cedar needs besides the context: the three uids and the entity slice they use. */
export function toCedarRequest(request: DecisionRequest): CedarRequestParts {
  const principal = principalEntity(request.principal);
  const resource = resourceEntity(request.resource);
  return {
    principal: principal.uid,
    action: { type: CEDAR_ACTION_TYPE, id: request.action },
    resource: resource.uid,
    entities: [principal, ...parentEntities(request.principal), resource],
  };
}

function principalEntity(principal: Principal): EntityJson {
  return {
    uid: { type: cedarEntityType(principal.kind === 'agent' ? 'Agent' : 'Human'), id: principal.id },
    attrs: {
      name: principal.name ?? '',
      appId: principal.appId ?? '',
      tenantId: principal.tenantId ?? '',
      kind: principal.kind,
    },
    parents: parentUids(principal),
  };
}

// Cedar refuses duplicate entities, and a token may repeat a group or role.
function parentUids(principal: Principal): EntityUidJson[] {
  return [
    ...[...new Set(principal.groups)].map((id) => ({ type: cedarEntityType('Group'), id })),
    ...[...new Set(principal.roles)].map((id) => ({ type: cedarEntityType('Role'), id })),
  ];
}

function parentEntities(principal: Principal): EntityJson[] {
  return parentUids(principal).map((uid) => ({ uid, attrs: {}, parents: [] }));
}

function resourceEntity(resource: PolicyResource): EntityJson {
  switch (resource.type) {
    case 'Connection':
      return {
        uid: { type: cedarEntityType('Connection'), id: resource.id },
        attrs: {
          engine: resource.engine,
          environment: resource.environment,
          tags: [...new Set(resource.tags)],
        },
        parents: [],
      };
    case 'DataClass':
      return {
        uid: { type: cedarEntityType('DataClass'), id: resource.id },
        attrs: { category: dataClassCategory(resource.id) },
        parents: [],
      };
    case 'Gateway':
      return { uid: { type: cedarEntityType('Gateway'), id: resource.id }, attrs: {}, parents: [] };
    default:
      return unreachable(resource);
  }
}

/** `pii.email` -> `pii`; lower-cased so `Secret.Key` cannot slip past a `secret` rule. */
export function dataClassCategory(dataClassId: string): string {
  return (dataClassId.split('.')[0] ?? '').trim().toLowerCase();
}

function unreachable(value: never): never {
  throw new TypeError(`unexpected policy resource ${JSON.stringify(value)}`);
}
