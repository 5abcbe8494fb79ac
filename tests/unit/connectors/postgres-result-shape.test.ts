import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseError } from 'pg';
import { breaksConnection, toConnectorError } from '../../../shared/connectors/postgres/errors.js';
import {
  columnsFromFields,
  rowsFromArrays,
  typeName,
  uniqueColumnNames,
} from '../../../shared/connectors/postgres/result-shape.js';
import { GatewayError } from '../../../shared/errors.js';

function dbError(code: string, message: string, severity = 'ERROR'): DatabaseError {
  const e = new DatabaseError(message, 0, 'error');
  e.code = code;
  e.severity = severity;
  return e;
}

describe('postgres result shape', () => {
  it('names common types and falls back to the oid', () => {
    assert.equal(typeName(23), 'int4');
    assert.equal(typeName(1184), 'timestamptz');
    assert.equal(typeName(3802), 'jsonb');
    assert.equal(typeName(600), 'oid:600');
  });

  it('suffixes duplicate column names without colliding with existing ones', () => {
    assert.deepEqual(uniqueColumnNames(['id', 'id', 'name', 'id']), ['id', 'id_2', 'name', 'id_3']);
    assert.deepEqual(uniqueColumnNames(['id_2', 'id', 'id']), ['id_2', 'id', 'id_3']);
  });

  it('builds columns from the row description and rows from arrays', () => {
    const field = (name: string, tableID: number, columnID: number, dataTypeID: number) => ({
      name,
      tableID,
      columnID,
      dataTypeID,
      dataTypeSize: -1,
      dataTypeModifier: -1,
      format: 'text' as const,
    });
    const columns = columnsFromFields([
      field('id', 100, 1, 23),
      field('id', 200, 1, 23),
      field('?column?', 0, 0, 25),
    ]);
    assert.deepEqual(columns, [
      { name: 'id', type: 'int4', tableId: 100, columnId: 1 },
      { name: 'id_2', type: 'int4', tableId: 200, columnId: 1 },
      { name: '?column?', type: 'text', tableId: 0, columnId: 0 },
    ]);
    assert.deepEqual(rowsFromArrays(columns, [[1, 2, 'x']]), [{ id: 1, id_2: 2, '?column?': 'x' }]);
  });

  it('keeps a column named __proto__ as data', () => {
    const [row] = rowsFromArrays([{ name: '__proto__', type: 'text' }], [['polluted']]);
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 'polluted');
  });
});

describe('postgres error mapping', () => {
  const cases: Array<[string, string]> = [
    ['57014', 'query_timeout'],
    ['25006', 'forbidden'],
    ['42501', 'forbidden'],
    ['42601', 'query_failed'],
    ['42P01', 'query_failed'],
    ['22012', 'query_failed'],
    ['28P01', 'target_unavailable'],
    ['3D000', 'target_unavailable'],
    ['08006', 'target_unavailable'],
    ['57P01', 'target_unavailable'],
    ['XX000', 'query_failed'],
    ['XX001', 'target_unavailable'],
  ];
  for (const [state, code] of cases) {
    it(`SQLSTATE ${state} -> ${code}`, () => {
      assert.equal(toConnectorError(dbError(state, `server says ${state}`)).code, code);
    });
  }

  it('passes statement errors through and hides connection details', () => {
    const failed = toConnectorError(dbError('42P01', 'relation "nope" does not exist'));
    assert.equal(failed.message, 'relation "nope" does not exist');
    assert.deepEqual(failed.details, { sqlstate: '42P01' });
    const auth = toConnectorError(dbError('28P01', 'password authentication failed for user "svc"', 'FATAL'));
    assert.doesNotMatch(auth.message, /svc|password/);
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.4:5432'), { code: 'ECONNREFUSED' });
    const mapped = toConnectorError(refused);
    assert.equal(mapped.code, 'target_unavailable');
    assert.doesNotMatch(mapped.message, /10\.0\.0\.4/);
    assert.equal(mapped.cause, refused);
  });

  it('an internal error of one statement is its failure, without the server message; a fatal one is an outage', () => {
    const failed = toConnectorError(
      dbError('XX000', 'failed to find conversion function from unknown to text'),
    );
    assert.equal(failed.code, 'query_failed');
    assert.doesNotMatch(failed.message, /conversion function/);
    assert.equal(toConnectorError(dbError('XX000', 'internal', 'FATAL')).code, 'target_unavailable');
  });

  it('keeps an existing GatewayError', () => {
    const e = new GatewayError('query_timeout', 'x');
    assert.equal(toConnectorError(e), e);
  });

  it('discards clients after connection-level failures only', () => {
    assert.equal(breaksConnection(new Error('Connection terminated unexpectedly')), true);
    assert.equal(breaksConnection(dbError('57P01', 'terminating connection', 'FATAL')), true);
    assert.equal(breaksConnection(dbError('08006', 'connection failure')), true);
    assert.equal(breaksConnection(dbError('42601', 'syntax error')), false);
    assert.equal(breaksConnection(dbError('25006', 'read-only')), false);
  });
});
