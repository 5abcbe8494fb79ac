import pg, { type CustomTypesConfig } from 'pg';

/**
 * How the gateway's `pg` clients turn column text into values. Everything is pg's default
 * except `timestamptz`, which is given as the ISO text a `Date` would serialise to: a wide read
 * spent more time building `Date`s and serialising them again (`JSON.stringify` leaves its
 * fast path for an object with `toJSON`) than on the rest of its cells. The text is exactly
 * what the `Date` gave before, so no agent sees a change.
 */

const TIMESTAMPTZ_OID = 1184;

// What PostgreSQL prints for a timestamptz when the session's TimeZone is UTC, for years
// 1000-9999: `YYYY-MM-DD HH:MM:SS[.f{1,6}]+00`. Anything else (another zone, BC, infinity, a
// five-digit year) is read by pg. Read by position, not by a regular expression: a wide read
// meets one per row.
const PLAIN_LENGTH = 22;
const SEPARATORS: ReadonlyArray<[number, number]> = [
  [4, 45], // -
  [7, 45], // -
  [10, 32], // space
  [13, 58], // :
  [16, 58], // :
];

/** The number written by `len` ASCII digits at `at`, or -1 where any is not a digit. */
function digitsAt(text: string, at: number, len: number): number {
  let value = 0;
  for (let i = at; i < at + len; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Whether the text has the shape PostgreSQL prints in UTC (its fields not yet range-checked). */
function utcShape(text: string): boolean {
  const n = text.length;
  // Without a fraction, or with one of one to six digits after the point at 19.
  if (n !== PLAIN_LENGTH && (n < PLAIN_LENGTH + 2 || n > PLAIN_LENGTH + 7)) return false;
  if (text.charCodeAt(n - 3) !== 43 || text.charCodeAt(n - 2) !== 48 || text.charCodeAt(n - 1) !== 48)
    return false;
  for (const [at, code] of SEPARATORS) if (text.charCodeAt(at) !== code) return false;
  if (n === PLAIN_LENGTH) return true;
  return text.charCodeAt(19) === 46 && digitsAt(text, 20, n - 23) >= 0;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const pgTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => unknown;

/** pg's value as the text its JSON form is: the ISO form of a Date, null for an invalid one. */
function throughPg(text: string): unknown {
  const value = pgTimestamptz(text);
  if (!(value instanceof Date)) return value; // ±Infinity for 'infinity', as pg gives it
  return Number.isNaN(value.getTime()) ? null : value.toISOString();
}

/**
 * The ISO form `JSON.stringify` gave of pg's Date, built straight from the text for the form
 * PostgreSQL prints in UTC, and through pg's Date for every other form.
 */
export function timestamptzValue(text: string): unknown {
  if (!utcShape(text)) return throughPg(text);
  const year = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  // PostgreSQL prints only real instants; a field out of range (or not digits: -1) is not its
  // text, and a Date would roll it over, so pg's own path decides.
  if (
    year < 1000 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > (DAYS_IN_MONTH[mo - 1] as number) ||
    (mo === 2 && d === 29 && !isLeap(year)) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return throughPg(text);
  }
  // pg makes milliseconds of the fraction as a float and the Date cuts them to a whole one:
  // for every fraction of up to six digits that is its first three (the test checks all).
  const ms = text.length === PLAIN_LENGTH ? '000' : `${text.slice(20, text.length - 3)}00`.slice(0, 3);
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${ms}Z`;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export const WIRE_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID && format !== 'binary'
      ? timestamptzValue
      : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};
