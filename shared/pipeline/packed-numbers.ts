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

const NUMBER_RUN = /\d+(?:\.\d+)?/g;

/** Significant digits of the longest number written in a text. */
function longestNumberIn(text: string): number {
  let most = 0;
  for (const run of text.match(NUMBER_RUN) ?? []) {
    if (run.length <= most) continue;
    most = Math.max(most, significantDigits(run));
  }
  return most;
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
      // A text has no more digits than characters: most cells are let through unparsed.
      if (typeof value === 'string' ? value.length <= MAX_SIGNIFICANT_DIGITS : typeof value !== 'bigint')
        continue;
      if (significantDigits(value) <= MAX_SIGNIFICANT_DIGITS) continue;
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
      if (significantDigits(value) > MAX_SIGNIFICANT_DIGITS) columns[reportKey(key)] = PACKED_CLASS;
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
