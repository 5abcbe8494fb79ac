import type { Possible } from '../types.js';

/**
 * A small reader of ARM template expressions (`[if(parameters('x'), 'A', 'B')]`), enough to
 * tell which values a property may take. What it cannot evaluate is `unknown`, never a guess:
 * the checks then treat the property as possibly risky.
 */

type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'member'; target: Node; key: Node };

export interface ExpressionScope {
  parameter(name: string): Possible;
  variable(name: string): Possible;
}

const UNKNOWN: Possible = { values: [], unknown: true };

export function known(value: unknown): Possible {
  return { values: [value], unknown: false };
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(): never {
    throw new SyntaxError(`cannot read ARM expression at ${this.i}: ${this.s}`);
  }

  space(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  expression(): Node {
    this.space();
    let node = this.primary();
    for (;;) {
      this.space();
      const c = this.s[this.i];
      if (c === '.') {
        this.i++;
        const name = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.i))?.[0] ?? this.fail();
        this.i += name.length;
        node = { kind: 'member', target: node, key: { kind: 'literal', value: name } };
      } else if (c === '[') {
        this.i++;
        const key = this.expression();
        this.space();
        if (this.s[this.i] !== ']') this.fail();
        this.i++;
        node = { kind: 'member', target: node, key };
      } else {
        return node;
      }
    }
  }

  primary(): Node {
    const c = this.s[this.i];
    if (c === "'") {
      let value = '';
      for (this.i++; ; this.i++) {
        if (this.i >= this.s.length) this.fail();
        if (this.s[this.i] === "'") {
          if (this.s[this.i + 1] === "'") {
            value += "'";
            this.i++;
            continue;
          }
          this.i++;
          return { kind: 'literal', value };
        }
        value += this.s[this.i];
      }
    }
    const num = /^-?\d+/.exec(this.s.slice(this.i))?.[0];
    if (num !== undefined) {
      this.i += num.length;
      return { kind: 'literal', value: Number(num) };
    }
    const name = /^[A-Za-z_][\w.]*/.exec(this.s.slice(this.i))?.[0] ?? this.fail();
    this.i += name.length;
    this.space();
    if (this.s[this.i] !== '(') this.fail();
    this.i++;
    const args: Node[] = [];
    this.space();
    if (this.s[this.i] === ')') {
      this.i++;
      return { kind: 'call', name: name.toLowerCase(), args };
    }
    for (;;) {
      args.push(this.expression());
      this.space();
      const d = this.s[this.i++];
      if (d === ')') return { kind: 'call', name: name.toLowerCase(), args };
      if (d !== ',') this.fail();
    }
  }
}

/** True for a string ARM evaluates (`[...]`); `[[` escapes a literal bracket. */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

function parse(text: string): Node | undefined {
  try {
    const p = new Parser(text.slice(1, -1));
    const node = p.expression();
    p.space();
    return p.i === p.s.length ? node : undefined;
  } catch {
    return undefined;
  }
}

function merge(parts: Possible[]): Possible {
  const values: unknown[] = [];
  let unknown = false;
  for (const p of parts) {
    unknown ||= p.unknown;
    for (const v of p.values) if (!values.some((w) => Object.is(w, v))) values.push(v);
  }
  return { values, unknown };
}

/** Applies `f` to every combination of the arguments' values (bounded; past that, unknown). */
function lift(args: Possible[], f: (values: unknown[]) => unknown): Possible {
  let combos: unknown[][] = [[]];
  let unknown = false;
  for (const a of args) {
    unknown ||= a.unknown;
    combos = combos.flatMap((c) => a.values.map((v) => [...c, v]));
    if (combos.length > 16) return UNKNOWN;
  }
  const values: unknown[] = [];
  for (const c of combos) {
    const v = f(c);
    if (v === UNKNOWN_VALUE) unknown = true;
    else if (!values.some((w) => Object.is(w, v))) values.push(v);
  }
  return { values, unknown };
}

const UNKNOWN_VALUE = Symbol('unknown');

function truthy(p: Possible): { t: boolean; f: boolean } {
  if (p.unknown) return { t: true, f: true };
  return { t: p.values.some((v) => v === true), f: p.values.some((v) => v !== true) };
}

function evaluateNode(node: Node, scope: ExpressionScope): Possible {
  switch (node.kind) {
    case 'literal':
      return known(node.value);
    case 'member': {
      const target = evaluateNode(node.target, scope);
      const key = evaluateNode(node.key, scope);
      return lift([target, key], ([t, k]) => {
        if (typeof t === 'object' && t !== null && (typeof k === 'string' || typeof k === 'number')) {
          const v = (t as Record<string, unknown>)[k];
          return v === undefined ? UNKNOWN_VALUE : v;
        }
        return UNKNOWN_VALUE;
      });
    }
    case 'call':
      return evaluateCall(node.name, node.args, scope);
  }
}

function evaluateCall(name: string, argNodes: Node[], scope: ExpressionScope): Possible {
  const arg = (i: number) => (argNodes[i] ? evaluateNode(argNodes[i], scope) : UNKNOWN);
  switch (name) {
    case 'parameters': {
      const n = arg(0);
      return !n.unknown && typeof n.values[0] === 'string' ? scope.parameter(n.values[0]) : UNKNOWN;
    }
    case 'variables':
      return typeof arg(0).values[0] === 'string' ? scope.variable(arg(0).values[0] as string) : UNKNOWN;
    case 'if': {
      const c = truthy(arg(0));
      return merge([...(c.t ? [arg(1)] : []), ...(c.f ? [arg(2)] : [])]);
    }
    case 'null':
      return known(null);
    case 'true':
      return known(true);
    case 'false':
      return known(false);
    case 'bool':
      return lift([arg(0)], ([v]) => (typeof v === 'string' ? v.toLowerCase() === 'true' : v === true));
    case 'not':
      return lift([arg(0)], ([v]) => (typeof v === 'boolean' ? !v : UNKNOWN_VALUE));
    case 'and':
    case 'or':
      return lift(
        argNodes.map((_, i) => arg(i)),
        (vs) =>
          vs.every((v) => typeof v === 'boolean')
            ? name === 'and'
              ? vs.every(Boolean)
              : vs.some(Boolean)
            : UNKNOWN_VALUE,
      );
    case 'equals':
      return lift([arg(0), arg(1)], ([a, b]) => a === b);
    case 'empty':
      return lift([arg(0)], ([v]) =>
        v === null || v === ''
          ? true
          : Array.isArray(v)
            ? v.length === 0
            : typeof v === 'object'
              ? Object.keys(v as object).length === 0
              : typeof v === 'string'
                ? false
                : UNKNOWN_VALUE,
      );
    case 'tolower':
    case 'toupper':
      return lift([arg(0)], ([v]) =>
        typeof v === 'string' ? (name === 'tolower' ? v.toLowerCase() : v.toUpperCase()) : UNKNOWN_VALUE,
      );
    case 'concat':
      return lift(
        argNodes.map((_, i) => arg(i)),
        (vs) =>
          vs.every((v) => typeof v === 'string' || typeof v === 'number') ? vs.join('') : UNKNOWN_VALUE,
      );
    case 'format':
      return lift(
        argNodes.map((_, i) => arg(i)),
        ([f, ...rest]) =>
          typeof f === 'string' && rest.every((v) => typeof v === 'string' || typeof v === 'number')
            ? f.replace(/\{(\d+)\}/g, (_, n: string) => String(rest[Number(n)]))
            : UNKNOWN_VALUE,
      );
    case 'resourceid':
    case 'subscriptionresourceid':
      // The provider path only (`Microsoft.X/type/name/child/name`): enough to tell what a scope names.
      return lift(
        argNodes.map((_, i) => arg(i)),
        (vs) => {
          const at = vs.findIndex((v) => typeof v === 'string' && /^[A-Za-z]+\.[A-Za-z]+\//.test(v));
          if (at === -1 || !vs.every((v) => typeof v === 'string')) return UNKNOWN_VALUE;
          const [namespace, ...types] = (vs[at] as string).split('/');
          const names = vs.slice(at + 1) as string[];
          if (names.length !== types.length) return UNKNOWN_VALUE;
          return [namespace, ...types.flatMap((t, i) => [t, names[i]])].join('/');
        },
      );
    case 'createarray':
      return lift(
        argNodes.map((_, i) => arg(i)),
        (vs) => vs,
      );
    default:
      return UNKNOWN;
  }
}

/** Every value `value` may take: itself when literal, its evaluation when an expression. */
export function evaluate(value: unknown, scope: ExpressionScope): Possible {
  if (!isExpression(value))
    return known(typeof value === 'string' && value.startsWith('[[') ? value.slice(1) : value);
  const node = parse(value);
  return node ? evaluateNode(node, scope) : UNKNOWN;
}
