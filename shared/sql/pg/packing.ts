import { asNode, type Body, isBody, items, names, text } from './node.js';

/**
 * Arithmetic packing: a summarising aggregate that adds or ORs its inputs carries every row
 * in one number when each row gets its own weight (`sum(amount * 10::numeric ^ (8*id))`,
 * `bit_or(1::bigint << id)`). What decides is the argument's shape, so it is an allowlist:
 * a plain summand is a base column (or a linear summary's output), a constant, or sums,
 * constant multiples and quotients of those, casts of them, a few functions of a value's part
 * or size, and CASE / COALESCE / GREATEST / LEAST / NULLIF choosing between one value and the
 * units (whether a row counts, never how much), with only a few distinct constants in all.
 * Any other argument makes the call row-carrying: counted as the rows it reads.
 */

/** Summaries that return one of their inputs (or one bit): no argument can pack rows. */
const SELECTING = new Set(['min', 'max', 'bool_and', 'bool_or', 'every']);

/** More distinct constants than an ordinary sum needs (`case when a then 1 when b then -1 else 0`). */
const MAX_CONSTANTS = 3;

/** Functions that keep a summand plain: one plain value and constant options. */
const PLAIN_FUNCTIONS = new Set([
  'abs',
  'round',
  'trunc',
  'floor',
  'ceil',
  'ceiling',
  // A value's size: no weight of its own (red-team round 28: avg(length(city)) was held).
  'length',
  'char_length',
  'character_length',
  'octet_length',
  'bit_length',
]);

/**
 * Functions of a constant field name and one plain value (`extract(hour from created_at)`,
 * `date_part('day', paid_at)`): a part of the value, no weight (red-team round 28).
 */
const FIELD_FUNCTIONS = new Set(['extract', 'date_part']);

/** Aggregates whose plain output may be summed again, in a window over the groups. */
const NESTED_SUMMARIES = new Set(['count', 'sum', 'avg', 'min', 'max']);

/** Functions of plain values only: the interval between two (`age(paid_at, created_at)`). */
const PLAIN_PAIR_FUNCTIONS = new Set(['age']);

/** Whether a column reference in the argument is exactly one base column. */
export type IsDirect = (columnRef: unknown) => boolean;

/**
 * Whether a call of summarising aggregate `name` with these arguments can carry many rows:
 * true unless the aggregate only selects, or every argument is a plain summand.
 */
export function packsRows(name: string, args: readonly unknown[], isDirect: IsDirect): boolean {
  if (SELECTING.has(name.toLowerCase())) return false;
  return !plainArguments(args, isDirect);
}

/**
 * Whether every argument is a plain summand, with few constants in all. A selecting aggregate
 * packs nothing itself, but its output is plain only over plain arguments: `max(amount * 10 ^
 * id)` per id is each row's weighted amount, and a sum of those packs them all.
 */
export function plainArguments(args: readonly unknown[], isDirect: IsDirect): boolean {
  const constants = new Set<string>();
  const ok = args.every((a) => plain(a, isDirect, constants));
  const chooses = constants.delete(CHOICE);
  const scales = constants.delete(SCALED);
  // A choice in a scaled summand gives rows their own weights (`case when id = 1 then amount
  // else 0 end + case when id = 2 then amount * 1e8 else 0 end`): one or the other, not both.
  return ok && constants.size <= MAX_CONSTANTS && !(chooses && scales);
}

/** Marks in the constants' set (no constant's text starts with `#`). */
const CHOICE = '#choice';
const SCALED = '#scaled';

/** Constant factors a plain summand may have on one path (`amount * 1.2 / 100`). */
const MAX_FACTORS = 2;

/**
 * `factors`: how many constants the value is already multiplied or divided by on the way here.
 * More than MAX_FACTORS is refused: constants are told apart by their text, so a chain `amount
 * * 1e6 * 1e6 * 1e6` built a different weight per CASE branch out of one constant, and a sum of
 * such branches packed 216 rows into a cell (red-team round 29). A choice is not scaled at all
 * (oneChoice, plainArguments): the factors only scale the whole summand, the same for every row.
 */
function plain(value: unknown, isDirect: IsDirect, constants: Set<string>, factors = 0): boolean {
  if (isConstant(value)) {
    constants.add(canonical(value));
    return true;
  }
  const node = asNode(value);
  if (!node) return false;
  const { kind, body } = node;
  const sub = (v: unknown) => plain(v, isDirect, constants, factors);
  const factor =
    factors >= MAX_FACTORS ? undefined : (v: unknown) => plain(v, isDirect, constants, factors + 1);
  switch (kind) {
    case 'ColumnRef':
      return isDirect(value);
    case 'TypeCast':
      return sub(body.arg);
    case 'A_Expr': {
      const op = names(items(body, 'name')).join('.');
      if (op === '*' || op === '/') constants.add(SCALED);
      if (text(body, 'kind') === 'AEXPR_NULLIF') constants.add(CHOICE);
      return plainOperator(body, sub, factor, (v) => constantOperand(v, constants));
    }
    case 'CaseExpr':
      constants.add(CHOICE);
      // The conditions may read anything: they choose which rows count, not how much.
      return oneChoice(
        [
          ...items(body, 'args').map((w) => asNode(w)?.body.result),
          ...(body.defresult === undefined ? [] : [body.defresult]),
        ],
        sub,
      );
    case 'CoalesceExpr':
    case 'MinMaxExpr':
      // COALESCE, GREATEST and LEAST choose among their arguments, as CASE does.
      constants.add(CHOICE);
      return oneChoice(items(body, 'args'), sub);
    case 'FuncCall':
      return plainCall(body, sub, (v) => constantOperand(v, constants));
    default:
      return false;
  }
}

/**
 * What a choice (CASE arms, COALESCE, GREATEST, LEAST, NULLIF) may choose among in a plain
 * summand: one value, and the units 0, 1, -1 and NULL. Arms of different weights give each row
 * its own place in the sum: `case when id = k then amount * w_k end` packed 1,080 amounts into
 * five cells, with weights made of one constant (`1e6 * 1e6`), of none (`id - id + 1 + 1`), or
 * of a summary weighted again a level out (red-team rounds 29 and 30). One value in every arm
 * chooses which rows count, never how much.
 */
function oneChoice(alternatives: readonly unknown[], sub: (v: unknown) => boolean): boolean {
  const values = new Set<string>();
  for (const alt of alternatives) {
    if (isUnit(alt)) continue;
    if (!sub(alt)) return false;
    values.add(canonical(alt));
  }
  return values.size <= 1;
}

/** 0, 1, -1 or NULL, cast or not: a choice of whether a row counts, or of its sign. */
function isUnit(value: unknown): boolean {
  const node = asNode(value);
  if (!node) return false;
  if (node.kind === 'TypeCast') return isUnit(node.body.arg);
  if (node.kind !== 'A_Const') return false;
  if (node.body.isnull === true) return true;
  // The parse tree writes 0 as an empty `ival`, and decimals as text (`fval`).
  const ival = node.body.ival as { ival?: unknown } | undefined;
  const fval = node.body.fval as { fval?: unknown } | undefined;
  const n =
    ival !== undefined ? (ival.ival ?? 0) : typeof fval?.fval === 'string' ? Number(fval.fval) : Number.NaN;
  return n === 0 || n === 1 || n === -1;
}

function plainOperator(
  body: Body,
  sub: (v: unknown) => boolean,
  factor: ((v: unknown) => boolean) | undefined,
  constant: (v: unknown) => boolean,
): boolean {
  const kind = text(body, 'kind');
  if (kind === 'AEXPR_NULLIF') return sub(body.lexpr) && constant(body.rexpr);
  if (kind !== 'AEXPR_OP') return false;
  const op = names(items(body, 'name')).join('.');
  const { lexpr, rexpr } = body;
  switch (op) {
    case '+':
    case '-':
      return (lexpr === undefined || sub(lexpr)) && sub(rexpr);
    case '*':
      if (!factor) return false;
      return (constant(lexpr) && factor(rexpr)) || (factor(lexpr) && constant(rexpr));
    case '/':
      return factor !== undefined && factor(lexpr) && constant(rexpr);
    default:
      return false;
  }
}

function plainCall(body: Body, sub: (v: unknown) => boolean, constant: (v: unknown) => boolean): boolean {
  const name = names(items(body, 'funcname'))
    .join('.')
    .replace(/^pg_catalog\./, '');
  const args = items(body, 'args');
  const [first, ...rest] = args;
  // A plain summary inside a window (`sum(sum(amount)) over ()`, a share of the total) adds
  // each group's plain total as it is.
  if (NESTED_SUMMARIES.has(name) && body.over === undefined && body.agg_filter === undefined) {
    return body.agg_star === true ? args.length === 0 : args.length === 1 && sub(first);
  }
  if (body.over !== undefined || first === undefined) return false;
  if (PLAIN_FUNCTIONS.has(name)) return sub(first) && rest.every(constant);
  if (FIELD_FUNCTIONS.has(name)) return args.length === 2 && constant(first) && sub(args[1]);
  if (PLAIN_PAIR_FUNCTIONS.has(name)) return args.length <= 2 && args.every(sub);
  return false;
}

function constantOperand(value: unknown, constants: Set<string>): boolean {
  if (!isConstant(value)) return false;
  constants.add(canonical(value));
  return true;
}

/** The same for every row: no column, no subquery (which may be correlated). */
function isConstant(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isConstant);
  if (!isBody(value)) return true;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'ColumnRef' || key === 'SubLink') return false;
    if (!isConstant(v)) return false;
  }
  return true;
}

/** The constant's text as parsed, without source positions. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (key, v) => (key === 'location' ? undefined : v));
}
