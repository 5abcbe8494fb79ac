import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WITHHELD, withholdDataInDbMessage } from '../../../shared/db-error-message.js';
import { GatewayError } from '../../../shared/errors.js';
import { gatewayFixture, queryRequest } from '../../support/gateway-fixture.js';

test('quoted data in a database message is withheld; what the caller wrote is kept', () => {
  const sql = 'select full_name::int from customers where nme = 1';
  assert.equal(
    withholdDataInDbMessage('invalid input syntax for type integer: "Ada Lovelace"', sql),
    `invalid input syntax for type integer: "${WITHHELD}"`,
  );
  assert.equal(withholdDataInDbMessage('column "nme" does not exist', sql), 'column "nme" does not exist');
  assert.equal(
    withholdDataInDbMessage('relation "Customers" does not exist', sql),
    'relation "Customers" does not exist',
  );
  assert.equal(withholdDataInDbMessage('division by zero', sql), 'division by zero');
  assert.equal(withholdDataInDbMessage('value "a ""quoted"" name" bad', sql), `value "${WITHHELD}" bad`);
});

test('the gateway withholds data from a target error and scans what is left', async () => {
  const f = await gatewayFixture();
  f.connector.failWith = new GatewayError(
    'query_failed',
    'invalid input syntax for type integer: "Ada Lovelace", near 4111 1111 1111 1111',
    { details: { sqlstate: '22P02' } },
  );
  const res = await f.gateway.query(
    queryRequest(f.agentToken, { sql: 'select city::int from customers where id = 1' }),
  );
  assert.equal(res.status, 422);
  const error = (res.body as { error: { message: string; sqlstate: string } }).error;
  assert.doesNotMatch(error.message, /Ada Lovelace/);
  assert.doesNotMatch(error.message, /4111 1111 1111 1111/);
  assert.equal(error.sqlstate, '22P02');
});
