import { PLAN_UNREADABLE, type PlanSources } from '../connector.js';

/**
 * The base columns each result column reads, as the server's own plan states them
 * (`EXPLAIN (VERBOSE, FORMAT JSON)`): a second opinion on the analyser's provenance that no
 * decoy in the statement's text can talk round, because the planner has already resolved
 * every view, pulled-up subquery, record field selection and lateral VALUES to the scans it
 * reads. The plan's root `Output` lists the result's expressions in order; a reference in one
 * of them is resolved only where the plan leaves no doubt:
 * - `alias.column` where `alias` is a relation scan (`Relation Name`): that base column;
 *   `alias.*` (a whole row) is the whole table, written `schema.table.*`;
 * - `alias.column` where `alias` is a function scan: every column its `Function Call` reads;
 * - a bare `column`, printed when the plan reads one relation only: that relation's column
 *   (the caller keeps it only where its catalog has the column);
 * - anything else (a subquery, CTE or VALUES scan, a sub-plan's output, a parameter) says
 *   nothing here, and the analyser's provenance stands alone for it.
 * Over-stating is harmless (the caller only ever adds classes from this), so the tokenizer
 * takes every identifier that is not plainly a function name, a field name or a type name.
 */

interface PlanNode {
  'Node Type'?: unknown;
  'Relation Name'?: unknown;
  Schema?: unknown;
  Alias?: unknown;
  'Function Call'?: unknown;
  Output?: unknown;
  Plans?: unknown;
}

type Scan = { kind: 'relation'; schema: string; relation: string } | { kind: 'function'; call: string };

/** The root plan node of an EXPLAIN (FORMAT JSON) result value, or undefined. */
export function planRoot(value: unknown): PlanNode | undefined {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  const root = Array.isArray(parsed) ? (parsed[0] as { Plan?: unknown } | undefined)?.Plan : undefined;
  return root !== null && typeof root === 'object' ? (root as PlanNode) : undefined;
}

/**
 * Characters of plan text read at most: each expression and each function call is read once,
 * so the work is linear in the plan, and this bounds it. A plan past it says "unreadable" for
 * every output (PLAN_UNREADABLE), which withholds them: the bound can only cost masking.
 */
export const MAX_PLAN_TEXT = 1_000_000;

export function planSources(root: PlanNode | undefined, maxText = MAX_PLAN_TEXT): PlanSources | undefined {
  if (root === undefined) return undefined;
  const scans = new Map<string, Scan>();
  let relations = 0;
  const stack: PlanNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as PlanNode;
    const alias = node.Alias;
    if (typeof alias === 'string') {
      if (typeof node['Relation Name'] === 'string' && typeof node.Schema === 'string') {
        scans.set(alias, { kind: 'relation', schema: node.Schema, relation: node['Relation Name'] });
        relations++;
      } else if (typeof node['Function Call'] === 'string') {
        scans.set(alias, { kind: 'function', call: node['Function Call'] });
      }
    }
    if (Array.isArray(node.Plans)) for (const child of node.Plans) if (isNode(child)) stack.push(child);
  }
  const outputs = outputsOf(root);
  if (outputs === undefined) return undefined;
  // Bare names are printed when the plan has one range table entry: the one relation.
  const sole = relations === 1 && scans.size === 1 ? [...scans.values()][0] : undefined;
  const resolver = new Resolver(scans, sole, maxText);
  try {
    return outputs.map((exprs) => {
      const found = new Set<string>();
      for (const expr of exprs) resolver.into(found, expr);
      return [...found];
    });
  } catch (e) {
    if (e instanceof PlanTooLarge) return outputs.map(() => [PLAN_UNREADABLE]);
    throw e;
  }
}

class PlanTooLarge extends Error {}

/** References to base columns, with each function scan's call resolved once per plan. */
class Resolver {
  readonly #functions = new Map<string, ReadonlySet<string>>();
  #budget: number;

  constructor(
    private readonly scans: ReadonlyMap<string, Scan>,
    private readonly sole: Scan | undefined,
    maxText: number,
  ) {
    this.#budget = maxText;
  }

  into(found: Set<string>, expr: string): void {
    this.#budget -= expr.length;
    if (this.#budget < 0) throw new PlanTooLarge();
    for (const ref of references(expr)) {
      if (ref.qualifier === undefined) {
        if (this.sole?.kind === 'relation')
          found.add(`${this.sole.schema}.${this.sole.relation}.${ref.name}`);
        continue;
      }
      const scan = this.scans.get(ref.qualifier);
      if (scan === undefined) continue;
      if (scan.kind === 'relation') found.add(`${scan.schema}.${scan.relation}.${ref.name}`);
      else for (const q of this.#function(ref.qualifier, scan.call)) found.add(q);
    }
  }

  #function(alias: string, call: string): ReadonlySet<string> {
    const known = this.#functions.get(alias);
    if (known !== undefined) return known;
    // Set before reading, so that a call that names its own alias ends there.
    const found = new Set<string>();
    this.#functions.set(alias, found);
    this.into(found, call);
    return found;
  }
}

function isNode(value: unknown): value is PlanNode {
  return value !== null && typeof value === 'object';
}

/**
 * The expressions of each output position: the node's own `Output`, or, for a node that
 * prints none (an Append of UNION ALL branches), its children's outputs by position.
 */
function outputsOf(node: PlanNode): string[][] | undefined {
  if (Array.isArray(node.Output)) {
    return node.Output.map((e) => (typeof e === 'string' ? [e] : []));
  }
  if (!Array.isArray(node.Plans) || node.Plans.length === 0) return undefined;
  let merged: string[][] | undefined;
  for (const child of node.Plans) {
    if (!isNode(child)) return undefined;
    const outputs = outputsOf(child);
    if (outputs === undefined) return undefined;
    if (merged === undefined) {
      merged = outputs.map((o) => [...o]);
      continue;
    }
    if (merged.length !== outputs.length) return undefined;
    for (const [i, o] of outputs.entries()) merged[i]?.push(...o);
  }
  return merged;
}

/** Words the deparser prints unquoted that are not column names (matched in any case). */
const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'is',
  'null',
  'true',
  'false',
  'case',
  'when',
  'then',
  'else',
  'end',
  'in',
  'like',
  'ilike',
  'similar',
  'escape',
  'between',
  'symmetric',
  'any',
  'all',
  'some',
  'array',
  'row',
  'distinct',
  'from',
  'as',
  'collate',
  'filter',
  'where',
  'order',
  'by',
  'asc',
  'desc',
  'nulls',
  'first',
  'last',
  'over',
  'partition',
  'within',
  'group',
  'operator',
  'exists',
  'subplan',
  'initplan',
  'at',
  'time',
  'zone',
  'interval',
  'using',
  'default',
]);

/** Words that continue a type name after `::` (`character varying`, `timestamp with time zone`). */
const TYPE_WORDS = new Set(['varying', 'precision', 'with', 'without', 'time', 'zone']);

export interface Reference {
  qualifier?: string;
  /** A column name, or `*` for a whole row. */
  name: string;
}

/** The column references of one deparsed expression (see the module comment). */
export function references(expr: string): Reference[] {
  return new Scanner(expr).references();
}

interface Ident {
  text: string;
  end: number;
  quoted: boolean;
}

/** One pass over a deparsed expression, left to right, skipping what cannot be a column. */
class Scanner {
  #i = 0;
  readonly #refs: Reference[] = [];

  constructor(private readonly expr: string) {}

  references(): Reference[] {
    const { expr } = this;
    while (this.#i < expr.length) {
      const ch = expr[this.#i] as string;
      if (ch === "'") this.#skipLiteral();
      else if (ch === ':' && expr[this.#i + 1] === ':') this.#skipType();
      else if (/[0-9]/.test(ch) || ch === '$') this.#skipNumber();
      else if (!this.#name()) this.#i++;
    }
    return this.#refs;
  }

  #identAt(at: number): Ident | undefined {
    const { expr } = this;
    const ch = expr[at];
    if (ch === '"') {
      let text = '';
      for (let j = at + 1; j < expr.length; j++) {
        if (expr[j] !== '"') text += expr[j];
        else if (expr[j + 1] === '"') {
          text += '"';
          j++;
        } else return { text, end: j + 1, quoted: true };
      }
      return undefined;
    }
    if (ch === undefined || !/[A-Za-z_\u0080-\uffff]/.test(ch)) return undefined;
    let j = at + 1;
    while (j < expr.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(expr[j] as string)) j++;
    // Unquoted names are folded to lower case by the server, so printed as they are.
    return { text: expr.slice(at, j), end: j, quoted: false };
  }

  #spacesFrom(at: number): number {
    let j = at;
    while (this.expr[j] === ' ') j++;
    return j;
  }

  /** A literal: '' inside is a quote. */
  #skipLiteral(): void {
    const { expr } = this;
    this.#i++;
    while (this.#i < expr.length) {
      if (expr[this.#i] !== "'") this.#i++;
      else if (expr[this.#i + 1] === "'") this.#i += 2;
      else break;
    }
    this.#i++;
  }

  /** A type name after `::`, possibly qualified, quoted or of several words. */
  #skipType(): void {
    this.#i = this.#spacesFrom(this.#i + 2);
    for (;;) {
      const word = this.#identAt(this.#i);
      if (word === undefined) return;
      this.#i = word.end;
      if (this.expr[this.#i] === '.') {
        this.#i++;
        continue;
      }
      const next = this.#spacesFrom(this.#i);
      const following = this.#identAt(next);
      if (following === undefined || !TYPE_WORDS.has(following.text.toLowerCase())) return;
      this.#i = next;
    }
  }

  /** A number or a parameter ($1), whole, so that `1e5` or `$1` is no name. */
  #skipNumber(): void {
    this.#i++;
    while (this.#i < this.expr.length && /[A-Za-z0-9_.$]/.test(this.expr[this.#i] as string)) this.#i++;
  }

  /** A name (or `a.b`, `a.*`) at the cursor: recorded when it is a column reference. */
  #name(): boolean {
    const { expr } = this;
    const first = this.#identAt(this.#i);
    if (first === undefined) return false;
    // A name right after a dot is a field of something before it: `(c.addr).city`.
    const afterDot = this.#i > 0 && expr[this.#i - 1] === '.';
    this.#i = first.end;
    if (expr[this.#i] === '.' && expr[this.#i + 1] === '*') {
      this.#i += 2;
      if (!afterDot) this.#refs.push({ qualifier: first.text, name: '*' });
      return true;
    }
    const second = expr[this.#i] === '.' ? this.#identAt(this.#i + 1) : undefined;
    if (second !== undefined) {
      this.#i = second.end;
      // A further dot is a schema-qualified name (a function, or schema.table.column): the
      // plan prints neither as a column, so it is skipped whole.
      if (expr[this.#i] === '.') {
        this.#skipQualified();
        return true;
      }
    }
    // A name followed by `(` is a function being called.
    if (afterDot || expr[this.#spacesFrom(this.#i)] === '(') return true;
    if (second !== undefined) this.#refs.push({ qualifier: first.text, name: second.text });
    else if (first.quoted || !KEYWORDS.has(first.text.toLowerCase())) this.#refs.push({ name: first.text });
    return true;
  }

  #skipQualified(): void {
    while (this.expr[this.#i] === '.') {
      const more = this.#identAt(this.#i + 1);
      if (more === undefined) return;
      this.#i = more.end;
    }
  }
}
