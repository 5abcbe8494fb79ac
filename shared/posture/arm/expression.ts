import type { Possible } from '../types.js';
import { ARM_FUNCTIONS } from './functions.js';
import { known, lift, UNKNOWN, UNKNOWN_VALUE } from './possible.js';

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

export { known } from './possible.js';

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

function evaluateNode(node: Node, scope: ExpressionScope): Possible {
  switch (node.kind) {
    case 'literal':
      return known(node.value);
    case 'member': {
      const target = evaluateNode(node.target, scope);
      const key = evaluateNode(node.key, scope);
      return lift([target, key], ([t, k]) => {
        if (typeof t === 'object' && t !== null && (typeof k === 'string' || typeof k === 'number')) {
          // Own properties only: `.constructor` or `['__proto__']` in a template is unknown,
          // never a built-in of the object that happens to hold the value.
          const v = Object.hasOwn(t, k) ? (t as Record<string, unknown>)[k] : undefined;
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
  const f = ARM_FUNCTIONS.get(name);
  if (!f) return UNKNOWN;
  return f(
    {
      at: (i) => (argNodes[i] ? evaluateNode(argNodes[i], scope) : UNKNOWN),
      all: () => argNodes.map((n) => evaluateNode(n, scope)),
    },
    scope,
  );
}

/** Every value `value` may take: itself when literal, its evaluation when an expression. */
export function evaluate(value: unknown, scope: ExpressionScope): Possible {
  if (!isExpression(value))
    return known(typeof value === 'string' && value.startsWith('[[') ? value.slice(1) : value);
  const node = parse(value);
  return node ? evaluateNode(node, scope) : UNKNOWN;
}
