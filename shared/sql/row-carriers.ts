import { COLLECTION, ORDERED, SUMMARY } from './pg/allowlist.js';

/**
 * Calls that may put another input row's value into a result row, so that one result row
 * carries more base rows than it seems to (red-team rounds 25 and 26):
 * - window functions: `lag(city, 19) over w`, or any aggregate over a frame of one other row
 *   (`sum(amount) over (rows between 3 following and 3 following)`); a running total gives
 *   away the rows an outer filter drops. A rank or count too, once it is more than the one
 *   plain numbering of a statement: over a frame of one other row, with a FILTER or an
 *   argument, `count` is a bit of that row (`count(*) filter (where city = 'Geneva') over
 *   (order by id rows between 1 following and 1 following)`, red-team round 32), and every
 *   further numbering (partitioned by another expression) is one more bit of the rows an
 *   outer filter drops;
 * - hypothetical-set aggregates (`rank(3) within group (order by ...)`), a filtered count;
 * - aggregates that select a row (`min`, `max`, `mode`, `percentile_disc`, `percentile_cont`:
 *   each fraction is another row of the group, red-team round 32);
 * - any aggregate whose input is narrowed to chosen rows: a FILTER (`count(*) filter (where id
 *   = k)` says which group row k is in), or an argument built from more than one column, or
 *   from anything but constants and arithmetic (`regr_slope(amount, case when id = 3 then 1
 *   else 0 end)` is row 3's amount, `sum(amount * (1 - sign(abs(id - 3))))` too).
 * A plain summary (`sum(amount)`, `count(*)`, `avg(x * 1.1)`) over a group gives no row's value.
 */

/** What the walkers know of a call. */
export interface CallShape {
  /** It has an OVER clause. */
  windowed: boolean;
  /** It has a FILTER clause. */
  filtered: boolean;
  /** Its arguments read more than one column, or compute anything but arithmetic on one. */
  conditional: boolean;
  /**
   * Results its arguments choose among (CASE arms, GREATEST/LEAST/COALESCE arguments); 1 when
   * none. Plain summands give arms no weights of their own (packing.ts), but sums of arms built
   * up by addition can still tell a few rows apart: each arm is counted as a row it may carry.
   */
  choices?: number;
  /**
   * A window call that is only a numbering of the rows: no FILTER, no argument but constants,
   * the default frame, an inline window partitioned and ordered by columns alone.
   */
  plainWindow?: boolean;
}

export interface RowCarriers {
  /** Aggregate calls, each of which may give a group's result row one input row's value. */
  aggregates: number;
  /** Window calls, each of which may give a row one other row's value. */
  windows: number;
  /** Plain numberings (`row_number() over (order by id)`): the first of a statement is free. */
  numberings?: number;
  /**
   * Plain summaries (`sum(amount)`), which carry no row alone; beside a selecting aggregate they
   * give one more (`min` and `sum` over a pair are both its values; red-team round 35).
   */
  summaries?: number;
}

const RANKS_AND_COUNTS = new Set([
  'count',
  'row_number',
  'rank',
  'dense_rank',
  'percent_rank',
  'cume_dist',
  'ntile',
]);

/** Variances, deviations, covariances, correlations and regressions: second moments. */
const QUADRATIC = /^(?:stddev|stdev|var|variance|covar|corr|regr_)/;

const SELECTING = new Set(['min', 'max', 'mode', 'percentile_disc', 'percentile_cont', 'any_value']);

/**
 * Aggregates whose input may be narrowed: the PostgreSQL allowlist's, and T-SQL's own names
 * of the same (its walker passes no argument shapes, so every one of them counts).
 */
const AGGREGATES = new Set<string>([
  ...SELECTING,
  ...SUMMARY,
  ...COLLECTION,
  ...ORDERED,
  'count',
  'count_big',
  'bit_xor',
  'stdev',
  'stdevp',
  'var',
  'varp',
]);

/** Adds what the call `name` (lower case, bare) of this shape may carry. */
export function countCarrier(carriers: RowCarriers, name: string, shape: CallShape): void {
  if (shape.windowed) {
    if (RANKS_AND_COUNTS.has(name) && shape.plainWindow === true && !shape.filtered) {
      carriers.numberings = (carriers.numberings ?? 0) + 1;
    } else carriers.windows++;
    return;
  }
  // A rank without OVER is a hypothetical-set aggregate: how many rows sort before a value.
  if (RANKS_AND_COUNTS.has(name) && name !== 'count') {
    carriers.aggregates++;
    return;
  }
  if (name === 'lag' || name === 'lead' || name.endsWith('_value')) {
    carriers.windows++;
    return;
  }
  if (SELECTING.has(name) || (AGGREGATES.has(name) && (shape.filtered || shape.conditional))) {
    // A second moment of an argument built from two columns holds two terms of its group
    // (`var_samp(id * 1000 + hour)` over three rows: the spread, and the difference of the
    // ends; red-team round 37): one carried row for each.
    const terms = shape.conditional && QUADRATIC.test(name) ? 2 : 1;
    carriers.aggregates += Math.max(1, shape.choices ?? 1) * terms;
  } else if (AGGREGATES.has(name) && name !== 'count' && name !== 'count_big') {
    carriers.summaries = (carriers.summaries ?? 0) + 1;
  }
}

/**
 * Rows of one copy of a table a result row may carry: a grouped row carries one input row
 * per aggregate that may select one (at least one, for the group), a plain row itself; and
 * each window call one more.
 */
export function rowsPerCopy(carriers: RowCarriers | undefined): number {
  const numberings = Math.max(0, (carriers?.numberings ?? 0) - 1);
  const selecting = carriers?.aggregates ?? 0;
  const besides = selecting > 0 && (carriers?.summaries ?? 0) > 0 ? 1 : 0;
  return Math.max(1, selecting + besides) + (carriers?.windows ?? 0) + numberings;
}
