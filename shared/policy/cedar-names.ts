/** Names that tie the TypeScript side to `policies/schema.cedarschema`; change both together. */

export const CEDAR_NAMESPACE = 'AgentGate';

export type CedarEntityKind = 'Agent' | 'Human' | 'Group' | 'Role' | 'Connection' | 'DataClass' | 'Gateway';

export function cedarEntityType(kind: CedarEntityKind): string {
  return `${CEDAR_NAMESPACE}::${kind}`;
}

export const CEDAR_ACTION_TYPE = `${CEDAR_NAMESPACE}::Action`;

export const SCHEMA_FILE = 'schema.cedarschema';
export const POLICY_FILE_SUFFIX = '.cedar';
