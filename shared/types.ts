/**
 * Types shared across concerns. Each concern owns its logic; the shapes that cross
 * concern boundaries live here so no concern imports another's internals.
 */

// ---------- identity ----------

export type PrincipalKind = 'agent' | 'human';

export interface Principal {
  kind: PrincipalKind;
  /** Stable id: Entra object id (`oid`) when present, else `sub`. */
  id: string;
  tenantId: string | undefined;
  /** Client application id (`azp` / `appid`). */
  appId: string | undefined;
  /** Display name for people and audit (`name`, `preferred_username`, or app name). */
  name: string | undefined;
  /** Entra group object ids (or dev group names). Become Cedar `Group` parents. */
  groups: string[];
  /** App roles (`roles` claim). Become Cedar `Role` parents. */
  roles: string[];
  /** Delegated scopes (`scp`), split on spaces. */
  scopes: string[];
  /** An agent acting for a user keeps both identities: the user is recorded here. */
  onBehalfOf: { id: string; name: string | undefined } | undefined;
  issuer: string;
  /** Token id (`uti` / `jti`) for audit correlation, never the token itself. */
  tokenId: string | undefined;
}

// ---------- statement analysis ----------

export interface ProvenanceOutput {
  name: string;
  /** `schema.table.column` of every base column the value may reveal. */
  sources: string[];
  /** Exactly one base column's value, untransformed. */
  direct: boolean;
  /** Carries many rows' values in one cell (string_agg, array_agg, ARRAY(...)). */
  aggregatesRows: boolean;
  /** The pass could not follow it: withheld for everyone who may not see everything. */
  opaque: boolean;
}

export type ViolationRule = 'exposure' | 'function' | 'construct' | 'column';

export interface Violation {
  rule: ViolationRule;
  message: string;
}

export interface ProvenanceFacts {
  outputs: ProvenanceOutput[];
  violations: Violation[];
  /** Base columns tested by WHERE, JOIN, GROUP BY, HAVING, ORDER BY, windows and filters. */
  predicateColumns: string[];
  /**
   * Base columns whose values decide whether the statement fails (or runs a subquery): a
   * failure is an answer, so these are tested like predicates.
   */
  failureColumns: string[];
  /** Base columns a select list computes on (not passed through as they are), at any depth. */
  computedColumns: string[];
  /** Tables read through a whole-row reference (`c`, `row_to_json(c)`, `c::text`). */
  wholeRowTables: string[];
  /**
   * Some output carries many rows in one cell, or rows are repeated as many times as a column
   * says: volume is the rows read and made, not returned.
   */
  rowPreserving: boolean;
  /** Tables and columns read that the connection does not expose. */
  unexposed: string[];
}

export type Engine = 'postgres' | 'tsql';

/** Ordered from harmless to worst; the analyser reports the worst effect of all statements. */
export const EFFECTS = ['read', 'write', 'ddl', 'admin', 'exec'] as const;
export type Effect = (typeof EFFECTS)[number];

export interface OutputColumn {
  /** Name the column will have in the result (alias or column name; `?column?` when unnamed). */
  name: string;
  /** Fully qualified source columns (`schema.table.column`) the expression reads. */
  sources: string[];
  /** True when the output is a plain column reference (no expression around it). */
  direct: boolean;
  /**
   * True when it is a base table's column through every level below (a derived table's
   * `case ... end as a` is direct where it is named, and not plain): what a call's argument
   * must be to read nothing but one column (shared/sql/row-carriers.ts).
   */
  plain?: boolean;
}

export interface StatementFacts {
  engine: Engine;
  statementCount: number;
  /** Worst effect across all statements. */
  effect: Effect;
  /** Parser node kinds of the top-level statements, e.g. `SelectStmt`. */
  statementKinds: string[];
  /** Schema-qualified, lower-case table names (`public.customers`); CTE names excluded. */
  tables: string[];
  /** Columns referenced per table (`public.customers` -> [`email`, ...]); `*` for a star. */
  columns: Record<string, string[]>;
  /** Lower-case function names called (schema-qualified when the statement qualifies them). */
  functions: string[];
  /** Functions from the dangerous list that the statement calls. */
  dangerousFunctions: string[];
  selectStar: boolean;
  /** Tables read through `*` or `t.*`. */
  starTables: string[];
  hasWhere: boolean;
  /** WHERE present but always true (`1=1`, `true`, `x OR 1=1`, ...). */
  whereTriviallyTrue: boolean;
  /** Constant LIMIT / TOP / FETCH FIRST of the outermost query, or null. */
  limit: number | null;
  /** SELECT ... INTO (creates a table). */
  into: boolean;
  /** Fully qualified columns used in WHERE, JOIN ON, GROUP BY, HAVING or ORDER BY. */
  predicateColumns: string[];
  /** Output columns of the outermost SELECT and what they read (for masking expressions). */
  outputs: OutputColumn[];
  /** Hex SHA-256 of the normalised statement (constants replaced), stable across formatting. */
  fingerprint: string;
  /**
   * The provenance pass over the exposed catalog (PostgreSQL SELECTs when the connection's
   * catalog is known): per-output provenance and the allowlist violations agents are refused for.
   */
  provenance?: ProvenanceFacts;
  /** Highest positional parameter (`$n` on Postgres, distinct `@name` parameters on T-SQL). */
  paramCount?: number;
  /**
   * Per table, how many of its rows one result row may carry at most: its FROM items (and
   * other references), a CTE's counted at each reference, the branches of a set operation
   * taking the most of theirs. A self-join of ten copies makes one result row ten customers
   * (red-team round 23), so volume is counted as rows times this. Absent: one per table.
   */
  tableReads?: Record<string, number>;
  /**
   * Calls that may give a result row another input row's value (shared/sql/row-carriers.ts):
   * each may bring one more row of every table into a result row. Absent: none.
   */
  rowCarriers?: { aggregates: number; windows: number };
}

// ---------- policy ----------

export type Outcome = 'allow' | 'deny' | 'approval';

export type PolicyAction =
  | 'query'
  | 'export'
  | 'approve'
  | 'unmask'
  | 'audit.read'
  | 'blob.list'
  | 'blob.read';

export interface ConnectionResource {
  type: 'Connection';
  id: string;
  /** The SQL dialect, or `blob` for a storage account. */
  engine: Engine | 'blob';
  environment: string;
  tags: string[];
}

export interface DataClassResource {
  type: 'DataClass';
  id: string;
}

export interface GatewayResource {
  type: 'Gateway';
  id: string;
}

export type PolicyResource = ConnectionResource | DataClassResource | GatewayResource;

/** Cedar-compatible context values. */
export type ContextValue = string | number | boolean | ContextValue[] | { [key: string]: ContextValue };

export interface DecisionRequest {
  principal: Principal;
  action: PolicyAction;
  resource: PolicyResource;
  context: Record<string, ContextValue>;
}

export interface Obligations {
  /** Tightest row cap among satisfied permits. */
  maxRows?: number;
  /**
   * On an approval: one entry for each rule that asked for it (an approval policy, or the
   * gateway's own byte cap or budget), saying who may approve. The approval workflow reads
   * its terms from here alone; an approval without them is never stored.
   */
  approvals?: ApprovalObligation[];
}

/** What one rule that sends a request to approval asks of that approval. */
export interface ApprovalObligation {
  /** The rule: a policy's `@id`, or the gateway's own (`gateway-budget`, ...). */
  policyId: string;
  /** Groups whose members may approve for this rule: `@approvers`, or the connection's `approvers`. */
  approvers: string[];
  /** `@quorum` as written, when the policy states one; the approval workflow reads it. */
  quorum?: string;
  /** `@expires` as written, when the policy states one. */
  expires?: string;
}

export interface Decision {
  outcome: Outcome;
  /** Ids of the policies that determined the outcome (forbids on deny, permits otherwise). */
  policyIds: string[];
  /** Human-readable reasons (the `@message` annotations of those policies, or a default). */
  reasons: string[];
  obligations: Obligations;
  /**
   * Present when shadow policies (`@mode("shadow")`) are loaded: what the decision would be
   * with them enforced. Never enforced; for the audit record and `policy check`.
   */
  shadow?: ShadowDecision;
}

export interface ShadowDecision {
  outcome: Outcome;
  policyIds: string[];
  reasons: string[];
  /** Shadow policies among those that determined the would-be outcome. */
  matched: Array<{ policyId: string; effect: 'permit' | 'forbid' }>;
  /** True when the would-be outcome differs from the enforced one. */
  changed: boolean;
}

// ---------- connectors ----------

export interface ResultColumn {
  name: string;
  /** Target type name (`int4`, `text`, ...). */
  type: string;
}

export type Row = Record<string, unknown>;

export interface QueryResult<C extends ResultColumn = ResultColumn> {
  columns: C[];
  rows: Row[];
  rowCount: number;
  truncated: boolean;
}
