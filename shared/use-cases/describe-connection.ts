import { GatewayError } from '../errors.js';
import { boundedRouteValue } from '../limits.js';
import { newTrace, type RequestStart } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import { conclude } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import type { Outcome } from './outcome.js';
import { visibility } from './visibility.js';

export interface DescribedTable {
  name: string;
  columns: Array<{ name: string; type: string; dataClass?: string }>;
}

/**
 * The exposed tables and columns of one connection, with types and data classes, so that
 * an agent never needs a system catalog. Hidden (not found) from whoever may not query it.
 */
export function describeConnection(
  deps: UseCaseDeps,
  start: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
  input: { connection: string | null },
): Promise<Outcome<{ requestId: string; connection: string; tables: DescribedTable[] }>> {
  const connectionId = boundedRouteValue(input.connection);
  const trace = newTrace({ ...start, action: 'connections.describe', connection: connectionId });
  trace.principal = principal;
  return conclude(deps, trace, async () => {
    const conn = connectionId === null ? undefined : deps.connections.get(connectionId);
    const seen = conn ? visibility(deps, principal, conn) : undefined;
    if (!conn || !seen || seen.outcome === 'deny') {
      throw new GatewayError('connection_not_found', 'No connection with that id exists.');
    }
    // What made it visible, for the event: it was recorded as an error (red-team round 44).
    trace.decision = {
      outcome: 'allow',
      policyIds: seen.policyIds,
      reasons: ['The caller may query this connection, so its exposed schema is described.'],
      obligations: {},
    };
    const catalog = await trace.clock.run('execute', () =>
      deps.catalogs.catalogFor(conn, deps.connectorFor(conn)),
    );
    const tables = [...catalog.tables.values()].map((t) => ({
      name: t.name,
      columns: t.columns
        .filter((c) => c.exposed)
        .map((c) => {
          const dataClass = conn.classification[`${t.name}.${c.name}`];
          return { name: c.name, type: c.type, ...(dataClass ? { dataClass } : {}) };
        }),
    }));
    return {
      value: { requestId: trace.requestId, connection: conn.id, tables },
      end: { rowsReturned: tables.length, truncated: false },
    };
  });
}
