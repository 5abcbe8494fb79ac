import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceColumn } from '../../../shared/connectors/connector.js';
import { type ColumnPlan, traceColumns } from '../../../shared/masking/index.js';
import type { OutputColumn, ResultColumn, StatementFacts } from '../../../shared/types.js';

const CLASSIFICATION = {
  'public.customers.card_number': 'pci.pan',
  'public.customers.email': 'pii.email',
  'public.customers.full_name': 'pii.name',
  'public.customers.api_token': 'secret',
  'public.orders.note': 'acme.internal',
};

function cols(...names: string[]): ResultColumn[] {
  return names.map((name) => ({ name, type: 'text' }));
}

function facts(outputs: OutputColumn[], starTables: string[] = []): StatementFacts {
  return {
    engine: 'postgres',
    statementCount: 1,
    effect: 'read',
    statementKinds: ['SelectStmt'],
    tables: ['public.customers'],
    columns: {},
    functions: [],
    dangerousFunctions: [],
    selectStar: starTables.length > 0,
    starTables,
    hasWhere: false,
    whereTriviallyTrue: false,
    limit: null,
    into: false,
    predicateColumns: [],
    outputs,
    fingerprint: 'x',
  };
}

const out = (name: string, sources: string[], direct = false): OutputColumn => ({ name, sources, direct });
const src = (table: string, column: string): SourceColumn => ({ schema: 'public', table, column });
const summary = (plan: ColumnPlan[]) =>
  plan.map((p) => (p.kind === 'scan' ? 'scan' : `${p.dataClass}/${p.via}`));

test('a column resolved to a classified source gets its class; others are scanned', () => {
  const plan = traceColumns({
    columns: cols('email', 'id'),
    sources: [src('customers', 'email'), src('customers', 'id')],
    facts: null,
    classification: CLASSIFICATION,
  });
  assert.deepEqual(summary(plan), ['pii.email/source', 'scan']);
});

test('classification keys and sources match case-insensitively', () => {
  const plan = traceColumns({
    columns: cols('Email'),
    sources: [{ schema: 'Public', table: 'Customers', column: 'EMAIL' }],
    facts: null,
    classification: CLASSIFICATION,
  });
  assert.deepEqual(summary(plan), ['pii.email/source']);
});

test('an expression over a classified column is classified through facts.outputs', () => {
  const plan = traceColumns({
    columns: cols('upper', 'n'),
    sources: [null, null],
    facts: facts([out('upper', ['public.customers.card_number']), out('n', [])]),
    classification: CLASSIFICATION,
  });
  assert.deepEqual(summary(plan), ['pci.pan/expression', 'scan']);
});

test('an expression over several classified columns lists them all, most restrictive first', () => {
  const [p] = traceColumns({
    columns: cols('who'),
    sources: [null],
    facts: facts([
      out('who', ['public.customers.full_name', 'public.customers.email', 'public.customers.api_token']),
    ]),
    classification: CLASSIFICATION,
  });
  assert.equal(p.kind, 'classified');
  assert.deepEqual(p.kind === 'classified' && p.candidates, ['secret', 'pii.email', 'pii.name']);
});

test('outputs are matched by name when positions cannot be trusted', () => {
  const plan = traceColumns({
    columns: cols('a', 'masked_mail', 'b'),
    sources: [null, null, null],
    facts: facts([out('masked_mail', ['public.customers.email'])]),
    classification: CLASSIFICATION,
  });
  assert.deepEqual(summary(plan), ['scan', 'pii.email/expression', 'scan']);
});

test('a star expands over its tables; outputs around it line up from both ends', () => {
  const plan = traceColumns({
    columns: cols('x', 'id', 'card_number', 'email', 'y'),
    sources: [null, null, null, null, null],
    facts: facts(
      [out('x', ['public.customers.full_name']), out('*', ['public.customers.*'], true), out('y', [])],
      ['public.customers'],
    ),
    classification: CLASSIFICATION,
  });
  assert.deepEqual(summary(plan), ['pii.name/expression', 'scan', 'pci.pan/star', 'pii.email/star', 'scan']);
});

test('a star without table sources falls back to the statement’s star tables', () => {
  const plan = traceColumns({
    columns: cols('note', 'email'),
    sources: [null, null],
    facts: facts([out('*', [], true)], ['public.orders', 'public.customers']),
    classification: CLASSIFICATION,
  });
  assert.deepEqual(summary(plan), ['acme.internal/star', 'pii.email/star']);
});

test('a whole-row reference reads every classified column of its table', () => {
  const [p] = traceColumns({
    columns: cols('row_to_json'),
    sources: [null],
    facts: facts([out('row_to_json', ['public.customers.*'])]),
    classification: CLASSIFICATION,
  });
  assert.equal(p.kind === 'classified' && p.dataClass, 'secret');
  assert.equal(p.kind === 'classified' && p.candidates.length, 4);
});
