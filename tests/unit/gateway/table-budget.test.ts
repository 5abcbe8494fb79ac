import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BudgetLedger, type BudgetSpender } from '../../../shared/budget/index.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { GatewayError } from '../../../shared/errors.js';
import { budgetKey, checkRelease, tableBudgetScope } from '../../../shared/pipeline/release.js';
import { newTrace } from '../../../shared/pipeline/trace.js';
import type { Principal } from '../../../shared/types.js';
import { MemoryBudgetStore } from '../../support/memory-budget-store.js';

const AGENT: Principal = {
  kind: 'agent',
  id: 'pager',
  tenantId: undefined,
  appId: undefined,
  name: undefined,
  groups: [],
  roles: [],
  scopes: [],
  onBehalfOf: undefined,
  issuer: 'http://localhost/dev',
  tokenId: undefined,
};

function connection(extra: Record<string, unknown>) {
  const config = parseConfig(
    {
      connections: [
        {
          id: 'demo',
          engine: 'postgres',
          environment: 'prod',
          target: 'embedded-demo',
          exposure: { 'public.customers': {}, 'public.orders': {} },
          ...extra,
        },
      ],
    },
    'table budget test',
  );
  return config.connections[0];
}

const NOW = () => new Date('2026-12-02T00:00:00Z');

function release(
  conn: ReturnType<typeof connection>,
  budgets: BudgetSpender,
  rows: number,
  tables: string[],
) {
  const trace = newTrace({
    requestId: 'r',
    time: NOW(),
    transport: 'rest',
    action: 'query',
    connection: 'demo',
  });
  return checkRelease({
    trace,
    principal: AGENT,
    connection: conn,
    budgets,
    rows,
    bytes: rows * 10,
    spentRows: rows,
    tables,
  });
}

async function overBudget(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GatewayError);
    // An approval outcome (the use case queues it, or answers that no workflow is there).
    assert.ok(['approval_required', 'approval_workflow_unavailable'].includes(e.code), e.code);
    return (e.details?.policyIds as string[]) ?? [];
  }
  assert.fail('the read was released over budget');
}

describe('per-table budgets', () => {
  const conn = connection({
    budget: { rows: 4000 },
    tableBudgets: { 'public.customers': { rows: 1500, windowSeconds: 600 } },
  });

  test('a budgeted table runs out before the connection does; other tables keep working', async () => {
    const budgets = new BudgetLedger(new MemoryBudgetStore(), { now: NOW });
    const first = await release(conn, budgets, 1000, ['public.customers']);
    assert.deepEqual(first?.tables?.['public.customers'], {
      rowsLeft: 500,
      bytesLeft: 50_000_000 - 10_000,
      windowSeconds: 600,
    });
    assert.equal(first?.rowsLeft, 3000);
    assert.deepEqual(await overBudget(release(conn, budgets, 1000, ['public.customers'])), [
      'gateway-budget',
    ]);
    // A join that reads customers spends from its budget too.
    await overBudget(release(conn, budgets, 600, ['public.customers', 'public.orders']));
    const orders = await release(conn, budgets, 1000, ['public.orders']);
    assert.equal(orders?.tables, undefined);
    assert.equal(orders?.rowsLeft, 2000);
  });

  test('budgets are per principal and table: keys differ, the connection key is unchanged', () => {
    assert.notEqual(budgetKey(AGENT, 'demo', 'public.customers'), budgetKey(AGENT, 'demo'));
    assert.notEqual(budgetKey(AGENT, 'demo', 'public.customers'), budgetKey(AGENT, 'demo', 'public.orders'));
    assert.notEqual(
      budgetKey(AGENT, 'demo', 'public.customers'),
      budgetKey({ ...AGENT, id: 'other' }, 'demo', 'public.customers'),
    );
  });

  test("one object of an Entra tenant has one budget, whichever of the tenant's two issuers signed", () => {
    const tid = '11111111-2222-3333-4444-555555555555';
    const v1 = { ...AGENT, tenantId: tid, issuer: `https://sts.windows.net/${tid}/` };
    const v2 = {
      ...AGENT,
      tenantId: tid.toUpperCase(),
      issuer: `https://login.microsoftonline.com/${tid}/v2.0`,
    };
    assert.equal(budgetKey(v1, 'demo'), budgetKey(v2, 'demo'));
    assert.notEqual(budgetKey(v1, 'demo'), budgetKey({ ...v1, tenantId: 'another-tenant' }, 'demo'));
    // Without a tenant the issuer still tells principals apart.
    assert.notEqual(budgetKey(AGENT, 'demo'), budgetKey({ ...AGENT, issuer: 'https://other.test' }, 'demo'));
  });

  test('two connections to one database spend one table budget; another database has its own', async () => {
    // Red-team round 15: demo and sandbox are the same embedded database, and each gave 3,000
    // customers rows an hour.
    const limits = { tableBudgets: { 'public.customers': { rows: 1000 } } };
    const demo = connection(limits);
    const sandbox = { ...connection(limits), id: 'sandbox' };
    const budgets = new BudgetLedger(new MemoryBudgetStore(), { now: NOW });
    await release(demo, budgets, 600, ['public.customers']);
    const left = await release(sandbox, budgets, 400, ['public.customers']);
    assert.equal(left?.tables?.['public.customers']?.rowsLeft, 0);
    await overBudget(release(sandbox, budgets, 1, ['public.customers']));
    await overBudget(release(demo, budgets, 1, ['public.customers']));
    const server = (host: string, database = 'sales') => ({
      ...connection(limits),
      target: { host, port: 5432, database, user: 'r', auth: 'entra' as const, ssl: true, pool: { max: 5 } },
    });
    assert.equal(tableBudgetScope(server('DB.example.com')), tableBudgetScope(server('db.example.com')));
    assert.notEqual(
      tableBudgetScope(server('db.example.com')),
      tableBudgetScope(server('db.example.com', 'hr')),
    );
    assert.notEqual(tableBudgetScope(server('db.example.com')), tableBudgetScope(demo));
    const other = await release(server('db.example.com'), budgets, 1000, ['public.customers']);
    assert.equal(other?.tables?.['public.customers']?.rowsLeft, 0);
  });

  test('two connections to one database spend one connection budget too (round 23)', async () => {
    const limits = { budget: { rows: 1000 } };
    const demo = connection(limits);
    const sandbox = { ...connection(limits), id: 'sandbox' };
    const budgets = new BudgetLedger(new MemoryBudgetStore(), { now: NOW });
    await release(demo, budgets, 700, ['public.orders']);
    const left = await release(sandbox, budgets, 300, ['public.orders']);
    assert.equal(left?.rowsLeft, 0);
    await overBudget(release(sandbox, budgets, 1, ['public.orders']));
  });

  test('each table is charged the rows of it the result carries', async () => {
    const conn = connection({
      budget: { rows: 100_000 },
      tableBudgets: { 'public.customers': { rows: 3000 } },
    });
    const budgets = new BudgetLedger(new MemoryBudgetStore(), { now: NOW });
    const trace = newTrace({
      requestId: 'r',
      time: NOW(),
      transport: 'rest',
      action: 'query',
      connection: 'demo',
    });
    const left = await checkRelease({
      trace,
      principal: AGENT,
      connection: conn,
      budgets,
      rows: 200,
      bytes: 2000,
      spentRows: 2000,
      tableRows: { 'public.customers': 2000, 'public.orders': 200 },
      tables: ['public.customers', 'public.orders'],
    });
    assert.equal(left?.tables?.['public.customers']?.rowsLeft, 1000);
    assert.equal(left?.rowsLeft, 98_000);
  });

  test('a table budget works without a connection budget', async () => {
    const only = connection({ tableBudgets: { 'public.customers': { rows: 100 } } });
    const budgets = new BudgetLedger(new MemoryBudgetStore(), { now: NOW });
    const left = await release(only, budgets, 60, ['public.customers']);
    assert.equal(left?.rowsLeft, 40);
    await overBudget(release(only, budgets, 60, ['public.customers']));
    assert.equal(await release(only, budgets, 5000, ['public.orders']), undefined);
  });

  test('table names must be schema.table', () => {
    assert.throws(() => connection({ tableBudgets: { customers: { rows: 1 } } }));
  });
});
