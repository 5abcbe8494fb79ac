import type { ConnectionConfig } from '../config/connections.js';
import { connectionResource } from '../decide-query.js';
import { queryContext } from '../policy/index.js';
import type { Decision, Principal, StatementFacts } from '../types.js';
import type { UseCaseDeps } from './deps.js';

/** The statement facts of a plain one-row read, to ask whether a connection is visible. */
const NEUTRAL_READ = {
  engine: 'postgres' as const,
  statementCount: 1,
  effect: 'read' as const,
  statementKinds: ['SelectStmt'],
  tables: [],
  columns: {},
  functions: [],
  dangerousFunctions: [],
  selectStar: false,
  starTables: [],
  hasWhere: false,
  whereTriviallyTrue: false,
  limit: 1,
  into: false,
  predicateColumns: [],
  outputs: [],
  fingerprint: '',
} satisfies StatementFacts;

/** A connection is visible to whoever a plain one-row read would not be denied outright. */
export function mayQuery(
  deps: Pick<UseCaseDeps, 'policy' | 'now'>,
  principal: Principal,
  c: ConnectionConfig,
): boolean {
  return visibility(deps, principal, c).outcome !== 'deny';
}

/** The decision on a plain one-row read of `c`, which says whether the caller sees it at all. */
export function visibility(
  deps: Pick<UseCaseDeps, 'policy' | 'now'>,
  principal: Principal,
  c: ConnectionConfig,
): Decision {
  return deps.policy.decide({
    principal,
    action: 'query',
    resource: connectionResource(c),
    context: queryContext(
      { ...NEUTRAL_READ, engine: c.engine },
      {
        estimatedRows: 1,
        requestedMaxRows: 1,
        now: deps.now(),
        predicateOnMasked: false,
        maskedColumnsInPredicates: [],
        onBehalfOf: principal.onBehalfOf !== undefined,
      },
    ),
  });
}
