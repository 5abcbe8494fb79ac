import { newTrace, type RequestStart } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import { conclude } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import type { Outcome } from './outcome.js';
import { mayQuery } from './visibility.js';

export interface ConnectionSummary {
  id: string;
  kind: string;
  engine: string;
  environment: string;
  description: string;
  tags: string[];
  maxRows: number;
}

/** The connections this principal may query; the others are not mentioned at all. */
export function listConnections(
  deps: UseCaseDeps,
  start: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
): Promise<Outcome<{ requestId: string; connections: ConnectionSummary[] }>> {
  const trace = newTrace({ ...start, action: 'connections.list', connection: null });
  trace.principal = principal;
  return conclude(deps, trace, async () => {
    const visible = deps.config.connections.filter((c) => mayQuery(deps, principal, c));
    const connections = visible.map((c) => ({
      id: c.id,
      kind: c.kind,
      engine: c.engine,
      environment: c.environment,
      description: c.description,
      tags: c.tags,
      maxRows: c.maxRows,
    }));
    return {
      value: { requestId: trace.requestId, connections },
      end: { rowsReturned: visible.length, truncated: false },
    };
  });
}
