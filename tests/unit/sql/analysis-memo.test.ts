import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../../shared/config/connections.js';
import type { Connector } from '../../../shared/connectors/connector.js';
import { analyse } from '../../../shared/pipeline/analyse.js';
import type { CatalogCache } from '../../../shared/query/catalog-cache.js';
import { AnalysisMemo } from '../../../shared/sql/analysis-memo.js';
import { type Catalog, catalogOf } from '../../../shared/sql/catalog.js';
import { analysePostgres } from '../../../shared/sql/postgres.js';
import type { StatementFacts } from '../../../shared/types.js';
import { DEMO_TABLES } from '../../support/demo-catalog.js';

function counting(sql: string): { calls: () => number; run: () => Promise<StatementFacts> } {
  let calls = 0;
  return {
    calls: () => calls,
    run: () => {
      calls++;
      return analysePostgres(sql);
    },
  };
}

describe('analysis memo', () => {
  test('a statement seen before is not analysed again, and gets the same facts', async () => {
    const memo = new AnalysisMemo(8, 1000);
    const sql = 'select id from customers where id = $1';
    const a = counting(sql);
    const first = await memo.get(sql, a.run);
    const again = await memo.get(sql, a.run);
    assert.equal(a.calls(), 1);
    assert.equal(again, first);
    assert.deepEqual(first, await analysePostgres(sql));
  });

  test('the facts are frozen, deep: no caller can change what the next one is told', async () => {
    const memo = new AnalysisMemo(8, 1000);
    const sql = 'select id, email from customers where id = 1';
    const facts = await memo.get(sql, counting(sql).run);
    assert.throws(() => {
      (facts.tables as string[]).push('public.payments');
    }, TypeError);
    assert.throws(() => {
      (facts.outputs[0] as { name: string }).name = 'other';
    }, TypeError);
    assert.throws(() => {
      (facts as { effect: string }).effect = 'write';
    }, TypeError);
  });

  test('bounded: the least recently used statement is dropped first', async () => {
    const memo = new AnalysisMemo(2, 1000);
    const sqls = ['select 1', 'select 2', 'select 3'];
    const runs = sqls.map(counting);
    await memo.get('select 1', runs[0].run);
    await memo.get('select 2', runs[1].run);
    await memo.get('select 1', runs[0].run); // now the most recent
    await memo.get('select 3', runs[2].run); // drops `select 2`
    assert.equal(memo.size, 2);
    await memo.get('select 1', runs[0].run);
    await memo.get('select 2', runs[1].run);
    assert.equal(runs[0].calls(), 1);
    assert.equal(runs[1].calls(), 2);
  });

  test('a text past the length bound, or one that fails, is analysed every time', async () => {
    const memo = new AnalysisMemo(8, 20);
    const long = 'select id, city, email from customers';
    const a = counting(long);
    await memo.get(long, a.run);
    await memo.get(long, a.run);
    assert.equal(a.calls(), 2);
    const bad = counting('selec nothing');
    await assert.rejects(memo.get('selec nothing', bad.run));
    await assert.rejects(memo.get('selec nothing', bad.run));
    assert.equal(bad.calls(), 2);
    assert.equal(memo.size, 0);
  });
});

describe('analysis stage with the memo', () => {
  const config = parseConfig({
    connections: [
      {
        id: 'demo',
        engine: 'postgres',
        environment: 'prod',
        target: 'embedded-demo',
        exposure: { 'public.customers': {} },
      },
    ],
  });
  const connection = config.connections[0];
  const connector = {} as Connector;
  const principal = { kind: 'agent', id: 'agent:memo', name: 'memo', groups: [], roles: [] } as never;
  const customersOnly = (exposed: (column: string) => boolean): Catalog =>
    catalogOf(
      DEMO_TABLES.filter((t) => t.name === 'public.customers').map((t) => ({
        name: t.name,
        columns: t.columns.map((c) => ({ ...c, exposed: exposed(c.name) })),
      })),
    );

  test('a refreshed catalog is a new scope: the statement is analysed against it afresh', async () => {
    let catalog = customersOnly(() => true);
    const catalogs: CatalogCache = { catalogFor: async () => catalog };
    const sql = 'select id, email from customers where id = $1';
    const before = await analyse({ connection, connector, catalogs, sql, principal });
    assert.deepEqual(before.unexposed, []);
    // The target's catalog now says email is not exposed (an exposure change, a refresh).
    catalog = customersOnly((c) => c !== 'email');
    const after = await analyse({ connection, connector, catalogs, sql, principal });
    assert.deepEqual(after.unexposed, ['public.customers.email']);
    assert.notEqual(after.facts, before.facts);
    // And the same catalog object again is a hit.
    const again = await analyse({ connection, connector, catalogs, sql, principal });
    assert.equal(again.facts, after.facts);
  });
});
