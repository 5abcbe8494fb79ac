/** Shared types of the posture check: what a finding is and what the checks read. */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; `--fail-on high` fails on every finding whose rank is at least high's. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}

/**
 * Where a finding was seen: a file and line (repository, template), or a resource id and the
 * property read (inventory). `excerpt` is the line or value shown, with every secret masked.
 */
export interface Evidence {
  file?: string;
  line?: number;
  resourceId?: string;
  property?: string;
  excerpt?: string;
}

export interface Finding {
  /** Rule id, e.g. `secret.storage-key`; the catalogue in rules.ts says why it matters and the fix. */
  id: string;
  severity: Severity;
  /** The resource, identity or file the finding is about. */
  resource: string;
  /** What was seen, in one sentence (never a secret in clear). */
  message: string;
  evidence: Evidence;
  /** Why this lets an agent reach data without the gateway. */
  why: string;
  fix: string;
}

/** A value read from an input: every value it may take, and whether it may also be something unknown. */
export interface Possible {
  values: unknown[];
  /** True when the input does not say (an expression we cannot evaluate, a missing property). */
  unknown: boolean;
}

/** Where a resource was declared, for evidence. */
export interface Origin {
  file: string;
  /** Line of the declaration in `file`, when known. */
  line?: number;
  /** Line of a property of the resource, when it can be found. */
  lineOf(property: string): number | undefined;
}

/** A resource from a template or an inventory, read through one interface. */
export interface ResourceView {
  /** Full resource id (inventory) or `type/name` as written in the template. */
  id: string;
  /** Resource type as written; compare lower-cased. */
  type: string;
  name: string;
  origin: Origin;
  /** True when the resource comes from a template (values may be expressions). */
  fromTemplate: boolean;
  /** False for an inventory row that lists the resource without its properties (`az resource list`). */
  described: boolean;
  /** Every value the property at `path` (dot separated) may take. */
  read(path: string): Possible;
  /** The raw value at `path` (no evaluation), for structural reads such as rule lists. */
  raw(path: string): unknown;
  /** Template only: the scope a deployment targets, and the resource's own `scope` as written. */
  deploymentScope?: 'tenant' | 'managementGroup' | 'subscription' | 'resourceGroup';
  scopeText?: string;
}

/** A role assignment from a template, an inventory, or a SQL/PostgreSQL script. */
export interface RoleGrant {
  /** Principal object id, or name; undefined when the input decides it at deployment. */
  principal: string | undefined;
  /** How the principal was written when it is not a literal (a parameter, an expression). */
  principalExpression?: string;
  principalName?: string;
  principalType?: string;
  /** Role definition name when known (inventory) and/or its id (GUID or full id). */
  roleName?: string;
  roleId?: string;
  /** The scope: a full resource id (inventory), or the template's scope text. */
  scope: string;
  /** Kind of the grant's scope, derived from `scope`. */
  scopeLevel: 'subscription' | 'resourceGroup' | 'resource' | 'unknown';
  /** Resource type at the scope when it is a resource (e.g. microsoft.storage/storageaccounts). */
  scopeType?: string;
  /** `arm` for Azure RBAC, `cosmos` for Cosmos DB data-plane role assignments. */
  plane: 'arm' | 'cosmos';
  origin: Origin;
  resourceId: string;
}

export interface PostureOptions {
  /** Principal ids or names of agentgate's own identity: their grants are what the gateway needs. */
  gatewayPrincipals?: readonly string[];
}

/** An input that could not be analysed; the scan is incomplete and says so. */
export interface Skipped {
  file: string;
  reason: string;
}

export interface PostureReport {
  findings: Finding[];
  skipped: Skipped[];
  /** Files and inventory entries read. */
  scanned: { files: number; templates: number; resources: number; roleAssignments: number };
}
