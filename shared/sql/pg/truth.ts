import { canonical } from './canonical.js';
import { asNode, type Body, bodyOf, child, items, names, text } from './node.js';

/**
 * Whether a predicate is the same for every row: true, false, or undefined when it depends
 * on data. Deliberately small: it recognises the shapes people (and injected text) use to
 * turn a filter off, not every tautology.
 */
export function constantTruth(expr: unknown): boolean | undefined {
  const node = asNode(expr);
  if (!node) return undefined;
  switch (node.kind) {
    case 'A_Const':
      return booleanConst(node.body);
    case 'TypeCast':
      return castTruth(node.body);
    case 'BoolExpr':
      return boolExprTruth(node.body);
    case 'A_Expr':
      return comparisonTruth(node.body);
    case 'NullTest':
      return nullTestTruth(node.body);
    default:
      return undefined;
  }
}

function booleanConst(body: Body): boolean | undefined {
  const boolval = child(body, 'boolval');
  if (!boolval) return undefined;
  return boolval.boolval === true;
}

function castTruth(body: Body): boolean | undefined {
  const type = names(items(child(body, 'typeName'), 'names')).pop();
  if (type !== 'bool' && type !== 'boolean') return undefined;
  const literal = constValue(body.arg);
  if (typeof literal !== 'string') return constantTruth(body.arg);
  const word = literal.trim().toLowerCase();
  if (['t', 'true', 'y', 'yes', 'on', '1'].includes(word)) return true;
  if (['f', 'false', 'n', 'no', 'off', '0'].includes(word)) return false;
  return undefined;
}

function boolExprTruth(body: Body): boolean | undefined {
  const args = items(body, 'args').map(constantTruth);
  switch (text(body, 'boolop')) {
    case 'OR_EXPR':
      if (args.includes(true)) return true;
      return args.every((a) => a === false) ? false : undefined;
    case 'AND_EXPR':
      if (args.includes(false)) return false;
      return args.every((a) => a === true) ? true : undefined;
    case 'NOT_EXPR':
      return args[0] === undefined ? undefined : !args[0];
    default:
      return undefined;
  }
}

function comparisonTruth(body: Body): boolean | undefined {
  if (text(body, 'kind') !== 'AEXPR_OP') return undefined;
  const op = names(items(body, 'name')).join('.');
  const left = constValue(body.lexpr);
  const right = constValue(body.rexpr);
  if (left !== undefined && right !== undefined && typeof left === typeof right) {
    return compare(op, left, right);
  }
  // `col = col` holds for every non-null row, which is what an always-true filter needs.
  if (left === undefined && right === undefined && body.lexpr !== undefined) {
    const same = canonical(body.lexpr, { constants: true }) === canonical(body.rexpr, { constants: true });
    if (same && ['=', '<=', '>='].includes(op)) return true;
    if (same && ['<>', '!=', '<', '>'].includes(op)) return false;
  }
  return undefined;
}

function nullTestTruth(body: Body): boolean | undefined {
  if (constValue(body.arg) === undefined) return undefined;
  return text(body, 'nulltesttype') === 'IS_NOT_NULL';
}

function compare(op: string, a: number | string, b: number | string): boolean | undefined {
  switch (op) {
    case '=':
      return a === b;
    case '<>':
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return undefined;
  }
}

/** Numeric or string literal value, looking through casts; undefined for anything else. */
export function constValue(expr: unknown): number | string | undefined {
  const cast = bodyOf(expr, 'TypeCast');
  if (cast) return constValue(cast.arg);
  const body = bodyOf(expr, 'A_Const');
  if (!body) return undefined;
  const ival = child(body, 'ival');
  if (ival) return typeof ival.ival === 'number' ? ival.ival : 0;
  const fval = text(child(body, 'fval'), 'fval');
  if (fval !== undefined) return Number(fval);
  const sval = child(body, 'sval');
  // An empty string literal arrives as `sval: {}`.
  return sval ? (text(sval, 'sval') ?? '') : undefined;
}
