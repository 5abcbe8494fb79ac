import { createHash } from 'node:crypto';
import type { BudgetLimits, BudgetSpender } from '../budget/index.js';
import type { ConnectionConfig } from '../config/connections.js';
import { principalKey } from '../identity/principal-key.js';
import type { Principal } from '../types.js';
import { gatewayApproval, requireAllow } from './decide.js';
import type { RequestTrace } from './trace.js';

export interface Left {
  rowsLeft: number;
  bytesLeft: number;
  windowSeconds: number;
}

export interface BudgetLeft extends Left {
  /** What is left of each budgeted table the read touched. */
  tables?: Record<string, Left>;
}

/**
 * Budgets are per principal (`principalKey`: tenant and id, else issuer and id) and connection, or data source and table;
 * hashed so any id is a valid item id. A connection budget's key is unchanged by tables.
 */
export function budgetKey(principal: Principal, connection: string, table?: string): string {
  const who = JSON.stringify([
    connection,
    principal.kind,
    ...principalKey(principal),
    ...(table === undefined ? [] : [table]),
  ]);
  return createHash('sha256').update(who).digest('hex');
}

type Spend = (key: string, limits: BudgetLimits, what: string, rows: number) => Promise<Left>;

/**
 * Where a connection's or a table's budget is counted: the data, not the connection entry. Two connections to the same
 * database (`demo` and `sandbox` on the embedded demo; a prod and a reporting entry for one
 * server) read the same rows, and keyed by connection each would give its own budget of them
 * (red-team round 15). Host names are compared as written: aliases of one server (a name and
 * its IP) are not recognised as the same database.
 */
export function tableBudgetScope(conn: ConnectionConfig): string {
  const t = conn.target;
  const where = t === 'embedded-demo' ? [t] : [t.host.toLowerCase(), t.port, t.database];
  // `:` is in no connection id, so a scope never equals a connection's own key.
  return `target:${JSON.stringify([conn.engine, ...where])}`;
}

/** Spends from each budgeted table the read touched, before the connection's own budget. */
async function spendTables(
  conn: ConnectionConfig,
  tables: readonly string[],
  spend: Spend,
  principal: Principal,
  rowsOf: (table: string) => number,
) {
  const left: Record<string, Left> = {};
  for (const table of [...new Set(tables)].sort()) {
    const limits = conn.tableBudgets[table];
    if (limits)
      left[table] = await spend(
        budgetKey(principal, tableBudgetScope(conn), table),
        limits,
        `table ${table}`,
        rowsOf(table),
      );
  }
  return left;
}

/**
 * Stage 7: the last checks before data leaves. One response may carry at most the
 * connection's byte cap to an agent, and an agent's reads on a connection spend a budget
 * per window; either limit sends the read to approval instead of releasing it.
 */
export async function checkRelease(input: {
  trace: RequestTrace;
  principal: Principal;
  connection: ConnectionConfig;
  budgets: BudgetSpender | undefined;
  rows: number;
  bytes: number;
  /** Rows this read counts for (the rows read, when the result folds many into one cell). */
  spentRows: number;
  /** Tables the statement reads (`schema.table`), for per-table budgets. */
  tables?: readonly string[];
  /** Rows each table is charged, where not `spentRows` (the rows of it the result carries). */
  tableRows?: Readonly<Record<string, number>>;
}): Promise<BudgetLeft | undefined> {
  const { trace, principal, connection: conn, bytes } = input;
  if (principal.kind !== 'agent') return undefined;
  if (bytes > conn.maxResponseBytes) {
    requireAllow(
      trace,
      gatewayApproval(
        'gateway-response-bytes',
        `The result is ${bytes} bytes, more than the ${conn.maxResponseBytes} one response may carry to an agent.`,
        conn.approvers,
      ),
    );
  }
  const store = input.budgets;
  if (!store) return undefined;
  // Over any one budget is the approval outcome; budgets spent before it stay spent, which
  // errs on the side of releasing less.
  const spend: Spend = async (key, limits, what, spent) => {
    const outcome = await trace.clock.run('budget', () => store.spend(key, { rows: spent, bytes }, limits));
    if (!outcome.ok) {
      requireAllow(
        trace,
        gatewayApproval(
          'gateway-budget',
          `This read of ${spent} rows and ${bytes} bytes would exceed your budget on this ${what} (${outcome.left.rows} rows and ${outcome.left.bytes} bytes left in the current ${limits.windowSeconds} s window).`,
          conn.approvers,
        ),
      );
    }
    return {
      rowsLeft: outcome.left.rows,
      bytesLeft: outcome.left.bytes,
      windowSeconds: limits.windowSeconds,
    };
  };
  const rowsOf = (table: string) => input.tableRows?.[table] ?? input.spentRows;
  const tables = await spendTables(conn, input.tables ?? [], spend, principal, rowsOf);
  const hasTables = Object.keys(tables).length > 0;
  const budget = conn.budget;
  if (!budget) return hasTables ? { ...tightest(Object.values(tables)), tables } : undefined;
  // Counted where the data is, like table budgets: two entries for one database (demo and
  // sandbox) gave one agent two connection budgets of the same rows (red-team round 23).
  const left = await spend(
    budgetKey(principal, tableBudgetScope(conn)),
    budget,
    'connection',
    input.spentRows,
  );
  return hasTables ? { ...left, tables } : left;
}

/** Without a connection budget, the top-level figures are those of the table with least left. */
function tightest(lefts: Left[]): Left {
  return lefts.reduce((a, b) => (b.rowsLeft < a.rowsLeft ? b : a));
}
