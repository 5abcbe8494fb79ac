import type { ConnectionConfig } from '../config/connections.js';
import type { Connector, ExecuteOptions } from '../connectors/connector.js';
import { GatewayError } from '../errors.js';
import type { Principal } from '../types.js';
import { gatewayApproval, requireAllow } from './decide.js';
import type { RequestTrace } from './trace.js';

/** The gateway's own approval of a statement whose plan costs more than the connection allows. */
export const PLAN_COST_POLICY = 'gateway-plan-cost';

/** What the estimate found: the rows, and the plan's cost where the target prices plans. */
export interface Estimate {
  rows: number | null;
  /** The root plan's total cost (the target's units); undefined when the engine cannot say. */
  cost: number | undefined;
}

/**
 * Stage 4: how much the statement reads, before anything runs. The planner's row estimate,
 * or, for a statement that folds many rows into one cell, the rows it reads (EXPLAIN ANALYZE
 * under the same read-only transaction and timeout), and what the plan costs, from the same
 * EXPLAIN. A statement the target rejects fails here as the statement's own error; a target
 * that is down fails as unavailable.
 */
export async function estimate(
  trace: RequestTrace,
  connector: Connector,
  statement: { sql: string; params: readonly unknown[] },
  options: ExecuteOptions,
  onTargetError: (e: unknown) => never,
): Promise<Estimate> {
  let cost: number | undefined;
  const priced: ExecuteOptions = {
    ...options,
    onPlanCost: (c) => {
      cost = c.total;
    },
  };
  const rows = await trace.clock.run('estimate', () =>
    connector.estimateRows(statement.sql, statement.params, priced).catch((e: unknown) => {
      trace.estimateError = e instanceof GatewayError ? e.code : 'internal';
      return onTargetError(e);
    }),
  );
  trace.estimatedRows = rows;
  return { rows, cost };
}

/**
 * The cost cap: an agent's statement whose plan costs more than the connection's
 * `maxPlanCost` is not run; it goes to people (`gateway-plan-cost`), like a result over the
 * byte cap. The planner's row guess can be talked down (a cross join of three tables is
 * "1 row"), its cost far less so. A target that cannot price a plan is decided as before.
 */
export function holdCostlyPlan(
  trace: RequestTrace,
  principal: Principal,
  connection: ConnectionConfig,
  cost: number | undefined,
): void {
  if (principal.kind !== 'agent' || cost === undefined || cost <= connection.maxPlanCost) return;
  requireAllow(
    trace,
    gatewayApproval(
      PLAN_COST_POLICY,
      `The planner costs this statement at ${Math.ceil(cost)}, more than the ${connection.maxPlanCost} a statement from an agent may cost on this connection (maxPlanCost); nothing ran.`,
      connection.approvers,
    ),
  );
}
