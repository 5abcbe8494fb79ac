import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaToJson } from '@cedar-policy/cedar-wasm/nodejs';
import { queryContext } from '../../../shared/policy/index.js';
import { facts, shippedSchemaText } from './fixtures.js';

const extra = {
  estimatedRows: null,
  requestedMaxRows: 500,
  now: new Date('2025-03-01T23:59:00+02:00'),
  predicateOnMasked: false,
  maskedColumnsInPredicates: [],
  onBehalfOf: true,
};

describe('queryContext', () => {
  it('maps statement facts and extras onto the schema record', () => {
    const context = queryContext(
      facts({ tables: ['public.a', 'public.a'], limit: null, starTables: ['public.a'], selectStar: true }),
      { ...extra, purpose: 'monthly report' },
    );
    assert.deepEqual(context, {
      effect: 'read',
      statementCount: 1,
      tables: ['public.a'],
      functions: [],
      dangerousFunctions: [],
      selectStar: true,
      starTables: ['public.a'],
      hasWhere: true,
      whereTriviallyTrue: false,
      hasLimit: false,
      limit: 0,
      into: false,
      estimatedRows: -1,
      requestedMaxRows: 500,
      predicateOnMasked: false,
      maskedColumnsInPredicates: [],
      purpose: 'monthly report',
      hour: 21,
      onBehalfOf: true,
      unexposed: [],
      violations: [],
      rowPreserving: false,
      rowsSource: 'none',
      transport: '',
    });
  });

  it('rounds estimates up and turns non-finite ones into unknown', () => {
    assert.equal(queryContext(facts(), { ...extra, estimatedRows: 1000.2 }).estimatedRows, 1001);
    assert.equal(queryContext(facts(), { ...extra, estimatedRows: Number.NaN }).estimatedRows, -1);
    assert.equal(queryContext(facts({ limit: 25 }), extra).limit, 25);
    assert.equal(queryContext(facts(), extra).purpose, '');
  });

  it('has exactly the attributes the schema declares for query', async () => {
    const schema = schemaToJson(await shippedSchemaText());
    assert.equal(schema.type, 'success');
    const declared = schema.type === 'success' ? schema.json.AgentGate?.commonTypes?.QueryContext : undefined;
    // The generated union includes `{ type: string }`, so narrow to the record shape by hand.
    const record = declared as { type: string; attributes?: Record<string, unknown> } | undefined;
    assert.equal(record?.type, 'Record');
    assert.deepEqual(
      Object.keys(queryContext(facts(), extra)).sort(),
      Object.keys(record?.attributes ?? {}).sort(),
    );
  });
});
