import type { OutputColumn } from '../../types.js';
import type { FactsCollector } from '../collector.js';
import { type Relation, Scope } from '../scope.js';
import { isDangerousFunction } from './dangerous.js';
import { isStatementKind, statementEffect } from './effect.js';
import { outputName } from './names.js';
import { asNode, type Body, bodyOf, child, isBody, items, names, stringValue, text } from './node.js';

interface Context {
  scope: Scope;
  /** Column references found here go to predicateColumns (WHERE, JOIN, GROUP, ORDER...). */
  predicate: boolean;
  /** Collects the source columns of the output expression being walked, if any. */
  sources?: Set<string>;
}

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * One pass over the whole parse tree. Clauses whose meaning matters (FROM, WHERE, targets)
 * are handled by shape; every other field of every node is still visited generically, so a
 * function call or write hidden anywhere (CASE, VALUES, LATERAL, function arguments, an
 * unfamiliar node) is still seen.
 */
export class PgWalker {
  constructor(
    private readonly facts: FactsCollector,
    private readonly defaultSchema: string,
  ) {}

  /** Walks a top-level statement and returns its result columns when it has any. */
  statement(stmt: unknown): OutputColumn[] {
    return this.query(stmt, { scope: new Scope(), predicate: false });
  }

  private query(value: unknown, ctx: Context): OutputColumn[] {
    const node = asNode(value);
    if (node?.kind === 'SelectStmt') return this.select(node.body, ctx);
    if (node && DML.has(node.kind)) return this.dml(node.kind, node.body, ctx);
    this.visit(value, ctx);
    return [];
  }

  private visit(value: unknown, ctx: Context): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item, ctx);
      return;
    }
    if (!isBody(value)) return;
    const node = asNode(value);
    if (node) {
      this.dispatch(node.kind, node.body, ctx);
      return;
    }
    // Bare bodies appear in fields such as `relation` or CALL's `funccall`.
    if (typeof value.relname === 'string') this.tableReference(value, ctx);
    else if (Array.isArray(value.funcname)) this.functionCall(value, ctx);
    else this.visitRest(value, [], ctx);
  }

  private visitRest(body: Body, handled: readonly string[], ctx: Context): void {
    for (const key of Object.keys(body)) if (!handled.includes(key)) this.visit(body[key], ctx);
  }

  private dispatch(kind: string, body: Body, ctx: Context): void {
    switch (kind) {
      case 'SelectStmt':
        this.select(body, ctx);
        return;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        this.dml(kind, body, ctx);
        return;
      case 'RangeVar':
        this.tableReference(body, ctx);
        return;
      case 'ColumnRef':
        this.columnRef(body, ctx);
        return;
      case 'FuncCall':
        this.functionCall(body, ctx);
        return;
      case 'SubLink':
        this.subLink(body, ctx);
        return;
      case 'ParamRef': {
        const n = body.number;
        if (typeof n === 'number' && n > this.facts.paramCount) this.facts.paramCount = n;
        return;
      }
      default:
        if (isStatementKind(kind)) this.facts.raise(statementEffect(kind, body));
        this.visitRest(body, [], ctx);
    }
  }

  // ---------- queries ----------

  private select(body: Body, outer: Context): OutputColumn[] {
    this.facts.raise(statementEffect('SelectStmt', body));
    if (body.intoClause !== undefined) this.facts.into = true;
    const ctx: Context = { scope: new Scope(outer.scope), predicate: false };
    const predicate: Context = { ...ctx, predicate: true };
    this.withClause(child(body, 'withClause'), ctx);

    if (text(body, 'op') !== undefined && text(body, 'op') !== 'SETOP_NONE') {
      const [left, right] = this.facts.branches([
        () => this.select(child(body, 'larg') ?? {}, ctx),
        () => this.select(child(body, 'rarg') ?? {}, ctx),
      ]) as [OutputColumn[], OutputColumn[]];
      // ORDER BY of a set operation names its output columns, not any table's.
      this.orderBy(items(body, 'sortClause'), left, predicate);
      this.visitRest(body, ['withClause', 'op', 'larg', 'rarg', 'sortClause'], ctx);
      return mergeByPosition(left, right);
    }

    for (const item of items(body, 'fromClause')) this.fromItem(item, ctx);
    const outputs = this.targets(items(body, 'targetList'), ctx);
    for (const key of ['whereClause', 'groupClause', 'havingClause', 'windowClause']) {
      this.visit(body[key], predicate);
    }
    this.distinctOn(items(body, 'distinctClause'), outputs, predicate);
    this.orderBy(items(body, 'sortClause'), outputs, predicate);
    this.visitRest(
      body,
      [
        'withClause',
        'op',
        'fromClause',
        'targetList',
        'whereClause',
        'groupClause',
        'havingClause',
        'windowClause',
        'distinctClause',
        'sortClause',
      ],
      ctx,
    );
    return outputs;
  }

  private dml(kind: string, body: Body, outer: Context): OutputColumn[] {
    this.facts.raise(statementEffect(kind, body));
    const ctx: Context = { scope: new Scope(outer.scope), predicate: false };
    const predicate: Context = { ...ctx, predicate: true };
    this.withClause(child(body, 'withClause'), ctx);
    const target = this.relationFor(child(body, 'relation'), ctx);
    // INSERT's source query cannot see the target, so walk it before the target is in scope.
    this.visit(body.selectStmt, ctx);
    if (target) ctx.scope.relations.push(target);
    for (const item of [...items(body, 'fromClause'), ...items(body, 'usingClause')])
      this.fromItem(item, ctx);
    if (body.sourceRelation !== undefined) this.fromItem(body.sourceRelation, ctx);

    // Columns written by INSERT (cols) and UPDATE/MERGE (targetList names) belong to the target.
    const setTargets = [...items(body, 'cols'), ...items(body, 'targetList')];
    for (const item of setTargets) {
      const res = bodyOf(item, 'ResTarget');
      const name = text(res, 'name');
      if (name !== undefined && target?.table) this.facts.addColumn(target.table, name.toLowerCase());
      this.visit(res?.val, ctx);
      this.visit(res?.indirection, ctx);
    }
    this.visit(body.whereClause, predicate);
    this.visit(body.joinCondition, predicate);
    const returning = [...items(child(body, 'returningClause'), 'exprs'), ...items(body, 'returningList')];
    const outputs = this.targets(returning, ctx);
    this.visitRest(
      body,
      [
        'withClause',
        'relation',
        'selectStmt',
        'fromClause',
        'usingClause',
        'sourceRelation',
        'cols',
        'targetList',
        'whereClause',
        'joinCondition',
        'returningClause',
        'returningList',
      ],
      ctx,
    );
    return outputs;
  }

  private withClause(clause: Body | undefined, ctx: Context): void {
    if (!clause) return;
    const recursive = clause.recursive === true;
    for (const item of items(clause, 'ctes')) {
      const cte = bodyOf(item, 'CommonTableExpr');
      const name = text(cte, 'ctename')?.toLowerCase();
      if (!cte || name === undefined) {
        this.visit(item, ctx);
        continue;
      }
      const entry = {
        outputs: undefined as OutputColumn[] | undefined,
        reads: undefined as Map<string, number> | undefined,
      };
      if (recursive) ctx.scope.ctes.set(name, entry);
      // Read where it is referenced, as often as it is: a recursive CTE's own reference adds
      // nothing (each of its rows is one step's reads).
      const [outputs, reads] = this.facts.readsApart(() => this.query(cte.ctequery, ctx));
      entry.outputs = renameOutputs(outputs, names(items(cte, 'aliascolnames')));
      entry.reads = reads;
      ctx.scope.ctes.set(name, entry);
      this.visitRest(cte, ['ctename', 'ctequery', 'aliascolnames'], ctx);
    }
  }

  private targets(list: unknown[], ctx: Context): OutputColumn[] {
    const outputs: OutputColumn[] = [];
    for (const item of list) {
      const res = bodyOf(item, 'ResTarget');
      const star = starQualifier(res?.val);
      if (star) {
        outputs.push(...this.star(star, ctx));
        continue;
      }
      const sources = new Set<string>();
      this.visit(res?.val, { ...ctx, sources });
      this.visit(res?.indirection, ctx);
      const ref = bodyOf(res?.val, 'ColumnRef');
      outputs.push({
        name: text(res, 'name') ?? outputName(res?.val),
        sources: [...sources].sort(),
        direct: isPlainColumn(res?.val),
        plain: ref !== undefined && isPlainColumn(res?.val) && this.plainRef(ref, ctx),
      });
    }
    return outputs;
  }

  /** ORDER BY may name an output column or its position; that sorts by the columns behind it. */
  /** DISTINCT ON names outputs as ORDER BY does (PostgreSQL reads both the same way). */
  private distinctOn(list: unknown[], outputs: OutputColumn[], ctx: Context): void {
    for (const item of list) {
      const output = outputFor(item, outputs);
      if (output) for (const source of output.sources) this.facts.addPredicate(source);
      else this.visit(item, ctx);
    }
  }

  private orderBy(list: unknown[], outputs: OutputColumn[], ctx: Context): void {
    for (const item of list) {
      const sortBy = bodyOf(item, 'SortBy');
      const output = outputFor(sortBy?.node, outputs);
      if (!sortBy || !output) {
        this.visit(item, ctx);
        continue;
      }
      for (const source of output.sources) this.facts.addPredicate(source);
      this.visitRest(sortBy, ['node'], ctx);
    }
  }

  // ---------- FROM ----------

  private fromItem(item: unknown, ctx: Context): void {
    const node = asNode(item);
    if (!node) {
      this.visit(item, ctx);
      return;
    }
    const { kind, body } = node;
    switch (kind) {
      case 'RangeVar': {
        const relation = this.relationFor(body, ctx);
        if (relation) ctx.scope.relations.push(relation);
        return;
      }
      case 'JoinExpr': {
        this.fromItem(body.larg, ctx);
        this.fromItem(body.rarg, ctx);
        this.visit(body.quals, { ...ctx, predicate: true });
        for (const column of names(items(body, 'usingClause'))) {
          this.resolveColumn([], column.toLowerCase(), { ...ctx, predicate: true });
        }
        this.visitRest(body, ['larg', 'rarg', 'quals', 'usingClause'], ctx);
        return;
      }
      case 'RangeSubselect': {
        const outputs = this.query(body.subquery, ctx);
        const alias = child(body, 'alias');
        ctx.scope.relations.push({
          alias: (text(alias, 'aliasname') ?? '').toLowerCase(),
          outputs: renameOutputs(outputs, names(items(alias, 'colnames'))),
        });
        this.visitRest(body, ['subquery', 'alias'], ctx);
        return;
      }
      case 'RangeFunction': {
        this.visitRest(body, [], ctx);
        const alias = text(child(body, 'alias'), 'aliasname');
        ctx.scope.relations.push({ alias: (alias ?? '').toLowerCase(), outputs: [] });
        return;
      }
      case 'RangeTableSample':
        this.fromItem(body.relation, ctx);
        this.visitRest(body, ['relation'], ctx);
        return;
      default:
        this.visit(item, ctx);
    }
  }

  /** A RangeVar in FROM or as a DML target: a CTE when unqualified and a CTE is in scope. */
  private relationFor(body: Body | undefined, ctx: Context): Relation | undefined {
    if (!body) return undefined;
    const relname = text(body, 'relname')?.toLowerCase();
    if (relname === undefined) return undefined;
    const alias = text(child(body, 'alias'), 'aliasname')?.toLowerCase() ?? relname;
    const cte = text(body, 'schemaname') === undefined ? ctx.scope.findCte(relname) : undefined;
    if (cte) {
      this.facts.addReads(cte.reads);
      return { alias, outputs: cte.outputs ?? [] };
    }
    const table = this.qualify(body);
    this.facts.addTable(table);
    this.facts.countRead(table);
    return { alias, table };
  }

  /** A table named outside FROM (COPY, LOCK, TRUNCATE, INTO, DDL): recorded, not put in scope. */
  private tableReference(body: Body, ctx: Context): void {
    const relname = text(body, 'relname')?.toLowerCase();
    if (relname === undefined) return;
    if (text(body, 'schemaname') === undefined && ctx.scope.findCte(relname)) return;
    this.facts.addTable(this.qualify(body));
  }

  private qualify(body: Body): string {
    const relname = (text(body, 'relname') ?? '').toLowerCase();
    const schema = text(body, 'schemaname')?.toLowerCase();
    if (schema !== undefined) return `${schema}.${relname}`;
    // pg_catalog is searched before the search_path, so unqualified catalogue names land there.
    if (relname.startsWith('pg_')) return `pg_catalog.${relname}`;
    return `${this.defaultSchema}.${relname}`;
  }

  // ---------- expressions ----------

  private columnRef(body: Body, ctx: Context): void {
    const star = starQualifier({ ColumnRef: body });
    if (star) {
      for (const output of this.star(star, ctx)) for (const s of output.sources) ctx.sources?.add(s);
      return;
    }
    const parts = items(body, 'fields').map((f) => stringValue(f)?.toLowerCase() ?? '');
    const column = parts.pop() ?? '';
    this.resolveColumn(parts, column, ctx);
  }

  private resolveColumn(qualifier: string[], column: string, ctx: Context): void {
    let relations =
      qualifier.length > 0 ? ctx.scope.findQualified(qualifier) : ctx.scope.candidatesFor(column);
    // A qualifier we cannot place (a join alias, a typo Postgres will reject): assume the worst.
    if (relations.length === 0) relations = ctx.scope.nearestLevel();
    for (const relation of relations) {
      for (const source of this.sourcesOf(relation, column)) {
        if (ctx.predicate) this.facts.addPredicate(source);
        ctx.sources?.add(source);
      }
    }
  }

  /** Whether a column reference names a base table's column, through every derived level. */
  private plainRef(ref: Body, ctx: Context): boolean {
    const parts = items(ref, 'fields').map((f) => stringValue(f)?.toLowerCase());
    if (parts.length === 0 || parts.some((p) => p === undefined)) return false;
    const column = parts.pop() as string;
    const qualifier = parts as string[];
    const plainIn = (r: Relation) => {
      if (r.table) return true;
      const outputs = r.outputs ?? [];
      const named = outputs.find((o) => o.name.toLowerCase() === column);
      if (named) return named.plain === true;
      // Through a derived `*` of base tables, as sourcesOf reads it.
      return outputs.some((o) => o.name === '*' && o.plain === true);
    };
    if (qualifier.length > 0) {
      const relations = ctx.scope.findQualified(qualifier);
      return relations.length > 0 && relations.every(plainIn);
    }
    if (ctx.scope.candidatesFor(column).length === 0) return false;
    // Unqualified, the name may be an outer level's (the server looks outwards when no relation
    // of a level has the column, and which base tables have it is not known here): plain only
    // if no relation of any level could give it as something else (red-team round 35, a
    // derived `case ... end as a1` counted inside `(select count(a1) from orders)`).
    for (let scope: Scope | undefined = ctx.scope; scope; scope = scope.parent) {
      for (const r of scope.relations) {
        const outputs = r.outputs ?? [];
        const mayGive =
          r.table !== undefined || outputs.some((o) => o.name.toLowerCase() === column || o.name === '*');
        if (mayGive && !plainIn(r)) return false;
      }
    }
    return true;
  }

  private sourcesOf(relation: Relation, column: string): string[] {
    if (relation.table) {
      this.facts.addColumn(relation.table, column);
      return [`${relation.table}.${column}`];
    }
    const outputs = relation.outputs ?? [];
    const named = outputs.find((o) => o.name.toLowerCase() === column);
    if (named) return named.sources;
    // Through a derived `*`, the column comes from whichever star table has it.
    const out: string[] = [];
    for (const o of outputs) {
      if (o.name !== '*') continue;
      for (const s of o.sources) {
        const table = s.slice(0, -2);
        this.facts.addColumn(table, column);
        out.push(`${table}.${column}`);
      }
    }
    return out;
  }

  /** `*` or `t.*`: one output per base table (`schema.table.*`), derived outputs passed through. */
  private star(qualifier: string[], ctx: Context): OutputColumn[] {
    const relations = qualifier.length > 0 ? ctx.scope.findQualified(qualifier) : ctx.scope.nearestLevel();
    const outputs: OutputColumn[] = [];
    for (const relation of relations) {
      if (relation.table) {
        this.facts.addStar(relation.table);
        outputs.push({ name: '*', sources: [`${relation.table}.*`], direct: true, plain: true });
      } else {
        // A subquery's, CTE's, VALUES list's or function's columns were named where it was
        // written (a `*` of a table inside it counted there): this `*` adds no column a table
        // may grow later, so it is not a `SELECT *` of a table.
        outputs.push(...(relation.outputs ?? []));
      }
    }
    return outputs;
  }

  private functionCall(body: Body, ctx: Context): void {
    let parts = names(items(body, 'funcname')).map((n) => n.toLowerCase());
    // SQL-syntax forms (SUBSTRING ... FROM) arrive as pg_catalog.x although nobody wrote that.
    if (text(body, 'funcformat') === 'COERCE_SQL_SYNTAX' && parts[0] === 'pg_catalog') parts = parts.slice(1);
    const name = parts.join('.');
    // A column is plain only if it is a base column through every derived level (red-team
    // round 34: `count(a)` over a derived `case when id = k then 1 end as a` is a filter).
    const plainRef = (ref: Body) => this.plainRef(ref, ctx);
    if (name !== '') {
      this.facts.addFunction(name, isDangerousFunction(name), {
        windowed: body.over !== undefined,
        filtered: body.agg_filter !== undefined,
        conditional: !plainArguments(items(body, 'args'), plainRef),
        choices: choicesIn(items(body, 'args')),
        plainWindow: plainWindow(body, plainRef),
      });
    }
    const predicate = { ...ctx, predicate: true, sources: undefined };
    this.visit(body.over, predicate);
    this.visit(body.agg_filter, predicate);
    this.visit(body.agg_order, predicate);
    this.visitRest(body, ['funcname', 'over', 'agg_filter', 'agg_order'], ctx);
  }

  private subLink(body: Body, ctx: Context): void {
    this.visit(body.testexpr, ctx);
    const outputs = this.query(body.subselect, { ...ctx, sources: undefined });
    for (const output of outputs) for (const s of output.sources) ctx.sources?.add(s);
    this.visitRest(body, ['testexpr', 'subselect'], ctx);
  }
}

/** Kinds a plain argument may be made of: one column, constants, casts and arithmetic. */
const PLAIN_KINDS = new Set(['ColumnRef', 'A_Const', 'TypeCast', 'TypeName', 'String', 'Integer', 'A_Expr']);
const ARITHMETIC = new Set(['+', '-', '*', '/']);

/**
 * Whether a call's arguments read at most one column, with nothing but constants, casts and
 * `+ - * /` around it: such an aggregate summarises its group and selects no row of it (see
 * shared/sql/row-carriers.ts). Anything else may pick rows out, so it is not plain.
 */
function plainArguments(args: readonly unknown[], plainRef: (ref: Body) => boolean): boolean {
  let columns = 0;
  return everyNode(args, (node) => {
    if (!PLAIN_KINDS.has(node.kind)) return false;
    if (node.kind === 'ColumnRef' && (++columns > 1 || !plainRef(node.body))) return false;
    if (node.kind !== 'A_Expr') return true;
    const op = names(items(node.body, 'name')).join('.');
    return text(node.body, 'kind') === 'AEXPR_OP' && ARITHMETIC.has(op);
  });
}

/** FRAMEOPTION_NONDEFAULT: the call names its own frame (ROWS, RANGE or GROUPS ...). */
const FRAME_NONDEFAULT = 1;

/**
 * A window call that numbers rows and reads nothing of them (row-carriers.ts): arguments
 * that are constants only, an inline window (a named one is not looked up, and counts), the
 * default frame, and PARTITION BY and ORDER BY of plain columns.
 */
function plainWindow(body: Body, plainRef: (ref: Body) => boolean): boolean {
  const w = child(body, 'over');
  if (!w || body.agg_filter !== undefined) return false;
  if (!items(body, 'args').every((a) => asNode(a)?.kind === 'A_Const')) return false;
  if (w.name !== undefined || w.refname !== undefined) return false;
  if ((Number(w.frameOptions) & FRAME_NONDEFAULT) !== 0) return false;
  const keys = [
    ...items(w, 'partitionClause'),
    ...items(w, 'orderClause').map((s) => bodyOf(s, 'SortBy')?.node),
  ];
  return keys.every((k) => {
    const ref = bodyOf(k, 'ColumnRef');
    return ref !== undefined && plainRef(ref);
  });
}

/** Results the arguments choose among: CASE arms (ELSE too), GREATEST/LEAST/COALESCE arguments. */
function choicesIn(args: readonly unknown[]): number {
  let choices = 0;
  everyNode(args, (node) => {
    if (node.kind === 'CaseExpr') choices += items(node.body, 'args').length + (node.body.defresult ? 1 : 0);
    if (node.kind === 'MinMaxExpr' || node.kind === 'CoalesceExpr')
      choices += items(node.body, 'args').length;
    return true;
  });
  return Math.max(1, choices);
}

/** Visits every node under `values`, without recursion; stops at the first `false`. */
function everyNode(
  values: readonly unknown[],
  visit: (node: NonNullable<ReturnType<typeof asNode>>) => boolean,
): boolean {
  const stack: unknown[] = [...values];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    const node = asNode(value);
    if (!node) continue;
    if (!visit(node)) return false;
    for (const v of Object.values(node.body)) if (typeof v === 'object' && v !== null) stack.push(v);
  }
  return true;
}

/** Qualifier of a `*` / `t.*` column reference, or undefined when the value is not a star. */
function starQualifier(value: unknown): string[] | undefined {
  const fields = items(bodyOf(value, 'ColumnRef'), 'fields');
  if (fields.length === 0 || !bodyOf(fields[fields.length - 1], 'A_Star')) return undefined;
  return fields.slice(0, -1).map((f) => stringValue(f)?.toLowerCase() ?? '');
}

function outputFor(node: unknown, outputs: OutputColumn[]): OutputColumn | undefined {
  const position = child(bodyOf(node, 'A_Const'), 'ival');
  if (position) return typeof position.ival === 'number' ? outputs[position.ival - 1] : undefined;
  const fields = items(bodyOf(node, 'ColumnRef'), 'fields');
  const name = fields.length === 1 ? stringValue(fields[0])?.toLowerCase() : undefined;
  return name === undefined ? undefined : outputs.find((o) => o.name.toLowerCase() === name);
}

function isPlainColumn(value: unknown): boolean {
  const fields = items(bodyOf(value, 'ColumnRef'), 'fields');
  return fields.length > 0 && fields.every((f) => stringValue(f) !== undefined);
}

function renameOutputs(outputs: OutputColumn[], aliases: string[]): OutputColumn[] {
  if (aliases.length === 0) return outputs;
  return outputs.map((o, i) => (i < aliases.length ? { ...o, name: aliases[i].toLowerCase() } : o));
}

/** UNION/INTERSECT/EXCEPT: a result column can come from either branch. */
function mergeByPosition(left: OutputColumn[], right: OutputColumn[]): OutputColumn[] {
  return left.map((o, i) => {
    const other = right[i];
    if (!other) return o;
    return {
      name: o.name,
      sources: [...new Set([...o.sources, ...other.sources])].sort(),
      direct: o.direct && other.direct,
      plain: o.plain === true && other.plain === true,
    };
  });
}
