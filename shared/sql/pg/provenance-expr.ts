import type { ViolationRule } from '../../types.js';
import { type FunctionKind, type FunctionPolicy, isAllowedCastType, isAllowedOperator } from './allowlist.js';
import { asNode, type Body, bodyOf, child, items, names, stringValue, text } from './node.js';
import { packsRows, plainArguments } from './packing.js';
import {
  derived,
  EMPTY,
  type Field,
  failing,
  flatten,
  OPAQUE,
  type Prov,
  type Value,
  withRows,
} from './provenance-model.js';
import type { Level, Rel } from './provenance-scope.js';
import { isTotalCall, isTotalCast, isTotalOperator } from './total.js';

/** What the expression evaluator needs from the query walk around it. */
export interface ExprHost {
  readonly functions: FunctionPolicy;
  violation(rule: ViolationRule, message: string): void;
  /** Walks a subquery in a child level and returns its output columns. */
  subquery(value: unknown, level: Level): Field[];
  /** Records a table or column that is read but not exposed. */
  unexposed(name: string): void;
  /** Records that a whole row of `rel` is read. */
  wholeRow(rel: Rel): void;
  /** Sources read while the current sublinks are walked (EXISTS reveals what it tested). */
  read(prov: Prov): void;
  beginReads(): void;
  endReads(): Set<string>;
  predicate(prov: Prov): void;
  /** A call that makes rows (an SRF), or one that counts or summarises them, was seen. */
  callSeen(kind: 'srf' | 'aggregate', readsColumns: boolean): void;
  /**
   * One construct that can fail (or, for a subquery, cost time) on some input: what it
   * reads decides whether the statement succeeds, so it is tested like a filter.
   */
  failurePoint(prov: Prov): void;
  /** How many failure points have been seen so far (to tell whether a branch holds one). */
  failurePoints(): number;
  /** Units of the pass's work (one by default): the pass refuses the statement past its budget. */
  work(units?: number): void;
}

/** SQL value functions that reveal only the date and time. */
const TIME_VALUE_FUNCTIONS = new Set([
  'SVFOP_CURRENT_DATE',
  'SVFOP_CURRENT_TIME',
  'SVFOP_CURRENT_TIME_N',
  'SVFOP_CURRENT_TIMESTAMP',
  'SVFOP_CURRENT_TIMESTAMP_N',
  'SVFOP_LOCALTIME',
  'SVFOP_LOCALTIME_N',
  'SVFOP_LOCALTIMESTAMP',
  'SVFOP_LOCALTIMESTAMP_N',
]);

/** Names as written, with the implicit `pg_catalog.` of SQL-syntax forms taken off. */
function unqualified(parts: string[]): string[] {
  return parts.length > 1 && parts[0] === 'pg_catalog' ? parts.slice(1) : parts;
}

/**
 * Evaluates expressions to what they reveal, resolving names the way PostgreSQL does:
 * a column of the innermost relation first, then a whole-row reference, and `x.f` where `f`
 * is not a column of `x` is a call of function `f`, as is `(value).f` on a non-composite.
 */
export class ExpressionEvaluator {
  constructor(private readonly host: ExprHost) {}

  // Set while the argument of `(c).f` is read: a whole-row reference it resolves to is only
  // noted (in `peeked`), so that `f` alone is read, like `c.f`.
  private peekRow = false;
  private peeked: Rel | undefined;

  eval(value: unknown, level: Level): Value {
    this.host.work();
    const node = asNode(value);
    if (!node) {
      if (Array.isArray(value)) return { prov: derived(...value.map((v) => flatten(this.eval(v, level)))) };
      if (value === undefined || value === null) return { prov: EMPTY };
      this.host.violation('construct', 'The statement has a shape the gateway cannot analyse.');
      return { prov: OPAQUE };
    }
    const { kind, body } = node;
    switch (kind) {
      case 'A_Const':
      case 'ParamRef':
        return { prov: EMPTY };
      case 'ColumnRef':
        return this.columnRef(body, level);
      case 'A_Indirection':
        return this.indirection(body, level);
      case 'FuncCall':
        return { prov: this.funcCall(body, level) };
      case 'TypeCast':
        return { prov: this.cast(body, level) };
      case 'CollateClause': {
        const inner = this.eval(body.arg, level);
        return inner.fields ? { prov: flatten(inner) } : inner;
      }
      case 'A_Expr': {
        // IN (list) and BETWEEN are ORs and ANDs of comparisons: they stop early too.
        const kind = text(body, 'kind') ?? '';
        if (kind === 'AEXPR_IN' || kind.startsWith('AEXPR_BETWEEN') || kind.startsWith('AEXPR_NOT_BETWEEN')) {
          return { prov: this.branching(() => this.operator(body, level)) };
        }
        return { prov: this.operator(body, level) };
      }
      case 'BoolExpr':
      case 'CoalesceExpr':
        // AND, OR and COALESCE stop early: what decides that chooses whether the rest runs.
        return { prov: this.branching(() => this.all(items(body, 'args'), level)) };
      case 'MinMaxExpr':
        return { prov: this.all(items(body, 'args'), level) };
      case 'NullTest':
      case 'BooleanTest':
      case 'NamedArgExpr':
        return { prov: derived(flatten(this.eval(body.arg, level))) };
      case 'CaseExpr':
        return { prov: this.branching(() => this.caseExpr(body, level)) };
      case 'A_ArrayExpr': {
        // Nested arrays of unequal dimensions fail.
        const prov = this.all(items(body, 'elements'), level);
        this.host.failurePoint(prov);
        return { prov: failing(prov) };
      }
      case 'RowExpr':
        return this.row(body, level);
      case 'SubLink':
        return { prov: this.subLink(body, level) };
      case 'List':
        return { prov: this.all(items(body, 'items'), level) };
      case 'GroupingSet':
        return { prov: this.all(items(body, 'content'), level) };
      case 'GroupingFunc':
        this.all(items(body, 'args'), level);
        return { prov: EMPTY };
      case 'SQLValueFunction': {
        const op = text(body, 'op') ?? '';
        if (!TIME_VALUE_FUNCTIONS.has(op)) {
          this.host.violation(
            'function',
            `${op.replace(/^SVFOP_/, '').toLowerCase()} is not allowed for agents.`,
          );
        }
        return { prov: EMPTY };
      }
      default:
        this.host.violation('construct', `${kind} is not supported in statements from agents.`);
        return { prov: OPAQUE };
    }
  }

  /**
   * A construct that evaluates some parts only as others decide: if any part can fail or
   * runs a subquery, everything the construct reads decides whether that happens.
   */
  private branching(evaluate: () => Prov): Prov {
    const before = this.host.failurePoints();
    const prov = evaluate();
    if (this.host.failurePoints() > before || prov.fails) this.host.failurePoint(prov);
    return prov;
  }

  /** Sources of a list of expressions, each read as a whole. */
  all(list: unknown[], level: Level): Prov {
    return derived(...list.map((v) => flatten(this.eval(v, level))));
  }

  // ---------- names ----------

  private columnRef(body: Body, level: Level): Value {
    const fields = items(body, 'fields');
    const last = fields[fields.length - 1];
    const parts = fields.slice(0, -1).map((f) => stringValue(f) ?? '');
    if (asNode(last)?.kind === 'A_Star') {
      // `t.*` inside an expression (`row_to_json(t.*)`) is the whole row of t.
      const rel = parts.length > 0 ? level.findRel(parts) : undefined;
      if (!rel) {
        this.host.violation(
          'construct',
          '`*` is only allowed in the select list or as `t.*` of a table in FROM.',
        );
        return { prov: OPAQUE };
      }
      return this.wholeRow(rel);
    }
    const column = stringValue(last);
    if (column === undefined || parts.length > 2) {
      this.host.violation('column', 'That column reference cannot be resolved.');
      return { prov: OPAQUE };
    }
    // Every table has these, though no catalog lists them: the server would read them
    // whatever a decoy of the name says.
    if (SYSTEM_COLUMNS.has(column)) {
      this.host.violation('column', `System column ${column} is not available to agents.`);
      return { prov: OPAQUE };
    }
    if (parts.length === 0) return this.unqualifiedColumn(column, level);
    const rel = level.findRel(parts);
    if (!rel) {
      if (level.hasUnknown()) return { prov: OPAQUE };
      this.host.violation('column', `No relation named ${parts.join('.')} is in scope.`);
      return { prov: OPAQUE };
    }
    const field = rel.fields.find((f) => f.name === column);
    if (!field) {
      if (rel.unknown) return { prov: OPAQUE };
      const unsure = rel.fields.filter((f) => f.unsureName);
      if (unsure.length > 0) return this.candidates(unsure, undefined);
      // PostgreSQL reads `t.f` for a non-column `f` as the call `f(t)`: a function by another name.
      this.host.violation(
        'function',
        `${column} is not a column of ${rel.alias}; PostgreSQL would call a function ${column}(${rel.alias}), which is not allowed.`,
      );
      return { prov: OPAQUE };
    }
    // A column of this relation whose name the pass is not sure of may be the one meant.
    const others: Field[] = rel.fields.filter((f) => f.unsureName && f !== field);
    return others.length === 0 ? this.fieldValue(field) : this.candidates([field, ...others], field);
  }

  private unqualifiedColumn(column: string, level: Level): Value {
    // A column whose name the pass guessed (no alias, not a plain column: see nameIsKnown)
    // may be the one the server finds for this name, at its level or any level passed on the
    // way: the reference is traced to every column it could mean, never to less than the
    // server reads.
    const unsure: Field[] = [];
    for (let l: Level | undefined = level; l; l = l.parent) {
      // A guessed name met further in: were it this name, the server would have stopped
      // there, at a value the pass did not choose (a constant the name's operator would then
      // be applied to: a token oracle). So the reference cannot be that column exactly.
      const inner = unsure.length > 0;
      const using = l.using.get(column);
      if (using) return this.withUnsure(using, unsure, inner);
      const found: Field[] = [];
      for (const rel of l.rels) {
        const f = rel.fields.find((x) => x.name === column);
        if (f) found.push(f);
        for (const x of rel.fields) if (x.unsureName) unsure.push(x);
      }
      // A match on a guessed name may not be the server's: the search goes on outward too.
      if (found.length === 1 && found[0]?.unsureName) continue;
      if (found.length === 1) return this.withUnsure(found[0] as Field, unsure, inner);
      if (found.length > 1) {
        this.host.violation('column', `Column ${column} is ambiguous.`);
        return { prov: OPAQUE };
      }
    }
    if (unsure.length > 0) return this.candidates(unsure, undefined);
    // Not a column anywhere: PostgreSQL then reads a relation's name as its whole row.
    const rel = level.findRel([column]);
    if (rel) return this.wholeRow(rel);
    if (level.hasUnknown()) return { prov: OPAQUE };
    this.host.violation('column', `Column ${column} is not a column of any relation in scope.`);
    return { prov: OPAQUE };
  }

  /**
   * `field`, with the columns of unsure name met on the way to it. At its own level the server
   * would refuse a second column of the name as ambiguous, so `field` stays the one chosen;
   * one met at a level further in (`inner`) would have been chosen instead, so none is.
   */
  private withUnsure(field: Field, unsure: Field[], inner: boolean): Value {
    const others = unsure.filter((f) => f !== field);
    if (others.length === 0) return this.fieldValue(field);
    return this.candidates([field, ...others], inner ? undefined : field);
  }

  /**
   * A reference that may mean any of `fields`: it reads all of them, and is a direct column
   * only when every candidate is that one column (`chosen`) or reads nothing more than it.
   */
  private candidates(fields: Field[], chosen: Field | undefined): Value {
    // Each candidate is read and merged: thousands of unsure columns (`rows from (pi(), ...)`)
    // times thousands of references was seconds of work in one unit each (red-team round 20).
    this.host.work(fields.length);
    const provs = fields.map((f) => this.fieldValue(f).prov);
    const extra =
      chosen === undefined ? provs : provs.filter((p, i) => fields[i] !== chosen && p.src.size > 0);
    if (chosen !== undefined && extra.length === 0) return { prov: chosen.prov };
    return { prov: derived(...provs) };
  }

  private fieldValue(field: Field): Value {
    if (!field.exposed) {
      this.host.violation(
        'exposure',
        `Column ${field.qualified ?? field.name} is not exposed on this connection.`,
      );
      this.host.unexposed(field.qualified ?? field.name);
    }
    this.host.read(field.prov);
    return { prov: field.prov };
  }

  wholeRow(rel: Rel): Value {
    if (rel.unknown) return { prov: OPAQUE };
    if (this.peekRow) {
      this.peekRow = false;
      this.peeked = rel;
      return { prov: EMPTY };
    }
    for (const f of rel.fields) {
      if (!f.exposed) {
        this.host.violation(
          'exposure',
          `A whole-row reference to ${rel.alias} reads column ${f.qualified ?? f.name}, which is not exposed.`,
        );
        this.host.unexposed(f.qualified ?? f.name);
      }
      this.host.read(f.prov);
    }
    this.host.wholeRow(rel);
    const fields = rel.fields.map((f) => ({ ...f }));
    if (rel.scalar) return { prov: derived(...fields.map((f) => f.prov)) };
    return { prov: derived(...fields.map((f) => f.prov)), fields };
  }

  /**
   * `(c).email` where `c` names a relation is its column `email`, as `c.email` is: only that
   * column is read. It was read as the whole row and refused as a select star (red-team
   * rounds 43-44). Where `c` is a column, or the field is not one of the row's, the argument
   * is what it is and the steps below judge it.
   */
  private rowField(body: Body, level: Level): { value: Value; from: number } {
    const steps = items(body, 'indirection');
    const first = stringValue(steps[0]);
    if (first === undefined || !bodyOf(body.arg, 'ColumnRef'))
      return { value: this.eval(body.arg, level), from: 0 };
    this.peekRow = true;
    this.peeked = undefined;
    let value: Value;
    try {
      value = this.eval(body.arg, level);
    } finally {
      this.peekRow = false;
    }
    const rel = this.peeked as Rel | undefined;
    this.peeked = undefined;
    if (rel === undefined) return { value, from: 0 };
    // A guessed name may not be the server's, which would then call a function of the row.
    const field = rel.scalar ? undefined : rel.fields.find((f) => f.name === first && f.unsureName !== true);
    return field ? { value: this.fieldValue(field), from: 1 } : { value: this.wholeRow(rel), from: 0 };
  }

  private indirection(body: Body, level: Level): Value {
    const start = this.rowField(body, level);
    let value = start.value;
    for (const step of items(body, 'indirection').slice(start.from)) {
      const name = stringValue(step);
      const node = asNode(step);
      if (name !== undefined) {
        // Nor a guessed name here: were the server's another, `(value).name` would be a call.
        const field = value.fields?.find((f) => f.name === name && f.unsureName !== true);
        if (!field) {
          this.host.violation(
            'function',
            `(value).${name} is not a field of a row the gateway knows; PostgreSQL would call a function ${name}(value), which is not allowed.`,
          );
          return { prov: OPAQUE };
        }
        value = { prov: field.prov };
      } else if (node?.kind === 'A_Indices') {
        const index = derived(
          flatten(this.eval(node.body.lidx, level)),
          flatten(this.eval(node.body.uidx, level)),
        );
        value = { prov: failing(derived(flatten(value), index)) };
        this.host.failurePoint(value.prov);
      } else if (node?.kind === 'A_Star') {
        // `(x).*` outside the select list reads every field.
        value = { prov: flatten(value) };
      } else {
        this.host.violation('construct', 'That field selection is not supported.');
        return { prov: OPAQUE };
      }
    }
    return value;
  }

  // ---------- calls and operators ----------

  private funcCall(body: Body, level: Level): Prov {
    const parts = unqualified(names(items(body, 'funcname')));
    const name = parts.join('.');
    const kind = this.host.functions.kindOf(name);
    if (kind === undefined)
      this.host.violation('function', `Function ${name} is not on the allowlist for agents.`);
    const argList = items(body, 'args');
    const args = derived(...argList.map((a) => flatten(this.eval(a, level))));
    const fails = !isTotalCall(name, argList);
    if (fails) this.host.failurePoint(args);
    const order = this.sortList(items(body, 'agg_order'), level);
    this.host.predicate(order);
    if (body.agg_filter !== undefined) this.host.predicate(flatten(this.eval(body.agg_filter, level)));
    const over = child(body, 'over');
    if (over) this.window(over, level);
    // A set-returning call decides how many rows there are from its arguments.
    if (kind === 'srf') this.host.predicate(args);
    if (kind === 'srf') this.host.callSeen('srf', args.src.size > 0);
    else if (kind !== undefined && kind !== 'scalar') this.host.callSeen('aggregate', false);
    // A sum whose argument weights each row differently carries the rows, like string_agg;
    // so does a percentile of anything but one constant fraction (an array of 10,000
    // fractions answers 10,000 of the sorted values).
    const isPlain = (ref: unknown) => plainSummand(this.eval(ref, level).prov);
    const packed =
      (kind === 'summary' && packsRows(name, argList, isPlain)) ||
      (kind === 'ordered' && argList.length > 0 && !(argList.length === 1 && isNumberConstant(argList[0])));
    const called = callValue(packed ? 'collection' : kind, args, order);
    // A count is a count whatever it counts; a linear summary's output is plain over plain
    // arguments. A variance squares (var_samp over {x, 0} is x^2 / 2), so nesting it twelve
    // deep built weights of 2^4096 and packed 200 amounts into a cell (red-team round 31):
    // stddev, variance, covariance, correlation and regression outputs are never plain.
    const summary =
      !over &&
      (kind === 'count' ||
        (kind === 'summary' && LINEAR_SUMMARIES.has(name) && plainArguments(argList, isPlain)));
    const value = summary ? { ...called, summary: true } : called;
    return fails ? failing(value) : value;
  }

  window(def: Body, level: Level): void {
    this.host.predicate(this.all(items(def, 'partitionClause'), level));
    this.host.predicate(this.sortList(items(def, 'orderClause'), level));
    // A frame offset fails when negative, and it decides which rows each value sees.
    for (const offset of [def.startOffset, def.endOffset]) {
      const prov = flatten(this.eval(offset, level));
      this.host.predicate(prov);
      this.host.failurePoint(prov);
    }
  }

  private sortList(list: unknown[], level: Level): Prov {
    return derived(...list.map((s) => flatten(this.eval(bodyOf(s, 'SortBy')?.node, level))));
  }

  private cast(body: Body, level: Level): Prov {
    const typeName = child(body, 'typeName');
    const type = unqualified(names(items(typeName, 'names'))).join('.');
    if (!isAllowedCastType(type))
      this.host.violation('function', `A cast to type ${type} is not allowed for agents.`);
    const prov = derived(flatten(this.eval(body.arg, level)));
    if (isTotalCast(type, items(typeName, 'typmods').length > 0)) return prov;
    this.host.failurePoint(prov);
    return failing(prov);
  }

  private operator(body: Body, level: Level): Prov {
    const parts = unqualified(names(items(body, 'name')));
    const op = parts.join('.');
    if (parts.length > 1 || !isAllowedOperator(op)) {
      this.host.violation('function', `Operator ${op} is not allowed for agents.`);
    }
    const prov = derived(flatten(this.eval(body.lexpr, level)), flatten(this.eval(body.rexpr, level)));
    if (parts.length === 1 && isTotalOperator(op, body.rexpr)) return prov;
    this.host.failurePoint(prov);
    return failing(prov);
  }

  private caseExpr(body: Body, level: Level): Prov {
    // The conditions choose the result, so the result reveals what they test.
    const whens = items(body, 'args').map((w) => {
      const when = asNode(w)?.body;
      return derived(flatten(this.eval(when?.expr, level)), flatten(this.eval(when?.result, level)));
    });
    return derived(flatten(this.eval(body.arg, level)), ...whens, flatten(this.eval(body.defresult, level)));
  }

  private row(body: Body, level: Level): Value {
    // The server spreads `t.*` in ROW(...) into one field per column, so every field after it
    // moves: refused rather than counted, since the count of t's columns is not always known.
    if (items(body, 'args').some(isStarRef)) {
      this.host.violation(
        'construct',
        '`t.*` inside ROW(...) is not supported for agents: name the columns.',
      );
      return { prov: OPAQUE };
    }
    const fields = items(body, 'args').map((a, i) => ({
      name: `f${i + 1}`,
      prov: flatten(this.eval(a, level)),
      exposed: true,
    }));
    return { prov: derived(...fields.map((f) => f.prov)), fields };
  }

  private subLink(body: Body, level: Level): Prov {
    const type = text(body, 'subLinkType');
    const opName = unqualified(names(items(body, 'operName')));
    if (opName.length > 0 && (opName.length > 1 || !isAllowedOperator(opName[0]))) {
      this.host.violation('function', `Operator ${opName.join('.')} is not allowed for agents.`);
    }
    const test = body.testexpr === undefined ? EMPTY : flatten(this.eval(body.testexpr, level));
    this.host.beginReads();
    const outputs = this.host.subquery(body.subselect, level);
    const reads = this.host.endReads();
    // A scalar subquery fails on a second row, and any subquery costs time: one point each,
    // so that a branch choosing whether it runs is tested; the test expression decides it.
    this.host.failurePoint(test);
    switch (type) {
      case 'EXPR_SUBLINK':
        return failing(outputs.length === 1 ? outputs[0].prov : derived(...outputs.map((o) => o.prov)));
      case 'ARRAY_SUBLINK':
        return failing(withRows(derived(...outputs.map((o) => o.prov))));
      default:
        // EXISTS, IN, ANY, ALL: a yes or no about everything the subquery tested.
        return failing(
          derived(test, { src: reads, direct: false, rows: false, opaque: false, fails: false }),
        );
    }
  }
}

/** `*` or `t.*` as an expression. */
export function isStarRef(value: unknown): boolean {
  const ref = bodyOf(value, 'ColumnRef');
  return ref !== undefined && bodyOf(items(ref, 'fields').at(-1), 'A_Star') !== undefined;
}

const SYSTEM_COLUMNS: ReadonlySet<string> = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);

/** A bare numeric literal (`0.5`, `1`): one fraction, one value out. */
function isNumberConstant(arg: unknown): boolean {
  const body = bodyOf(arg, 'A_Const');
  return body !== undefined && (child(body, 'fval') !== undefined || child(body, 'ival') !== undefined);
}

/** What a call's value reveals, by the kind of function. */
/** Summaries whose output is a sum, mean, choice or bitwise mix of their inputs, never a power. */
const LINEAR_SUMMARIES = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'bool_and',
  'bool_or',
  'every',
  'bit_and',
  'bit_or',
]);

/** A column a sum may add as it is: a base column, or one plain summary's output. */
function plainSummand(prov: Prov): boolean {
  return prov.direct || prov.summary === true;
}

function callValue(kind: FunctionKind | undefined, args: Prov, order: Prov): Prov {
  switch (kind) {
    case 'count':
      // count(x) counts the rows where x is not null, so it reveals x's nulls (and with
      // DISTINCT, how many values x has): it reads x.
      return derived(args);
    case 'collection':
      return withRows(derived(args, order));
    case 'ordered':
      return derived(args, order);
    default:
      return derived(args);
  }
}
