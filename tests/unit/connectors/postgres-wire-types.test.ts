import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { timestamptzValue, WIRE_TYPES } from '../../../shared/connectors/postgres/wire-types.js';
import { seededRandom } from '../../support/seeded-random.js';

// What the gateway gave before: pg's own parser, then the Date's JSON form.
const pgParse = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;
const before = (text: string) => JSON.parse(JSON.stringify({ v: pgParse(text) })).v as unknown;
const after = (text: string) => JSON.parse(JSON.stringify({ v: timestamptzValue(text) })).v as unknown;

/** PostgreSQL's text for an instant with session TimeZone UTC, fraction digits as it prints them. */
function pgText(ms: number, micros: number): string {
  const iso = new Date(ms).toISOString();
  const frac = `${iso.slice(20, 23)}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''}+00`;
}

describe('timestamptz from the wire', () => {
  it('serialises exactly as the Date it replaces, for 20,000 random instants', () => {
    const next = seededRandom(7);
    const from = Date.UTC(1000, 0, 1);
    const to = Date.UTC(9999, 11, 31, 23, 59, 59);
    for (let i = 0; i < 20_000; i++) {
      const text = pgText(from + Math.floor(next() * (to - from)), Math.floor(next() * 1000));
      const value = timestamptzValue(text);
      assert.equal(typeof value, 'string', text);
      assert.equal(after(text), before(text), text);
    }
  });

  it('cuts every fraction of one to six digits to its milliseconds as the Date did', () => {
    for (let digits = 1; digits <= 6; digits++) {
      for (let f = 0; f < 10 ** digits; f += digits < 5 ? 1 : 7) {
        const text = `2024-03-01 10:00:00.${String(f).padStart(digits, '0')}+00`;
        assert.equal(after(text), before(text), text);
      }
    }
    assert.equal(timestamptzValue('2000-02-29 23:59:59.999999+00'), '2000-02-29T23:59:59.999Z');
    assert.equal(timestamptzValue('2024-03-01 10:00:00+00'), '2024-03-01T10:00:00.000Z');
  });

  it('reads every other text through pg, to the same JSON: zones, BC, infinity, five-digit years', () => {
    for (const text of [
      '2024-03-01 10:00:00+02',
      '2024-03-01 10:00:00.5-05:30',
      '0044-03-15 12:00:00+00 BC',
      '0099-01-01 00:00:00+00',
      '12024-03-01 10:00:00+00',
      '2023-02-29 10:00:00+00',
      '2024-13-01 10:00:00+00',
      '2024-04-31 10:00:00+00',
      '2024-03-01 24:00:00+00',
      '2024-03-01T10:00:00+00',
      '2024-03-01 10:00:00.+00',
      '2024-03-01 10:00:00.1234567+00',
      '2024-0a-01 10:00:00+00',
      '2024-03-01 10:00:00.12a+00',
      '2024-03-01 10:0-:00+00',
      '0999-12-31 23:59:59+00',
      '2024-03-01 10:00:00+01',
    ]) {
      assert.equal(after(text), before(text), text);
      const value = timestamptzValue(text);
      assert.ok(value === null || typeof value === 'string', text);
    }
    assert.equal(timestamptzValue('2024-03-01 10:00:00+02'), '2024-03-01T08:00:00.000Z');
    assert.equal(timestamptzValue('infinity'), Number.POSITIVE_INFINITY);
    assert.equal(timestamptzValue('-infinity'), Number.NEGATIVE_INFINITY);
    assert.equal(after('infinity'), null);
    assert.equal(timestamptzValue('not a time'), null);
  });

  it('is the parser for timestamptz text only; other types keep pg’s parsers', () => {
    assert.equal(WIRE_TYPES.getTypeParser(1184, 'text'), timestamptzValue);
    assert.equal(WIRE_TYPES.getTypeParser(1184), timestamptzValue);
    assert.equal(WIRE_TYPES.getTypeParser(1114, 'text'), pg.types.getTypeParser(1114, 'text'));
    assert.equal(WIRE_TYPES.getTypeParser(1082, 'text'), pg.types.getTypeParser(1082, 'text'));
    assert.equal(WIRE_TYPES.getTypeParser(1184, 'binary'), pg.types.getTypeParser(1184, 'binary'));
  });
});
