import { GatewayError } from '../../errors.js';
import type { ProvenanceFacts, Violation } from '../../types.js';
import type { Catalog } from '../catalog.js';
import { DEFAULT_FUNCTIONS, type FunctionPolicy, SRF_COLUMNS } from './allowlist.js';
import { nameIsKnown, outputName } from './names.js';
import { asNode, type Body, bodyOf, child, isBody, items, names, stringValue, text } from './node.js';
import { ExpressionEvaluator, type ExprHost, isStarRef } from './provenance-expr.js';
import {
  derived,
  EMPTY,
  type Field,
  flatten,
  merged,
  OPAQUE,
  type Prov,
  sameProv,
  withRows,
} from './provenance-model.js';
import { Level, type Rel } from './provenance-scope.js';

/**
 * The provenance pass: an allowlist walk of a SELECT against what the connection exposes.
 * Every output column is traced, by position, to the base columns it reads; names resolve
 * the way PostgreSQL resolves them (columns first, then whole rows, and a non-column
 * `x.f` is a function call). Anything the pass cannot follow is a violation, so what it
 * does not understand is refused for agents rather than guessed at.
 */

export interface ProvenanceOptions {
  catalog: Catalog;
  defaultSchema: string;
  functions?: FunctionPolicy;
}

const MAX_VIOLATIONS = 10;
/**
 * Expressions and query bodies the pass may evaluate for one statement. A recursive CTE's
 * term is traced again until what it reads settles, so one nested in another's term is traced
 * again on each of the outer passes: work grows by up to RECURSIVE_PASSES per level of nesting,
 * and ten levels in 1.6 KB held the event loop for 42 s (red-team round 19). Ordinary reads
 * use a few hundred units; a 5,000-value IN list about 5,000.
 */
export const MAX_PROVENANCE_WORK = 40_000;
/** A CTE of a WITH RECURSIVE list whose body has not been traced yet. */
const PENDING: Field[] = [];
const RECURSIVE_PASSES = 4;

const SELECT_KEYS = new Set([
  'targetList',
  'fromClause',
  'whereClause',
  'groupClause',
  'groupDistinct',
  'havingClause',
  'windowClause',
  'distinctClause',
  'sortClause',
  'limitCount',
  'limitOffset',
  'limitOption',
  'withClause',
  'op',
  'all',
  'larg',
  'rarg',
  'valuesLists',
]);

export function analyseProvenance(statement: unknown, options: ProvenanceOptions): ProvenanceFacts {
  return new ProvenancePass(options).run(statement);
}

class ProvenancePass implements ExprHost {
  readonly functions: FunctionPolicy;
  private readonly expr: ExpressionEvaluator;
  private readonly violations = new Map<string, Violation>();
  private readonly predicates = new Set<string>();
  private readonly failures = new Set<string>();
  private readonly computed = new Set<string>();
  private failureCount = 0;
  private workDone = 0;
  private readonly wholeRows = new Set<string>();
  private wholeRowRefs = 0;
  private readonly unexposedNames = new Set<string>();
  private readonly readStack: Set<string>[] = [];
  /** A set-returning function takes its arguments from the rows it joins. */
  private rowsMultiplied = false;
  /**
   * Some level joins FROM items on a range of one by another's data (`o.id <= ascii(c.city)`),
   * or a set-returning function makes rows.
   */
  private rowsCombined = false;
  /** Some call counts, summarises or collects rows (with OVER or without). */
  private aggregates = false;

  constructor(private readonly options: ProvenanceOptions) {
    this.functions = options.functions ?? DEFAULT_FUNCTIONS;
    this.expr = new ExpressionEvaluator(this);
  }

  run(statement: unknown): ProvenanceFacts {
    const node = asNode(statement);
    let outputs: Field[] = [];
    if (node?.kind !== 'SelectStmt') {
      this.violation('construct', 'Agents may only send SELECT statements.');
    } else {
      outputs = this.select(node.body, new Level());
    }
    const out = outputs.map((f) => ({
      name: f.name,
      sources: [...f.prov.src].sort(),
      direct: f.prov.direct,
      aggregatesRows: f.prov.rows,
      opaque: f.prov.opaque,
    }));
    return {
      outputs: out,
      violations: [...this.violations.values()],
      predicateColumns: [...this.predicates].sort(),
      failureColumns: [...this.failures].sort(),
      computedColumns: [...this.computed].sort(),
      wholeRowTables: [...this.wholeRows].sort(),
      rowPreserving:
        this.rowsMultiplied || (this.aggregates && this.rowsCombined) || out.some((o) => o.aggregatesRows),
      unexposed: [...this.unexposedNames].sort(),
    };
  }

  // ---------- ExprHost ----------

  /**
   * A count or sum over rows whose number a row's data decides packs that data: rows repeated
   * by `generate_series(1, ascii(city))`, in FROM or in a select list, or joined to a series or
   * a table on a condition (`join generate_series(1, 19683) q on q <= f(city)`, `join orders o on
   * o.id <= f(city)`; red-team rounds 34 and 35). Such reads are counted by the rows they made.
   */
  callSeen(kind: 'srf' | 'aggregate', readsColumns: boolean): void {
    if (kind === 'aggregate') this.aggregates = true;
    else this.rowsCombined = true;
    if (readsColumns) this.rowsMultiplied = true;
  }

  violation(rule: Violation['rule'], message: string): void {
    if (this.violations.size < MAX_VIOLATIONS) this.violations.set(message, { rule, message });
  }

  subquery(value: unknown, level: Level): Field[] {
    const node = asNode(value);
    if (node?.kind !== 'SelectStmt') {
      this.violation('construct', 'Only SELECT subqueries are allowed.');
      return [];
    }
    return this.select(node.body, new Level(level));
  }

  unexposed(name: string): void {
    this.unexposedNames.add(name);
  }

  wholeRow(rel: Rel): void {
    this.wholeRowRefs++;
    if (rel.table) this.wholeRows.add(rel.table);
  }

  read(prov: Prov): void {
    for (const set of this.readStack) for (const s of prov.src) set.add(s);
  }

  beginReads(): void {
    this.readStack.push(new Set());
  }

  endReads(): Set<string> {
    return this.readStack.pop() ?? new Set();
  }

  predicate(prov: Prov): void {
    for (const s of prov.src) this.predicates.add(s);
  }

  failurePoint(prov: Prov): void {
    this.failureCount++;
    for (const s of prov.src) this.failures.add(s);
  }

  failurePoints(): number {
    return this.failureCount;
  }

  work(units = 1): void {
    this.workDone += units;
    if (this.workDone > MAX_PROVENANCE_WORK) {
      throw new GatewayError(
        'statement_refused',
        'The statement takes more work to analyse than the gateway allows (nested WITH RECURSIVE is the usual cause); write it more simply.',
        { details: { limit: 'provenanceWork', max: MAX_PROVENANCE_WORK } },
      );
    }
  }

  // ---------- queries ----------

  /**
   * Every SELECT body, whatever its form (plain, set operation, VALUES), ends in the same
   * ORDER BY and LIMIT/OFFSET, and each may carry a WITH: those are traced here once, so no
   * form can skip them (red-team round 17: a LIMIT subquery on a VALUES list, or on a set
   * operation under WITH RECURSIVE, was never traced, and computed on masked columns freely).
   */
  private select(body: Body, level: Level): Field[] {
    this.work();
    this.allowedKeys(body);
    this.withClause(child(body, 'withClause'), level);
    const outputs = this.selectCore(body, level);
    this.orderBy(items(body, 'sortClause'), outputs, level);
    this.limits(body, level);
    return outputs;
  }

  private allowedKeys(body: Body): void {
    for (const key of Object.keys(body)) {
      if (!SELECT_KEYS.has(key)) {
        const what =
          key === 'intoClause' ? 'SELECT INTO' : key === 'lockingClause' ? 'FOR UPDATE/SHARE' : key;
        this.violation('construct', `${what} is not allowed for agents.`);
      }
    }
  }

  private selectCore(body: Body, level: Level): Field[] {
    if (isSetOperation(body)) {
      const left = this.select(child(body, 'larg') ?? {}, new Level(level));
      const right = this.select(child(body, 'rarg') ?? {}, new Level(level));
      return this.setOperationCompares(body, mergeByPosition(left, right));
    }
    if (body.valuesLists !== undefined)
      return this.noteComputed(this.values(items(body, 'valuesLists'), level));

    // `*` expands over the FROM items in order, a USING join giving its merged columns first.
    for (const item of items(body, 'fromClause')) level.star.push(...this.fromItem(item, level));
    // Joined to a VALUES list, a subquery, a CTE or a function, a row's partners are what that
    // relation was made to hold (a city listed i times weights it by i, red-team round 39).
    const made = level.rels.some((r) => r.table === undefined && r.single !== true);
    if (level.rels.length >= 2 && (made || joinsOnRanges(body))) this.rowsCombined = true;
    const outputs = this.noteComputed(this.targets(items(body, 'targetList'), level));
    if (body.whereClause !== undefined) this.predicate(flatten(this.expr.eval(body.whereClause, level)));
    if (body.havingClause !== undefined) this.predicate(flatten(this.expr.eval(body.havingClause, level)));
    for (const item of items(body, 'groupClause')) this.predicate(this.byOutput(item, outputs, level));
    for (const item of items(body, 'distinctClause')) {
      // DISTINCT ON reads its names as ORDER BY does, an output's first (checked on PGlite).
      if (asNode(item))
        this.predicate(this.outputFirst(item, outputs) ?? this.byOutput(item, outputs, level));
      // Plain DISTINCT compares whole output rows.
      else for (const o of outputs) this.predicate(o.prov);
    }
    for (const item of items(body, 'windowClause')) {
      const def = bodyOf(item, 'WindowDef');
      if (def) this.expr.window(def, level);
    }
    return outputs;
  }

  /**
   * Only UNION ALL keeps rows without comparing them: the others answer with fewer rows when
   * values are equal, so every output is tested.
   */
  private setOperationCompares(body: Body, outputs: Field[]): Field[] {
    if (text(body, 'op') !== 'SETOP_UNION' || body.all !== true) {
      for (const o of outputs) this.predicate(o.prov);
    }
    return outputs;
  }

  /**
   * Columns a select list computes on, at any depth (a subquery's, a CTE's, a VALUES list's),
   * whether or not the outer query keeps the value: evaluating an expression can take longer
   * on one value than another (`case when ssn < '8' then <slow> end`), so what it reads is
   * tested as a filter tests it, even when the value itself is redacted on the way out.
   */
  private noteComputed(outputs: Field[]): Field[] {
    for (const o of outputs) if (!o.prov.direct) for (const s of o.prov.src) this.computed.add(s);
    return outputs;
  }

  /**
   * Column aliases, by position. More aliases than columns is an error on the server, so here
   * it means the pass counted fewer columns than the server has (a composite it did not
   * spread, `unnest(array[t])`): every position after could be another column, so refused.
   */
  private renamed(fields: Field[], aliases: string[]): Field[] {
    if (aliases.length > fields.length) {
      this.violation(
        'construct',
        `${aliases.length} column aliases for ${fields.length} columns: the gateway cannot tell which column is which.`,
      );
    }
    return rename(fields, aliases);
  }

  /** LIMIT and OFFSET decide how many rows come back: what they read is tested. */
  private limits(body: Body, level: Level): void {
    this.predicate(flatten(this.expr.eval(body.limitCount, level)));
    this.predicate(flatten(this.expr.eval(body.limitOffset, level)));
  }

  private values(rows: unknown[], level: Level): Field[] {
    const outputs: Field[] = [];
    // As in ROW(...), the server spreads `t.*` in a VALUES row into its columns.
    if (rows.some((row) => items(bodyOf(row, 'List'), 'items').some(isStarRef))) {
      this.violation('construct', '`t.*` inside VALUES is not supported for agents: name the columns.');
    }
    for (const row of rows) {
      items(bodyOf(row, 'List'), 'items').forEach((v, i) => {
        const prov = flatten(this.expr.eval(v, level));
        const seen = outputs[i];
        outputs[i] = { name: `column${i + 1}`, prov: seen ? derived(seen.prov, prov) : prov, exposed: true };
      });
    }
    return outputs;
  }

  private withClause(clause: Body | undefined, level: Level): void {
    if (!clause) return;
    const recursive = clause.recursive === true;
    // WITH RECURSIVE lets a CTE name any CTE of the list, also a later one: mark them all
    // first, so that a reference to one not yet traced is refused instead of resolving to a
    // table of the same name.
    if (recursive) {
      for (const item of items(clause, 'ctes')) {
        const name = text(bodyOf(item, 'CommonTableExpr'), 'ctename');
        if (name !== undefined) level.ctes.set(name, PENDING);
      }
    }
    for (const item of items(clause, 'ctes')) {
      const cte = bodyOf(item, 'CommonTableExpr');
      const name = text(cte, 'ctename');
      if (!cte || name === undefined) {
        this.violation('construct', 'That WITH clause is not supported.');
        continue;
      }
      if (cte.search_clause !== undefined || cte.cycle_clause !== undefined) {
        this.violation('construct', 'SEARCH and CYCLE clauses are not supported for agents.');
      }
      const aliases = names(items(cte, 'aliascolnames'));
      const query = asNode(cte.ctequery);
      if (query?.kind !== 'SelectStmt') {
        this.violation('construct', 'Data-modifying WITH is not allowed for agents.');
        level.ctes.set(name, []);
        continue;
      }
      if (recursive && isSetOperation(query.body)) {
        this.recursiveCte(name, query.body, aliases, level);
      } else {
        level.ctes.set(name, this.renamed(this.select(query.body, new Level(level)), aliases));
      }
    }
  }

  /**
   * The anchor first, then the recursive term until what each column reads stops growing.
   * Each step can fold the rows before it into a value (`acc || (select city ... where id = i)`),
   * so every column carries rows, like string_agg: counted as the rows the statement reads.
   */
  private recursiveCte(name: string, body: Body, aliases: string[], level: Level): void {
    // The set operation's own clauses, as select() traces them: its WITH scopes both terms,
    // and its ORDER BY, LIMIT and comparisons (UNION, INTERSECT) read the columns traced.
    this.allowedKeys(body);
    const inner = new Level(level);
    this.withClause(child(body, 'withClause'), inner);
    this.recursiveFixpoint(name, body, aliases, level, inner);
    const fields = this.setOperationCompares(body, level.ctes.get(name) ?? []);
    this.orderBy(items(body, 'sortClause'), fields, inner);
    this.limits(body, inner);
    level.ctes.set(
      name,
      fields.map((f) => ({ ...f, prov: withRows(f.prov) })),
    );
  }

  /** Sets the CTE's fields on `level`; the terms are traced under `inner` (the body's WITH). */
  private recursiveFixpoint(name: string, body: Body, aliases: string[], level: Level, inner: Level): void {
    let fields = this.renamed(this.select(child(body, 'larg') ?? {}, new Level(inner)), aliases);
    level.ctes.set(name, fields);
    for (let pass = 0; pass < RECURSIVE_PASSES; pass++) {
      const step = this.select(child(body, 'rarg') ?? {}, new Level(inner));
      const next = this.renamed(mergeByPosition(fields, step), aliases);
      const stable = next.length === fields.length && next.every((f, i) => sameProv(f.prov, fields[i].prov));
      fields = next;
      level.ctes.set(name, fields);
      if (stable) return;
    }
    // Still growing: treat every column as reading everything any of them reads.
    const all = derived(...fields.map((f) => f.prov));
    level.ctes.set(
      name,
      fields.map((f) => ({ ...f, prov: all })),
    );
  }

  private targets(list: unknown[], level: Level): Field[] {
    const outputs: Field[] = [];
    for (const item of list) {
      const res = bodyOf(item, 'ResTarget');
      const expanded = this.starTarget(res?.val, level);
      if (expanded) {
        outputs.push(...expanded);
        continue;
      }
      const value = this.expr.eval(res?.val, level);
      const alias = text(res, 'name');
      outputs.push({
        name: alias ?? outputName(res?.val),
        prov: flatten(value),
        exposed: true,
        ...(alias === undefined && !nameIsKnown(res?.val) ? { unsureName: true } : {}),
      });
    }
    return outputs;
  }

  /** `*`, `t.*` and `(composite).*` in the select list expand to one output per field. */
  private starTarget(value: unknown, level: Level): Field[] | undefined {
    const ref = bodyOf(value, 'ColumnRef');
    const fields = items(ref, 'fields');
    if (ref && asNode(fields[fields.length - 1])?.kind === 'A_Star') {
      const qualifier = fields.slice(0, -1).map((f) => stringValue(f) ?? '');
      if (qualifier.length === 0) return this.exposedFields(level.star, '*');
      const rel = level.findRel(qualifier);
      if (!rel) {
        if (!level.hasUnknown())
          this.violation('column', `No relation named ${qualifier.join('.')} is in scope.`);
        return [{ name: '*', prov: OPAQUE, exposed: true }];
      }
      return this.exposedFields(rel.fields, `${rel.alias}.*`);
    }
    const ind = bodyOf(value, 'A_Indirection');
    const steps = items(ind, 'indirection');
    if (ind && steps.length === 1 && asNode(steps[0])?.kind === 'A_Star') {
      const inner = this.expr.eval(ind.arg, level);
      if (inner.fields) return this.exposedFields(inner.fields, '(...).*');
      return this.unknownFieldsStar(ind.arg, inner.prov);
    }
    return undefined;
  }

  /**
   * `(x).*` over a value whose fields the pass does not know: the server spreads it into as
   * many columns as it has, under names the pass cannot see, so neither the count nor the
   * names of this level's outputs would be known (red-team round 10: a one-column guess let a
   * name meant for a column further out resolve to it). Only the set-returning functions whose
   * columns are declared are spread; anything else is refused.
   */
  private unknownFieldsStar(arg: unknown, prov: Prov): Field[] {
    const call = bodyOf(arg, 'FuncCall');
    const name =
      call &&
      names(items(call, 'funcname'))
        .join('.')
        .replace(/^pg_catalog\./, '');
    const columns = name === undefined ? undefined : SRF_COLUMNS.get(name);
    if (columns) return columns.map((col) => ({ name: col, prov, exposed: true, unsureName: true }));
    this.violation('construct', '(...).* over a value whose fields are not known is not allowed for agents.');
    return [{ name: '?column?', prov: OPAQUE, exposed: true, unsureName: true }];
  }

  private exposedFields(fields: Field[], what: string): Field[] {
    for (const f of fields) {
      if (!f.exposed) {
        this.violation('exposure', `${what} reads column ${f.qualified ?? f.name}, which is not exposed.`);
        this.unexposed(f.qualified ?? f.name);
      }
      this.read(f.prov);
    }
    return fields.map((f) => ({
      name: f.name,
      prov: f.prov,
      exposed: true,
      ...(f.unsureName ? { unsureName: true } : {}),
    }));
  }

  /** GROUP BY, DISTINCT ON and ORDER BY may name an output by position or by name. */
  private byOutput(item: unknown, outputs: Field[], level: Level): Prov {
    // ROLLUP, CUBE and GROUPING SETS (nested, or with parenthesised lists) read each of their
    // elements as a GROUP BY item, positions and output names included (red-team round 19:
    // `group by rollup(1)` grouped by a masked output unseen).
    const set = bodyOf(item, 'GroupingSet');
    if (set) return derived(...items(set, 'content').map((c) => this.byOutput(c, outputs, level)));
    const row = bodyOf(item, 'RowExpr');
    if (row) return derived(...items(row, 'args').map((a) => this.byOutput(a, outputs, level)));
    const position = child(bodyOf(item, 'A_Const'), 'ival');
    if (position) {
      const n = position.ival;
      return typeof n === 'number' && outputs[n - 1] ? outputs[n - 1].prov : EMPTY;
    }
    const ref = items(bodyOf(item, 'ColumnRef'), 'fields');
    const name = ref.length === 1 ? stringValue(ref[0]) : undefined;
    const output = name === undefined ? undefined : outputs.find((o) => o.name === name);
    // A bare name may also be an output whose name the pass only guessed: the server names
    // `(select * from (select ssn as city) s)` `city`, the pass `?column?`, and ORDER BY city
    // sorted by the SSN (red-team round 20). So the name is traced to every such output too.
    const unsure = name === undefined ? [] : outputs.filter((o) => o.unsureName && o !== output);
    const maybe = unsure.map((o) => o.prov);
    if (output && !this.resolvesQuietly(name ?? '', level)) return derived(output.prov, ...maybe);
    const value = flatten(this.expr.eval(item, level));
    return output ? derived(value, output.prov, ...maybe) : derived(value, ...maybe);
  }

  /**
   * ORDER BY (and DISTINCT ON) a bare name that is one output's, for sure: PostgreSQL sorts by that output,
   * before any input column of the name (GROUP BY is the other way round). `select id as email
   * ... order by email` sorts by the id, and was held for approval as a sort on the masked email
   * (red-team round 44). Undefined where the name is no such output, where two outputs have it,
   * or where an output of a guessed name might have it too.
   */
  private outputFirst(item: unknown, outputs: Field[]): Prov | undefined {
    const ref = items(bodyOf(item, 'ColumnRef'), 'fields');
    const name = ref.length === 1 ? stringValue(ref[0]) : undefined;
    if (name === undefined) return undefined;
    const named = outputs.filter((o) => o.name === name || o.unsureName === true);
    return named.length === 1 && named[0]?.unsureName !== true ? named[0]?.prov : undefined;
  }

  /**
   * Whether the name may also be an input column. PostgreSQL's GROUP BY takes the input column
   * before the output of that name, so a FROM column whose name the pass only guessed counts:
   * the server named `(select * from (select ssn as k) s)` `k` and grouped by the SSN under an
   * output `'z' as k` (red-team round 21).
   */
  private resolvesQuietly(column: string, level: Level): boolean {
    for (let l: Level | undefined = level; l; l = l.parent) {
      if (l.using.has(column)) return true;
      if (l.rels.some((r) => r.unknown || r.fields.some((f) => f.name === column || f.unsureName)))
        return true;
    }
    return false;
  }

  private orderBy(list: unknown[], outputs: Field[], level: Level): void {
    for (const item of list) {
      const sortBy = bodyOf(item, 'SortBy');
      if (!sortBy) continue;
      if (items(sortBy, 'useOp').length > 0)
        this.violation('function', 'ORDER BY ... USING is not allowed for agents.');
      this.predicate(this.outputFirst(sortBy.node, outputs) ?? this.byOutput(sortBy.node, outputs, level));
    }
  }

  // ---------- FROM ----------

  /** Puts the item's relations in scope and returns what `*` expands to over it. */
  private fromItem(item: unknown, level: Level): Field[] {
    const node = asNode(item);
    switch (node?.kind) {
      case 'RangeVar':
        return this.push(level, this.relationFor(node.body, level));
      case 'JoinExpr':
        return this.join(node.body, level);
      case 'RangeSubselect': {
        const alias = child(node.body, 'alias');
        // Only a LATERAL subquery sees the FROM items before it; any other sees none of them.
        const scope = node.body.lateral === true ? level : level.restrictedTo([]);
        const fields = this.renamed(
          this.subquery(node.body.subquery, scope),
          names(items(alias, 'colnames')),
        );
        const single = isSingleRow(node.body.subquery);
        return this.push(level, {
          alias: text(alias, 'aliasname') ?? '',
          explicitAlias: true,
          fields,
          ...(single ? { single } : {}),
        });
      }
      case 'RangeFunction':
        return this.push(level, this.rangeFunction(node.body, level));
      default:
        this.violation('construct', `${node?.kind ?? 'That FROM item'} is not supported for agents.`);
        return this.push(level, { alias: '', explicitAlias: true, fields: [], unknown: true });
    }
  }

  private push(level: Level, rel: Rel): Field[] {
    level.rels.push(rel);
    return rel.fields;
  }

  private relationFor(body: Body, level: Level): Rel {
    const relname = text(body, 'relname') ?? '';
    const schema = text(body, 'schemaname');
    const alias = text(child(body, 'alias'), 'aliasname');
    const aliasCols = names(items(child(body, 'alias'), 'colnames'));
    if (text(body, 'catalogname') !== undefined) {
      this.violation('exposure', 'Cross-database references are not allowed.');
      return { alias: alias ?? relname, explicitAlias: alias !== undefined, fields: [], unknown: true };
    }
    const cte = schema === undefined ? level.findCte(relname) : undefined;
    if (cte === PENDING) {
      this.violation('construct', `CTE ${relname} is referred to before it is defined.`);
      return { alias: alias ?? relname, explicitAlias: alias !== undefined, fields: [], unknown: true };
    }
    if (cte)
      return {
        alias: alias ?? relname,
        explicitAlias: alias !== undefined,
        fields: this.renamed(cte, aliasCols),
      };
    // pg_catalog is searched before the search path, and every relation in it starts with pg_.
    const qualified = `${schema ?? (relname.startsWith('pg_') ? 'pg_catalog' : this.options.defaultSchema)}.${relname}`;
    const table = this.options.catalog.tables.get(qualified);
    if (!table) {
      this.violation('exposure', `Table ${qualified} is not exposed on this connection.`);
      this.unexposed(qualified);
      return {
        alias: alias ?? relname,
        table: qualified,
        explicitAlias: alias !== undefined,
        fields: [],
        unknown: true,
      };
    }
    const fields = table.columns.map((c) => ({
      name: c.name,
      prov: {
        src: new Set([`${qualified}.${c.name}`]),
        direct: true,
        rows: false,
        opaque: false,
        fails: false,
      },
      exposed: c.exposed,
      qualified: `${qualified}.${c.name}`,
    }));
    return {
      alias: alias ?? relname,
      table: qualified,
      explicitAlias: alias !== undefined,
      fields: this.renamed(fields, aliasCols),
    };
  }

  private join(body: Body, level: Level): Field[] {
    const before = level.rels.length;
    const usingBefore = new Map(level.using);
    const left = this.fromItem(body.larg, level);
    const right = this.fromItem(body.rarg, level);
    // An ON clause sees the join's own inputs, not the FROM items listed before the join,
    // nor the USING columns of joins before it.
    const inner = [...level.using].filter(([name, field]) => usingBefore.get(name) !== field);
    const inputs = level.restrictedTo(level.rels.slice(before), new Map(inner));
    if (child(body, 'alias') || child(body, 'join_using_alias'))
      this.violation('construct', 'An alias on a JOIN is not supported for agents.');
    let using = names(items(body, 'usingClause'));
    if (body.isNatural === true) {
      // NATURAL matches columns by name: on a name the pass guessed, the server may merge
      // other columns than it would, and every column after them shifts.
      if ([...left, ...right].some((f) => f.unsureName)) {
        this.violation(
          'construct',
          'NATURAL JOIN over an unnamed expression is not supported for agents: alias its columns, or join with ON.',
        );
      }
      const rightNames = new Set(right.map((f) => f.name));
      using = left.map((f) => f.name).filter((n) => rightNames.has(n));
    }
    if (body.quals !== undefined) this.predicate(flatten(this.expr.eval(body.quals, inputs)));
    if (using.length === 0) return [...left, ...right];
    const mergedFields: Field[] = [];
    for (const name of using) {
      const l = left.find((f) => f.name === name);
      const r = right.find((f) => f.name === name);
      if (!l || !r) {
        this.violation('column', `USING column ${name} is not on both sides of the join.`);
        continue;
      }
      if (l.unsureName || r.unsureName) {
        this.violation('construct', `USING ${name} names an unnamed expression: alias it, or join with ON.`);
      }
      const field: Field = { name, prov: merged(l.prov, r.prov), exposed: l.exposed && r.exposed };
      this.predicate(field.prov);
      level.using.set(name, field);
      mergedFields.push(field);
    }
    const isUsing = new Set(using);
    return [
      ...mergedFields,
      ...left.filter((f) => !isUsing.has(f.name)),
      ...right.filter((f) => !isUsing.has(f.name)),
    ];
  }

  private rangeFunction(body: Body, level: Level): Rel {
    const alias = child(body, 'alias');
    const fields: Field[] = [];
    let firstName = '';
    if (body.coldeflist !== undefined)
      this.violation('construct', 'Column definition lists in FROM are not allowed.');
    const aliasName = text(alias, 'aliasname');
    const functions = items(body, 'functions');
    for (const entry of functions) {
      const [call, coldefs] = items(bodyOf(entry, 'List'), 'items');
      const fn = bodyOf(call, 'FuncCall');
      if (!fn || asNode(coldefs) !== undefined || Array.isArray(coldefs)) {
        this.violation('construct', 'Only plain function calls are allowed in FROM.');
        fields.push({ name: '?column?', prov: OPAQUE, exposed: true });
        continue;
      }
      const name = names(items(fn, 'funcname'))
        .join('.')
        .replace(/^pg_catalog\./, '');
      firstName ||= name;
      const kind = this.functions.kindOf(name);
      if (kind !== 'srf' && kind !== 'scalar') {
        this.violation('function', `Function ${name} is not allowed in FROM for agents.`);
      }
      const args = items(fn, 'args');
      const rowsBefore = this.wholeRowRefs;
      const provs = args.map((a) => flatten(this.expr.eval(a, level)));
      // The server spreads an array of table rows into the table's columns, under its names
      // (red-team round 11: an alias list then landed on other columns than the pass counted).
      if (name === 'unnest' && this.wholeRowRefs > rowsBefore) {
        this.violation(
          'construct',
          'unnest over whole rows is not allowed for agents; name the columns instead.',
        );
      }
      // The arguments decide how many rows the function returns: they are tested.
      for (const p of provs) this.predicate(p);
      // Rows repeated as many times as a column says (`generate_series(1, ascii(city))`)
      // pack that column into any count over them (red-team round 34): the read is counted
      // by the rows it made, like a fold.
      this.callSeen(
        'srf',
        provs.some((p) => p.src.size > 0),
      );
      // As the server names them: declared output names, else one column named after the
      // FROM item's alias when it has one (`unnest(a) u` is column `u`), else the function.
      const single = functions.length === 1 && aliasName !== undefined ? aliasName : name;
      const columns =
        SRF_COLUMNS.get(name) ??
        OUT_NAMES.get(name) ??
        (name === 'unnest' && args.length > 1 ? args.map(() => 'unnest') : [single]);
      columns.forEach((col, i) => {
        // unnest(a, b) pairs its arguments by position; other functions mix all of them.
        const prov = name === 'unnest' && args.length > 1 ? derived(provs[i]) : derived(...provs);
        fields.push({ name: col, prov, exposed: true, unsureName: true });
      });
    }
    if (body.ordinality === true) fields.push({ name: 'ordinality', prov: EMPTY, exposed: true });
    return {
      alias: aliasName ?? firstName,
      explicitAlias: aliasName !== undefined,
      fields: this.renamed(fields, names(items(alias, 'colnames'))),
      // One function of one column: the server reads the bare name as that scalar, not a row.
      ...(functions.length === 1 && fields.length === 1 ? { scalar: true } : {}),
    };
  }
}

/** Set-returning functions whose one column has a declared (OUT parameter) name. */
const OUT_NAMES: ReadonlyMap<string, readonly string[]> = new Map([
  ['json_array_elements', ['value']],
  ['json_array_elements_text', ['value']],
  ['jsonb_array_elements', ['value']],
  ['jsonb_array_elements_text', ['value']],
]);

/** Column aliases, by position. */
function rename(fields: Field[], aliases: string[]): Field[] {
  if (aliases.length === 0) return fields;
  return fields.map((f, i) => (i < aliases.length ? { ...f, name: aliases[i], unsureName: false } : f));
}

/** UNION, INTERSECT, EXCEPT: an output column can come from either branch, matched by position. */
function mergeByPosition(left: Field[], right: Field[]): Field[] {
  const n = Math.max(left.length, right.length);
  const out: Field[] = [];
  for (let i = 0; i < n; i++) {
    const l = left[i];
    const r = right[i];
    // The left branch names the column; whether that name is sure comes with it.
    const unsure = (l ?? r)?.unsureName ? { unsureName: true } : {};
    if (l && r) out.push({ name: l.name, prov: merged(l.prov, r.prov), exposed: true, ...unsure });
    else
      out.push({ name: (l ?? r).name, prov: { ...(l ?? r).prov, opaque: true }, exposed: true, ...unsure });
  }
  return out;
}

function isSetOperation(body: Body): boolean {
  const op = text(body, 'op');
  return op !== undefined && op !== 'SETOP_NONE';
}

const RANGE_OPS = new Set(['<', '<=', '>', '>=', '<>', '!=']);

/**
 * Whether a level's join conditions or WHERE compare columns on both sides other than by
 * equality of two columns: such a join gives each row as many partners as its data says (a
 * weight), where an equi-join gives it the partners the data has. Conservative: nothing tells
 * here which FROM item a column is of, so any comparison with columns on both sides counts.
 */
function joinsOnRanges(select: Body): boolean {
  const stack: unknown[] = [select.whereClause, ...items(select, 'fromClause')];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    const node = asNode(value);
    if (!node) {
      if (isBody(value)) stack.push(...Object.values(value));
      continue;
    }
    // A subquery is a level of its own, looked at when it is walked.
    if (node.kind === 'SubLink' || node.kind === 'RangeSubselect' || node.kind === 'SelectStmt') continue;
    if (node.kind === 'A_Expr' && comparesByRange(node.body)) return true;
    stack.push(...Object.values(node.body));
  }
  return false;
}

function comparesByRange(expr: Body): boolean {
  const kind = text(expr, 'kind');
  const op = names(items(expr, 'name')).join('.');
  const sides = [expr.lexpr, expr.rexpr];
  if (!sides.every(readsColumn)) return false;
  if (kind === 'AEXPR_OP' && op === '=') return !sides.every((side) => asNode(side)?.kind === 'ColumnRef');
  if (kind === 'AEXPR_OP') return RANGE_OPS.has(op);
  // Every other comparison (ANY, ALL, IN, IS DISTINCT FROM, LIKE, BETWEEN, ...) with columns
  // on both sides: `o.id <= any(array[f(c.city)])` is a range (red-team round 39).
  return true;
}

function readsColumn(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (isBody(v)) {
      if (asNode(v)?.kind === 'ColumnRef') return true;
      stack.push(...Object.values(v));
    }
  }
  return false;
}

/** A SELECT without FROM, VALUES or a set operation: one row (its SRFs are counted apart). */
function isSingleRow(subquery: unknown): boolean {
  const select = bodyOf(subquery, 'SelectStmt');
  return (
    select !== undefined &&
    items(select, 'fromClause').length === 0 &&
    select.valuesLists === undefined &&
    !isSetOperation(select)
  );
}
