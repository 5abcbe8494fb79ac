import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_CLASSIFICATION } from '../../../cli/dev/demo-schema.js';
import { parseConfig } from '../../../shared/config/connections.js';
import type { ReadSession } from '../../../shared/connectors/connector.js';
import { createMasker } from '../../../shared/masking/index.js';
import { executeAndMask, type RunInput } from '../../../shared/pipeline/execute.js';
import { StageClock } from '../../../shared/pipeline/stage-clock.js';
import { streamAndMask } from '../../../shared/pipeline/stream-mask.js';
import { analyseStatement } from '../../../shared/sql/analyse.js';
import { DEFAULT_FUNCTIONS } from '../../../shared/sql/pg/allowlist.js';
import { DEMO_CATALOG } from '../../support/demo-catalog.js';
import { FakeConnector } from '../../support/fake-connector.js';

/**
 * A request run without an estimate in this process (an approved one, run later from the
 * queue) asks the target's plan first when told to, so its masking has the same second
 * opinion as the direct path's.
 */

const SQL = 'select city from customers where id = 1';

async function input(connector: FakeConnector, explainFirst: boolean): Promise<RunInput> {
  const [connection] = parseConfig({
    connections: [
      {
        id: 'demo',
        engine: 'postgres',
        environment: 'prod',
        target: 'embedded-demo',
        classification: DEMO_CLASSIFICATION,
        exposure: { 'public.customers': {} },
      },
    ],
  }).connections;
  assert.ok(connection);
  const facts = await analyseStatement('postgres', SQL, {
    defaultSchema: 'public',
    catalog: DEMO_CATALOG,
    functions: DEFAULT_FUNCTIONS,
  });
  return {
    connector,
    connection,
    facts,
    catalog: DEMO_CATALOG,
    clear: new Set(),
    masker: createMasker(),
    sql: SQL,
    params: [],
    maxRows: 10,
    clock: new StageClock(),
    onTargetError: (e) => {
      throw e;
    },
    explainFirst,
  };
}

function connectorWithCity(): FakeConnector {
  const connector = new FakeConnector();
  connector.result = {
    columns: [{ name: 'city', type: 'text' }],
    rows: [{ city: 'Springfield' }],
    rowCount: 1,
    truncated: false,
  };
  // As the plan of a decoy the analysis misread would say: the column is a card number.
  connector.planSources = [['public.customers.card_number']];
  return connector;
}

describe('the second opinion for a run without an estimate', () => {
  test('explainFirst asks the plan once, and a class it shows is masked', async () => {
    const connector = connectorWithCity();
    const masked = await executeAndMask(await input(connector, true));
    assert.deepEqual(connector.estimated, [SQL]);
    assert.notEqual(masked.rows[0]?.city, 'Springfield');
    assert.equal(masked.report.cellsMasked, 1);
  });

  test('without it nothing is asked and the analysis alone decides (city is free text, scanned)', async () => {
    const connector = connectorWithCity();
    const masked = await executeAndMask(await input(connector, false));
    assert.deepEqual(connector.estimated, []);
    assert.equal(masked.rows[0]?.city, 'Springfield');
  });

  test('a target that fails the EXPLAIN fails the run as a target error, and nothing runs', async () => {
    const connector = connectorWithCity();
    const down = new Error('target down');
    connector.estimateRows = async () => {
      throw down;
    };
    await assert.rejects(executeAndMask(await input(connector, true)), (e) => e === down);
    assert.equal(connector.executed.length, 0);
  });
});

/**
 * A read session whose plan names the card number behind `city`, as the one the connector
 * opens for a streamed read does: it records what was asked of it, in order.
 */
function sessionWithCity(asked: string[]): ReadSession {
  const columns = [{ name: 'city', type: 'text' }];
  return {
    estimateRows: async (sql, _params, options) => {
      asked.push(`estimate ${sql}`);
      options.onPlanSources?.([['public.customers.card_number']]);
      return 1;
    },
    execute: async () => {
      throw new Error('the streamed read does not execute whole');
    },
    stream: async (sql, _params, _options, onBatch) => {
      asked.push(`stream ${sql}`);
      await onBatch({ columns, rows: [['Springfield'], ['Shelbyville']] });
      return { columns, rows: 2, truncated: false };
    },
    end: async () => {
      asked.push('end');
    },
  };
}

describe('the second opinion for a streamed run without an estimate', () => {
  async function streamed(explainFirst: boolean) {
    const asked: string[] = [];
    const connector = Object.assign(connectorWithCity(), { openRead: () => sessionWithCity(asked) });
    const batches: unknown[][][] = [];
    const result = await streamAndMask({
      ...(await input(connector, explainFirst)),
      sink: { begin: async () => undefined, rows: async (rows) => void batches.push(rows) },
    });
    return { connector, asked, rows: batches.flat(), result };
  }

  test('asks its own read session for the plan before the stream, and masks what the plan shows', async () => {
    const { connector, asked, rows, result } = await streamed(true);
    assert.deepEqual(asked, [`estimate ${SQL}`, `stream ${SQL}`]);
    // The session's plan, not the connector's: the stream may hold the pool's only session.
    assert.deepEqual(connector.estimated, []);
    assert.equal(rows.length, 2);
    for (const [city] of rows) assert.ok(city !== 'Springfield' && city !== 'Shelbyville', String(city));
    assert.equal(result.report.cellsMasked, 2);
  });

  test('without it the session is asked nothing before the stream', async () => {
    const { asked, rows } = await streamed(false);
    assert.deepEqual(asked, [`stream ${SQL}`]);
    assert.deepEqual(rows, [['Springfield'], ['Shelbyville']]);
  });
});
