import type { ConnectionConfig } from './config/connections.js';
import { BUILTIN_CLASSES } from './masking/index.js';
import { FREE_TEXT_CLASS, PUBLIC_CLASS, typeOf, UNPROVEN_CLASS } from './masking/provenance-plan.js';
import type { PolicyEngine } from './policy/index.js';
import { queryContext } from './policy/index.js';
import { type Catalog, isFreeTextType } from './sql/catalog.js';
import type { ConnectionResource, Decision, Principal, StatementFacts } from './types.js';

export function connectionResource(c: ConnectionConfig): ConnectionResource {
  return { type: 'Connection', id: c.id, engine: c.engine, environment: c.environment, tags: c.tags };
}

/**
 * Unmask decisions depend only on who the principal is and on the (immutable) policy set,
 * so they are remembered per engine; the memo is bounded and simply starts over when full.
 */
const UNMASK_MEMO_LIMIT = 10_000;
const unmaskMemo = new WeakMap<PolicyEngine, Map<string, boolean>>();

/** Classes this principal may see in clear: one `unmask` decision per class, default deny. */
export function unmaskedClasses(
  policy: PolicyEngine,
  principal: Principal,
  classes: Iterable<string>,
): Set<string> {
  let memo = unmaskMemo.get(policy);
  if (!memo) {
    memo = new Map();
    unmaskMemo.set(policy, memo);
  }
  const who = JSON.stringify([
    principal.kind,
    principal.id,
    principal.tenantId ?? '',
    principal.appId ?? '',
    principal.name ?? '',
    [...principal.groups].sort(),
    [...principal.roles].sort(),
  ]);
  const clear = new Set<string>();
  for (const cls of new Set(classes)) {
    const key = `${who}\u0000${cls}`;
    let allowed = memo.get(key);
    if (allowed === undefined) {
      const d = policy.decide({
        principal,
        action: 'unmask',
        resource: { type: 'DataClass', id: cls },
        context: {},
      });
      allowed = d.outcome === 'allow';
      if (memo.size >= UNMASK_MEMO_LIMIT) memo.clear();
      memo.set(key, allowed);
    }
    if (allowed) clear.add(cls);
  }
  return clear;
}

export interface QueryDecisionInput {
  policy: PolicyEngine;
  principal: Principal;
  connection: ConnectionConfig;
  facts: StatementFacts;
  requestedMaxRows: number;
  purpose: string | undefined;
  now: Date;
  /** Tables and columns read that the connection does not expose. */
  unexposed?: string[];
  /**
   * The exposed catalog the statement was analysed against: with it, an unclassified column of
   * a free-text type (what the content scan masks on the way out) counts as masked in a
   * predicate, as it does in the output. Without one (offline checks) only classes count.
   */
  catalog?: Catalog;
  /** How the statement came (`rest`, `mcp`): the context's `transport`. */
  transport?: string;
}

/** The class a base column stands for in a predicate; undefined when it is not masked content. */
function predicateClass(connection: ConnectionConfig, catalog: Catalog | undefined, column: string) {
  const cls = connection.classification[column];
  if (cls !== undefined) return cls === PUBLIC_CLASS ? undefined : cls;
  if (catalog === undefined) return undefined;
  // A name outside the catalog is no column the statement can read (tracing refuses one);
  // the facts' own walker lists such guesses (an output alias in GROUP BY).
  const type = typeOf(catalog, column);
  return type !== undefined && isFreeTextType(type) ? FREE_TEXT_CLASS : undefined;
}

/**
 * Prepares the `query` decision for one statement: which classes stay masked for this
 * caller, which predicates touch masked columns (filtering, joining, sorting or computing on a
 * masked column can reveal it by inference, or by how long it takes), and a `decide(estimatedRows)` to call before and
 * after the planner estimate. Used by the gateway and by `agentgate policy check`.
 */
export function prepareQueryDecision(input: QueryDecisionInput) {
  const { policy, principal, connection, facts } = input;
  const clear = unmaskedClasses(policy, principal, [
    ...Object.values(connection.classification),
    ...BUILTIN_CLASSES,
    FREE_TEXT_CLASS,
    UNPROVEN_CLASS,
  ]);
  // Testing or computing on masked content answers questions about it one comparison (or one
  // timing) at a time, and free text the scan masks is such content too.
  const maskedPredicates = facts.predicateColumns.filter((col) => {
    const cls = predicateClass(connection, input.catalog, col);
    return cls !== undefined && !clear.has(cls);
  });
  const decide = (estimatedRows: number | null, rowsSource?: 'estimate' | 'actual'): Decision =>
    policy.decide({
      principal,
      action: 'query',
      resource: connectionResource(connection),
      context: queryContext(facts, {
        estimatedRows,
        requestedMaxRows: input.requestedMaxRows,
        ...(input.purpose === undefined ? {} : { purpose: input.purpose }),
        now: input.now,
        predicateOnMasked: maskedPredicates.length > 0,
        maskedColumnsInPredicates: maskedPredicates,
        onBehalfOf: principal.onBehalfOf !== undefined,
        unexposed: input.unexposed ?? [],
        ...(rowsSource ? { rowsSource } : {}),
        ...(input.transport === undefined ? {} : { transport: input.transport }),
      }),
    });
  return { clear, maskedPredicates, decide };
}
