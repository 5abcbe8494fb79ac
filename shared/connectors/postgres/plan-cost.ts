import type { ExecuteOptions } from '../connector.js';

/**
 * What PostgreSQL's planner says a statement costs: the root plan's `Total Cost` in an
 * `EXPLAIN (FORMAT JSON)` result, in the planner's cost units. Only ever used to hold a
 * statement back for approval, so a plan that prints no cost says nothing (undefined).
 */

/** The root plan's total cost of a parsed EXPLAIN (FORMAT JSON) value, when it states one. */
export function rootTotalCost(parsed: unknown): number | undefined {
  const plan = Array.isArray(parsed) ? (parsed[0] as { Plan?: unknown } | undefined)?.Plan : undefined;
  if (plan === null || typeof plan !== 'object') return undefined;
  const cost = (plan as { 'Total Cost'?: unknown })['Total Cost'];
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

/** Tells the caller that asked (onPlanCost) what the plan costs; returns the cost. */
export function reportCost(parsed: unknown, opts: ExecuteOptions): number | undefined {
  const total = rootTotalCost(parsed);
  if (total !== undefined) opts.onPlanCost?.({ total });
  return total;
}

/**
 * For a counted estimate with a cap (`maxPlanCost`): whether the priced, unrun plan costs
 * more than the cap, in which case the statement is not run to be counted.
 */
export function overCostCap(parsed: unknown, opts: ExecuteOptions): boolean {
  const cap = opts.maxPlanCost;
  if (cap === undefined) return false;
  const total = rootTotalCost(parsed);
  return total !== undefined && total > cap;
}
