import type { ConnectionConfig } from '../config/connections.js';
import type { Decision, Principal, StatementFacts, Violation } from '../types.js';

/** The id refusals of the allowlist carry; the same id as the shipped forbid policy. */
export const ALLOWLIST_POLICY_ID = 'agent-allowlist';

/**
 * Tables a statement names that the connection does not expose, from the first analysis
 * (no catalog needed): checked before the target is contacted at all, even for the catalog.
 * Compared case-insensitively here; the provenance pass compares exactly, as PostgreSQL does.
 */
export function tablesOutsideExposure(facts: StatementFacts, connection: ConnectionConfig): string[] {
  const exposed = new Set(Object.keys(connection.exposure).map((t) => t.toLowerCase()));
  return facts.tables.filter((t) => !exposed.has(t.toLowerCase()));
}

/** Everything read that is not exposed: tables of the first analysis and the provenance pass. */
export function unexposedReads(facts: StatementFacts, early: string[]): string[] {
  return [...new Set([...early, ...(facts.provenance?.unexposed ?? [])])].sort();
}

/**
 * Reviewed functions whose value changes from one run of a statement to the next, within one
 * transaction. A read that folds rows into one cell (string_agg, ARRAY(...)) is counted by a
 * run of its own before the read: `where (select random()) < 0.5` read nothing when counted
 * and the whole table when read, for one row of budget (red-team round 25).
 */
const VOLATILE = new Set(['random', 'random_normal', 'gen_random_uuid', 'setseed']);

function bare(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * For agents the allowlist is not a policy choice: a statement that reads what is not
 * exposed, calls what is not reviewed, or has a shape the analyser cannot follow is refused
 * here, whatever the policies say. Humans are judged by policy (`human-exposure`).
 */
export function allowlistRefusal(
  principal: Principal,
  facts: StatementFacts,
  unexposed: string[],
): Decision | undefined {
  // Writes, stacked statements and the like are denied by policy, with their own reasons.
  if (principal.kind !== 'agent' || facts.effect !== 'read' || facts.statementCount !== 1) return undefined;
  const violations: Violation[] = [
    ...unexposed
      .filter((name) => name.split('.').length === 2)
      .map((t) => ({ rule: 'exposure' as const, message: `Table ${t} is not exposed on this connection.` })),
    ...(facts.provenance?.violations ?? []),
  ];
  if (!facts.provenance && facts.effect === 'read') {
    violations.push({
      rule: 'construct',
      message:
        'The gateway cannot trace what this statement reads on this connection, so agents may not run it.',
    });
  }
  const volatile = facts.provenance?.rowPreserving
    ? facts.functions.filter((f) => VOLATILE.has(bare(f)))
    : [];
  if (volatile.length > 0) {
    violations.push({
      rule: 'function',
      message: `${volatile.join(', ')} in a read that folds rows into one cell: such a read is counted by running it, and a value that changes between that run and the read makes the count say nothing.`,
    });
  }
  if (violations.length === 0) return undefined;
  const reasons = [...new Set(violations.map((v) => v.message))];
  return { outcome: 'deny', policyIds: [ALLOWLIST_POLICY_ID], reasons, obligations: {} };
}
