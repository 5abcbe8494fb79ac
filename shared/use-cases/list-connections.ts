import type { BlobConnectionConfig } from '../config/blob-connection.js';
import { newTrace, type RequestStart } from '../pipeline/trace.js';
import type { Principal } from '../types.js';
import { decideBlobList } from './blob-policy.js';
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
  /** A storage account's containers and the name prefixes of each that it exposes. */
  containers?: Array<{ name: string; prefixes: string[] }>;
}

/** The connections this principal may query or list; the others are not mentioned at all. */
export function listConnections(
  deps: UseCaseDeps,
  start: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
): Promise<Outcome<{ requestId: string; connections: ConnectionSummary[] }>> {
  const trace = newTrace({ ...start, action: 'connections.list', connection: null });
  trace.principal = principal;
  return conclude(deps, trace, async () => {
    const visible = deps.config.connections.filter((c) => mayQuery(deps, principal, c));
    // A listing is allowed to all; what it holds was decided connection by connection. It
    // was recorded as an error (red-team round 44).
    trace.decision = {
      outcome: 'allow',
      policyIds: [],
      reasons: ['Lists the connections the caller may query or list; the others are not mentioned.'],
      obligations: {},
    };
    const connections: ConnectionSummary[] = visible.map((c) => ({
      id: c.id,
      kind: c.kind,
      engine: c.engine,
      environment: c.environment,
      description: c.description,
      tags: c.tags,
      maxRows: c.maxRows,
    }));
    for (const b of deps.config.blobConnections ?? []) {
      const summary = blobSummary(deps, principal, b);
      if (summary) connections.push(summary);
    }
    return {
      value: { requestId: trace.requestId, connections },
      end: { rowsReturned: connections.length, truncated: false },
    };
  });
}

/**
 * A storage account, with the prefixes whose listing a policy would not deny outright; an
 * account with none is not mentioned, as a SQL connection no read of would be allowed.
 */
function blobSummary(
  deps: UseCaseDeps,
  principal: Principal,
  b: BlobConnectionConfig,
): ConnectionSummary | undefined {
  const now = deps.now();
  const containers: Array<{ name: string; prefixes: string[] }> = [];
  for (const [name, { prefixes }] of Object.entries(b.containers)) {
    const open = prefixes.filter(
      (prefix) =>
        decideBlobList({
          policy: deps.policy,
          principal,
          connection: b,
          purpose: undefined,
          now,
          container: name,
          prefix,
        }).outcome !== 'deny',
    );
    if (open.length > 0) containers.push({ name, prefixes: open });
  }
  if (containers.length === 0) return undefined;
  return {
    id: b.id,
    kind: 'blob',
    engine: 'blob',
    environment: b.environment,
    description: b.description,
    tags: b.tags,
    maxRows: b.maxRows,
    containers,
  };
}
