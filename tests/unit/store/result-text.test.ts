import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { digestOf } from '../../../shared/audit/result-digest.js';
import { ResultText } from '../../../shared/store/result-text.js';

const columns = [
  { name: 'id', type: 'int4' },
  { name: 'note', type: 'text' },
];
const cell = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(null),
  fc.boolean(),
);
const rowsArb = fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { maxLength: 40 });

describe('ResultText', () => {
  it('emits, batch by batch, exactly JSON.stringify({ columns, rows }) and its digestOf', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 1, max: 7 }), (rows, batch) => {
        const text = new ResultText();
        let out = text.open(columns);
        for (let i = 0; i < rows.length; i += batch) out += text.rows(rows.slice(i, i + batch));
        const closed = text.close();
        out += closed.text;
        assert.equal(out, JSON.stringify({ columns, rows }));
        assert.equal(closed.digest, digestOf({ columns, rows }));
        assert.equal(closed.rows, rows.length);
      }),
    );
  });

  it('refuses rows after it was closed', () => {
    const text = new ResultText();
    text.open(columns);
    text.close();
    assert.throws(() => text.rows([[1, 'late']]), TypeError);
  });
});
