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
// 1000-9999: anything else (another zone, BC, infinity, a five-digit year) is read by pg.
const UTC_TEXT = /^([1-9]\d{3})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d{1,6})?\+00$/;

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
  const m = UTC_TEXT.exec(text);
  if (m === null) return throughPg(text);
  const [, year, month, day, hour, minute, second, fraction] = m as unknown as string[];
  const mo = Number(month);
  const d = Number(day);
  // PostgreSQL prints only real instants; a field out of range is not its text, and a Date
  // would roll it over, so pg's own path decides.
  if (
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > (DAYS_IN_MONTH[mo - 1] as number) ||
    (mo === 2 && d === 29 && !isLeap(Number(year))) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    return throughPg(text);
  }
  // pg makes milliseconds of the fraction as a float and the Date cuts them to a whole one:
  // for every fraction of up to six digits that is its first three (the test checks all).
  const ms = fraction === undefined ? '000' : `${fraction.slice(1)}00`.slice(0, 3);
  return `${year}-${month}-${day}T${hour}:${minute}:${second}.${ms}Z`;
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
