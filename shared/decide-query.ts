import type { ConnectionConfig } from './config/connections.js';
import { BUILTIN_CLASSES } from './masking/index.js';
import type { PolicyEngine } from './policy/index.js';
import { queryContext } from './policy/index.js';
import type { ConnectionResource, Decision, Principal, StatementFacts } from './types.js';

export function connectionResource(c: ConnectionConfig): ConnectionResource {
  return { type: 'Connection', id: c.id, engine: c.engine, environment: c.environment, tags: c.tags };
}

/** Classes this principal may see in clear: one `unmask` decision per class, default deny. */
export function unmaskedClasses(
  policy: PolicyEngine,
  principal: Principal,
  classes: Iterable<string>,
): Set<string> {
  const clear = new Set<string>();
  for (const cls of new Set(classes)) {
    const d = policy.decide({
      principal,
      action: 'unmask',
      resource: { type: 'DataClass', id: cls },
      context: {},
    });
    if (d.outcome === 'allow') clear.add(cls);
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
}

/**
 * Prepares the `query` decision for one statement: which classes stay masked for this
 * caller, which predicates touch masked columns (filtering, joining or sorting on a masked
 * column can reveal it by inference), and a `decide(estimatedRows)` to call before and
 * after the planner estimate. Used by the gateway and by `agentgate policy check`.
 */
export function prepareQueryDecision(input: QueryDecisionInput) {
  const { policy, principal, connection, facts } = input;
  const clear = unmaskedClasses(policy, principal, [
    ...Object.values(connection.classification),
    ...BUILTIN_CLASSES,
  ]);
  const maskedPredicates = facts.predicateColumns.filter((col) => {
    const cls = connection.classification[col];
    return cls !== undefined && !clear.has(cls);
  });
  const decide = (estimatedRows: number | null): Decision =>
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
      }),
    });
  return { clear, maskedPredicates, decide };
}
