import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releasedJson, withRowsJson } from '../../../shared/use-cases/released-json.js';

describe('released rows JSON', () => {
  const rows = [
    { id: 1, email: 'a•••@example.com', note: 'quote " and \\ and \u2028' },
    { id: 2, email: null, note: '' },
  ];
  const value = { requestId: 'r-1', columns: [{ name: 'id' }], rows, rowCount: 2, truncated: false };

  it('says what serialising the whole value says, with the rows as the released text', () => {
    const rowsJson = JSON.stringify(rows);
    const text = releasedJson(withRowsJson({ ...value }, rowsJson));
    assert.ok(text);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
    assert.ok(text.includes(`"rows":${rowsJson}`), 'the released bytes are sent as they are');
  });

  it('is absent from the value as serialised, from copies, and from values without it', () => {
    const carried = withRowsJson({ ...value }, JSON.stringify(rows));
    assert.equal(JSON.stringify(carried), JSON.stringify(value));
    assert.equal(releasedJson({ ...carried }), undefined);
    assert.equal(releasedJson(structuredClone(carried)), undefined);
    assert.equal(releasedJson(value), undefined);
    assert.equal(releasedJson(null), undefined);
    assert.equal(releasedJson('text'), undefined);
  });

  it('handles a value holding only rows', () => {
    const text = releasedJson(withRowsJson({ rows: [] as unknown[] }, '[]'));
    assert.equal(text, '{"rows":[]}');
  });
});
