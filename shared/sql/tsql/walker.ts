import { GatewayError } from '../../errors.js';
import type { Effect, OutputColumn } from '../../types.js';
import type { FactsCollector } from '../collector.js';
import { type Relation, Scope } from '../scope.js';

type Obj = { readonly [key: string]: unknown };

interface Context {
  scope: Scope;
  predicate: boolean;
  sources?: Set<string>;
}

const STATEMENT_EFFECT: Readonly<Record<string, Effect>> = {
  select: 'read',
  insert: 'write',
  update: 'write',
  delete: 'write',
  replace: 'write',
  merge: 'write',
  create: 'ddl',
  alter: 'ddl',
  drop: 'ddl',
  truncate: 'ddl',
  rename: 'ddl',
};

/**
 * Node types of node-sql-parser's T-SQL AST that the walker understands. The parser is not
 * the server's grammar, so anything else is refused rather than guessed at.
 */
const KNOWN_TYPES = new Set([
  ...Object.keys(STATEMENT_EFFECT),
  'column_ref',
  'number',
  'string',
  'single_quote_string',
  'natural_string',
  'bool',
  'null',
  'binary_expr',
  'unary_expr',
  'function',
  'aggr_func',
  'expr_list',
  'case',
  'when',
  'else',
  'cast',
  'star',
  'default',
  'origin',
  'into',
  'param',
  'var',
  'window',
  'window_func',
  'interval',
  'datatype',
  'values',
]);

const LOCK_HINT = /updlock|xlock|holdlock|tablockx|rowlock|paglock|serializable|repeatableread/i;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' ? v : undefined;
}

function list(o: Obj | undefined, key: string): unknown[] {
  const v = o?.[key];
  return Array.isArray(v) ? v : [];
}

/** Walks node-sql-parser's transactsql AST into the shared facts. */
export class TsqlWalker {
  private readonly params = new Set<string>();

  constructor(
    private readonly facts: FactsCollector,
    private readonly defaultSchema: string,
  ) {}

  statement(ast: unknown): OutputColumn[] {
    return this.query(ast, { scope: new Scope(), predicate: false });
  }

  private query(ast: unknown, ctx: Context): OutputColumn[] {
    if (!isObj(ast)) return [];
    const type = str(ast, 'type') ?? '';
    const effect = STATEMENT_EFFECT[type];
    if (effect === undefined) refuse(`statement type ${type || 'unknown'}`);
    this.facts.raise(effect);
    if (type === 'select') return this.select(ast, ctx);
    const scope = new Scope(ctx.scope);
    for (const item of [...list(ast, 'table'), ...list(ast, 'from')]) this.fromItem(item, { ...ctx, scope });
    this.visitRest(ast, ['type', 'table', 'from', 'where'], { ...ctx, scope });
    this.visit(ast.where, { scope, predicate: true });
    return [];
  }

  private select(ast: Obj, outer: Context): OutputColumn[] {
    if (!isObj(ast._next)) return this.selectOne(ast, outer);
    const next = ast._next;
    // A result row comes from one branch of the set operation: it reads what that one does.
    const [outputs, right] = this.facts.branches([
      () => this.selectOne(ast, outer),
      () => this.query(next, outer),
    ]) as [OutputColumn[], OutputColumn[]];
    return outputs.map((o, i) => (right[i] ? mergeOutputs(o, right[i]) : o));
  }

  private selectOne(ast: Obj, outer: Context): OutputColumn[] {
    const scope = new Scope(outer.scope);
    const ctx: Context = { scope, predicate: false };
    const into = ast.into;
    if (isObj(into) && into.expr !== undefined && into.expr !== null) {
      this.facts.into = true;
      this.facts.raise('ddl');
    }
    for (const cte of list(ast, 'with')) {
      const c = isObj(cte) ? cte : undefined;
      const name = str(isObj(c?.name) ? c.name : undefined, 'value')?.toLowerCase();
      // Its reads count where it is referenced, as often as it is.
      const [outputs, reads] = this.facts.readsApart(() => this.query(subqueryAst(c?.stmt), ctx));
      if (name !== undefined) scope.ctes.set(name, { outputs, reads });
    }
    for (const item of list(ast, 'from')) this.fromItem(item, ctx);
    const outputs: OutputColumn[] = [];
    for (const column of list(ast, 'columns')) outputs.push(...this.target(column, ctx));
    const predicate: Context = { scope, predicate: true };
    for (const key of ['where', 'groupby', 'having', 'orderby']) this.visit(ast[key], predicate);
    this.visitRest(
      ast,
      ['type', 'with', 'into', 'from', 'columns', 'where', 'groupby', 'having', 'orderby', '_next'],
      ctx,
    );
    return outputs;
  }

  private target(column: unknown, ctx: Context): OutputColumn[] {
    if (!isObj(column)) return [];
    const expr = isObj(column.expr) ? column.expr : undefined;
    if (str(expr, 'type') === 'column_ref' && str(expr, 'column') === '*') {
      return this.star(str(expr, 'table'), ctx);
    }
    const sources = new Set<string>();
    this.visit(expr, { ...ctx, sources });
    const alias = typeof column.as === 'string' ? column.as : undefined;
    const direct = str(expr, 'type') === 'column_ref';
    return [
      {
        name: alias ?? (direct ? (str(expr, 'column') ?? '') : ''),
        sources: [...sources].sort(),
        direct,
      },
    ];
  }

  private fromItem(item: unknown, ctx: Context): void {
    if (!isObj(item)) return;
    const alias = str(item, 'as')?.toLowerCase();
    const sub = subqueryAst(item.expr);
    if (sub) {
      const outputs = this.query(sub, ctx);
      ctx.scope.relations.push({ alias: alias ?? '', outputs });
    } else if (typeof item.table === 'string') {
      ctx.scope.relations.push(this.relationFor(item, alias, ctx));
      if (LOCK_HINT.test(JSON.stringify(item.table_hint ?? null))) this.facts.raise('write');
    } else {
      this.visit(item.expr, ctx);
    }
    this.visit(item.on, { ...ctx, predicate: true });
    for (const using of list(item, 'using')) {
      if (typeof using === 'string')
        this.resolve(undefined, using.toLowerCase(), { ...ctx, predicate: true });
    }
  }

  private relationFor(item: Obj, alias: string | undefined, ctx: Context): Relation {
    const name = (str(item, 'table') ?? '').toLowerCase();
    const db = str(item, 'db')?.toLowerCase();
    const schema = str(item, 'schema')?.toLowerCase();
    // node-sql-parser puts a two-part name's schema in `db`; three parts name another database.
    if (db !== undefined && schema !== undefined) refuse('cross-database reference');
    const owner = schema ?? db;
    const cte = owner === undefined ? ctx.scope.findCte(name) : undefined;
    if (cte) {
      this.facts.addReads(cte.reads);
      return { alias: alias ?? name, outputs: cte.outputs ?? [] };
    }
    const table = `${owner ?? this.defaultSchema}.${name}`;
    this.facts.addTable(table);
    this.facts.countRead(table);
    return { alias: alias ?? name, table };
  }

  private visit(value: unknown, ctx: Context): void {
    if (Array.isArray(value)) {
      for (const v of value) this.visit(v, ctx);
      return;
    }
    if (!isObj(value)) return;
    const sub = subqueryAst(value);
    if (sub) {
      const outputs = this.query(sub, { ...ctx, sources: undefined });
      for (const o of outputs) for (const s of o.sources) ctx.sources?.add(s);
      return;
    }
    const type = str(value, 'type');
    if (type !== undefined && !KNOWN_TYPES.has(type)) refuse(`expression type ${type}`);
    if (type !== undefined && type in STATEMENT_EFFECT) {
      this.query(value, ctx);
      return;
    }
    if (type === 'column_ref') {
      const column = (str(value, 'column') ?? '').toLowerCase();
      if (column.startsWith('@')) {
        this.params.add(column);
        this.facts.paramCount = this.params.size;
        return;
      }
      const table = str(value, 'table')?.toLowerCase();
      if (column === '*')
        for (const o of this.star(table, ctx)) for (const s of o.sources) ctx.sources?.add(s);
      else this.resolve(table, column, ctx);
      return;
    }
    if (type === 'function' || type === 'aggr_func') this.functionName(value);
    const over = value.over;
    this.visitRest(value, ['over'], ctx);
    this.visit(over, { ...ctx, predicate: true, sources: undefined });
  }

  private visitRest(value: Obj, handled: string[], ctx: Context): void {
    for (const key of Object.keys(value)) if (!handled.includes(key)) this.visit(value[key], ctx);
  }

  private functionName(value: Obj): void {
    const name = value.name;
    let text: string | undefined;
    if (typeof name === 'string') text = name;
    else if (isObj(name)) {
      text = list(name, 'name')
        .map((part) => (isObj(part) ? str(part, 'value') : undefined))
        .filter((p): p is string => p !== undefined)
        .join('.');
    }
    // The T-SQL tree is not read for narrowed inputs: every aggregate counts as one that
    // may select a row (shared/sql/row-carriers.ts), which errs on the side of counting more.
    if (text) {
      this.facts.addFunction(text.toLowerCase(), false, {
        windowed: isObj(value.over),
        filtered: false,
        conditional: true,
      });
    }
  }

  private resolve(table: string | undefined, column: string, ctx: Context): void {
    let relations = table !== undefined ? ctx.scope.findQualified([table]) : ctx.scope.candidatesFor(column);
    if (relations.length === 0) relations = ctx.scope.nearestLevel();
    for (const relation of relations) {
      const sources = relation.table
        ? [`${relation.table}.${column}`]
        : ((relation.outputs ?? []).find((o) => o.name.toLowerCase() === column)?.sources ?? []);
      if (relation.table) this.facts.addColumn(relation.table, column);
      for (const s of sources) {
        if (ctx.predicate) this.facts.addPredicate(s);
        ctx.sources?.add(s);
      }
    }
  }

  private star(table: string | undefined, ctx: Context): OutputColumn[] {
    const relations = table !== undefined ? ctx.scope.findQualified([table]) : ctx.scope.nearestLevel();
    const outputs: OutputColumn[] = [];
    this.facts.selectStar = true;
    for (const relation of relations) {
      if (relation.table) {
        this.facts.addStar(relation.table);
        outputs.push({ name: '*', sources: [`${relation.table}.*`], direct: true });
      } else {
        outputs.push(...(relation.outputs ?? []));
      }
    }
    return outputs;
  }
}

/** node-sql-parser wraps subqueries as `{ tableList, columnList, ast }`. */
function subqueryAst(value: unknown): Obj | undefined {
  if (!isObj(value) || !isObj(value.ast)) return undefined;
  return value.ast;
}

function mergeOutputs(a: OutputColumn, b: OutputColumn): OutputColumn {
  return {
    name: a.name,
    sources: [...new Set([...a.sources, ...b.sources])].sort(),
    direct: a.direct && b.direct,
  };
}

function refuse(what: string): never {
  throw new GatewayError('statement_refused', 'The statement uses a construct the gateway does not allow.', {
    details: { construct: what },
  });
}
