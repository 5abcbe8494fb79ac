import { REDACTED } from '../masking/apply.js';
import type { MaskingReport } from '../masking/index.js';
import { reportKey } from '../masking/report-key.js';
import { setOwn } from '../own-property.js';
import type { Row } from '../types.js';

/**
 * The backstop to the packing rule of the analysis (`shared/sql/pg/packing.ts`): a number
 * with more significant digits than any plain sum, average or count can have is a table
 * packed into one cell, however the statement built it. A `numeric(38,2)` sum over a
 * billion rows has 47 digits in the worst case; an ordinary one has well under 40.
 */
export const MAX_SIGNIFICANT_DIGITS = 40;

/** The class a withheld number is reported as. */
export const PACKED_CLASS = 'gateway.packed_number';

const NUMBER_TEXT = /^[+-]?(\d*)(?:\.(\d*))?$/;

/** Significant digits (at least the places of the integer part); 0 when not a number. */
export function significantDigits(value: unknown): number {
  const text = typeof value === 'bigint' ? value.toString() : typeof value === 'string' ? value.trim() : '';
  const m = NUMBER_TEXT.exec(text);
  if (!m || text === '' || text === '.') {
    // A number inside a text ('x' || sum(...)) is one too (red-team round 29): the longest.
    return typeof value === 'string' ? longestNumberIn(value) : 0;
  }
  const digits = `${m[1]}${m[2] ?? ''}`.replace(/^0+/, '').replace(/0+$/, '');
  // Trailing zeros of the integer part are still places: count them as the magnitude.
  const integer = m[1].replace(/^0+/, '');
  return Math.max(digits.length, integer.length);
}

// Digits of any script: `translate` to Arabic-Indic or fullwidth digits is still a number.
const NUMBER_RUN = /\p{Nd}+(?:\.\p{Nd}+)?/gu;
const ASCII_NUMBER = /^[0-9]+(?:\.[0-9]+)?$/;

/** Significant digits of the longest number written in a text. */
function longestNumberIn(text: string): number {
  return Math.max(longestDigitRun(text), disguisedNumberIn(text, true));
}

function longestDigitRun(text: string): number {
  let most = 0;
  for (const run of text.match(NUMBER_RUN) ?? []) {
    if (run.length <= most) continue;
    // Another script's digits count as places, each of them (their zeros too).
    most = Math.max(most, ASCII_NUMBER.test(run) ? significantDigits(run) : [...run].length - 1);
  }
  return most;
}

function longestAsciiDigits(text: string): number {
  let most = 0;
  for (const run of text.match(/[0-9]+(?:\.[0-9]+)?/g) ?? []) most = Math.max(most, significantDigits(run));
  return most;
}

const MAX_NUMBER_SYMBOLS = 12;

/** Runs of letters and digits with nothing between them, and runs of base64 or hex. */
const WORD_RUN = /[\p{L}\p{N}]{41,}/gu;
// What a decoded run is read for: bytes that are not text decode to latin-1 letters at random.
const ASCII_WORD_RUN = /[A-Za-z0-9]{41,}/g;
const CODED_RUN = /[A-Za-z0-9+/_-]{41,}={0,2}/g;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * A packed number in an easy disguise (red-team rounds 29 to 31 wrote them as letters): a
 * long run written with twelve symbols or fewer (ten digits, a point, a sign) is a number in another alphabet, and a long
 * base64 or hex run is read again as the text it encodes. What ordinary text holds (words,
 * hashes, ids, URLs) uses more symbols than that, or is shorter than a packed number.
 */
function disguisedNumberIn(text: string, decode: boolean): number {
  let most = 0;
  for (const run of text.match(decode ? WORD_RUN : ASCII_WORD_RUN) ?? []) {
    const symbols = new Set(run).size;
    if (symbols >= 2 && symbols <= MAX_NUMBER_SYMBOLS) most = Math.max(most, [...run].length);
  }
  if (!decode) return most;
  for (const run of text.match(CODED_RUN) ?? []) {
    const bytes = HEX.test(run) ? Buffer.from(run, 'hex') : Buffer.from(run, 'base64');
    const inner = bytes.toString('latin1');
    // Digits of the decoded text are read as ASCII only, for the same reason.
    most = Math.max(most, longestAsciiDigits(inner), disguisedNumberIn(inner, false));
  }
  return most;
}

/**
 * Whether a cell holds an over-long number: as itself, or in any string (value or key) of a
 * JSON cell, which the driver hands over parsed (`json_build_object('v', ...)`).
 */
function isPacked(value: unknown): boolean {
  if (typeof value === 'string') {
    // A text has no more digits than characters: most cells are let through unparsed.
    return value.length > MAX_SIGNIFICANT_DIGITS && significantDigits(value) > MAX_SIGNIFICANT_DIGITS;
  }
  if (typeof value === 'bigint') return significantDigits(value) > MAX_SIGNIFICANT_DIGITS;
  if (typeof value !== 'object' || value === null || value instanceof Date) return false;
  if (Array.isArray(value)) return value.some(isPacked);
  // Buffers (bytea) are read as their bytes' latin-1 text: a packed number sent as bytes.
  if (ArrayBuffer.isView(value)) {
    return isPacked(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'));
  }
  for (const [k, v] of Object.entries(value)) if (isPacked(k) || isPacked(v)) return true;
  return false;
}

/** Rows with every over-long number redacted, and the report counting them. */
export function withholdPackedNumbers(
  rows: Row[],
  report: MaskingReport,
): { rows: Row[]; report: MaskingReport } {
  let withheld = 0;
  const out = rows.map((row) => {
    let copy: Row | undefined;
    for (const key in row) {
      const value = row[key];
      if (!isPacked(value)) continue;
      copy ??= { ...row };
      // Defined, not assigned: a column named `__proto__` must be withheld like any other.
      setOwn(copy, key, REDACTED);
      withheld++;
    }
    return copy ?? row;
  });
  if (withheld === 0) return { rows, report };
  const columns = { ...report.columns };
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      // Under its report key: a `__proto__` column would be lost from the audit record.
      if (isPacked(value)) columns[reportKey(key)] = PACKED_CLASS;
    }
  }
  return {
    rows: out,
    report: {
      columns,
      cellsMasked: report.cellsMasked + withheld,
      byClass: { ...report.byClass, [PACKED_CLASS]: (report.byClass[PACKED_CLASS] ?? 0) + withheld },
    },
  };
}
