import { asNode, type Body, bodyOf, child, items, names, stringValue, text } from './node.js';

/**
 * The name Postgres gives an unnamed result column (FigureColname in the server): the
 * column or function name, the type of a cast of an unnamed value, a few keywords, else
 * `?column?`. Masking matches result columns by this name, so it must agree with the server.
 */
export function outputName(expr: unknown): string {
  return figure(expr) ?? '?column?';
}

/**
 * Whether the server's name for an unaliased output is certain to be `outputName`'s: only for
 * a plain column reference (`t.col` is `col`). Every other name follows FigureColname's rules
 * of strength through casts, CASE, COLLATE, subscripts, field selections and subqueries, and a
 * slip there would let a decoy of the guessed name answer for the server's column; so a
 * reference to any name may mean such an output, and is traced to it too.
 */
export function nameIsKnown(expr: unknown): boolean {
  const ref = asNode(expr);
  if (ref?.kind !== 'ColumnRef') return false;
  return stringValue(items(ref.body, 'fields').at(-1)) !== undefined;
}

/** A type name chosen for a cast is a weak guess: a CASE prefers its own keyword to it. */
function figure(expr: unknown): string | undefined {
  return figureWithStrength(expr)?.name;
}

function figureWithStrength(expr: unknown): { name: string; strong: boolean } | undefined {
  const node = asNode(expr);
  if (node?.kind === 'TypeCast') {
    const inner = figureWithStrength(node.body.arg);
    if (inner?.strong) return inner;
    const type = names(items(child(node.body, 'typeName'), 'names')).at(-1);
    return type === undefined ? undefined : { name: type, strong: false };
  }
  if (node?.kind === 'CaseExpr') {
    const inner = figureWithStrength(node.body.defresult);
    return inner?.strong ? inner : { name: 'case', strong: false };
  }
  // COLLATE, and subscripts without a field name, pass on their argument's name with its
  // strength: `('x'::text collate "C")::varchar` is `varchar`, as the server names it.
  if (node?.kind === 'CollateClause') return figureWithStrength(node.body.arg);
  if (
    node?.kind === 'A_Indirection' &&
    !items(node.body, 'indirection').some((s) => stringValue(s) !== undefined)
  )
    return figureWithStrength(node.body.arg);
  const name = figureStrong(expr);
  return name === undefined ? undefined : { name, strong: true };
}

function figureStrong(expr: unknown): string | undefined {
  const node = asNode(expr);
  if (!node) return undefined;
  const { kind, body } = node;
  switch (kind) {
    case 'ColumnRef': {
      const fields = items(body, 'fields');
      const last = fields[fields.length - 1];
      return stringValue(last) ?? (bodyOf(last, 'A_Star') ? '*' : undefined);
    }
    case 'A_Indirection': {
      // The last field name of the chain, past subscripts and `*` (`(r).f1[1]` is `f1`).
      for (const step of [...items(body, 'indirection')].reverse()) {
        const name = stringValue(step);
        if (name !== undefined) return name;
      }
      return figure(body.arg);
    }
    case 'FuncCall':
      return names(items(body, 'funcname')).at(-1);
    case 'A_Expr':
      return text(body, 'kind') === 'AEXPR_NULLIF' ? 'nullif' : undefined;
    case 'CollateClause':
      return figure(body.arg);
    case 'SubLink':
      return subLinkName(body);
    case 'A_ArrayExpr':
      return 'array';
    case 'RowExpr':
      return 'row';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'MinMaxExpr':
      return text(body, 'op') === 'IS_LEAST' ? 'least' : 'greatest';
    case 'GroupingFunc':
      return 'grouping';
    case 'SQLValueFunction':
      return sqlValueFunctionName(text(body, 'op'));
    case 'XmlExpr':
      return xmlName(text(body, 'op'));
    case 'XmlSerialize':
      return 'xmlserialize';
    default:
      return undefined;
  }
}

function subLinkName(body: Body): string | undefined {
  switch (text(body, 'subLinkType')) {
    case 'EXISTS_SUBLINK':
      return 'exists';
    case 'ARRAY_SUBLINK':
      return 'array';
    case 'EXPR_SUBLINK':
      return firstOutputName(bodyOf(body.subselect, 'SelectStmt'));
    default:
      return undefined;
  }
}

/** The name of a query's first output as the server gives it: VALUES and set operations too. */
function firstOutputName(select: Body | undefined): string | undefined {
  if (!select) return undefined;
  if (select.valuesLists !== undefined) return 'column1';
  const op = text(select, 'op');
  if (op !== undefined && op !== 'SETOP_NONE') return firstOutputName(child(select, 'larg'));
  const first = bodyOf(items(select, 'targetList')[0], 'ResTarget');
  const star = bodyOf(first?.val, 'ColumnRef');
  // A `*` names the first column it expands to, which is not known here.
  if (star && bodyOf(items(star, 'fields').at(-1), 'A_Star')) return undefined;
  return text(first, 'name') ?? figure(first?.val);
}

function sqlValueFunctionName(op: string | undefined): string | undefined {
  // SVFOP_CURRENT_TIMESTAMP_N and friends name the column like their plain form.
  return op
    ?.replace(/^SVFOP_/, '')
    .replace(/_N$/, '')
    .toLowerCase();
}

function xmlName(op: string | undefined): string | undefined {
  const map: Record<string, string> = {
    IS_XMLCONCAT: 'xmlconcat',
    IS_XMLELEMENT: 'xmlelement',
    IS_XMLFOREST: 'xmlforest',
    IS_XMLPARSE: 'xmlparse',
    IS_XMLPI: 'xmlpi',
    IS_XMLROOT: 'xmlroot',
    IS_XMLSERIALIZE: 'xmlserialize',
  };
  return op === undefined ? undefined : map[op];
}
