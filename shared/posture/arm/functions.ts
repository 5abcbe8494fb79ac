import type { Possible } from '../types.js';
import type { ExpressionScope } from './expression.js';
import { known, lift, merge, truthy, UNKNOWN, UNKNOWN_VALUE } from './possible.js';

/**
 * The ARM template functions the expression reader understands, by lower-case name. Any other
 * function evaluates to unknown. A Map, not an object: a name such as `constructor` or
 * `__proto__` in a template must not reach a property of Object.prototype.
 */

/** A call's arguments, evaluated on demand: `if` must evaluate only the branches it may take. */
export interface CallArgs {
  at(i: number): Possible;
  all(): Possible[];
}

export type ArmFunction = (args: CallArgs, scope: ExpressionScope) => Possible;

function parameters(args: CallArgs, scope: ExpressionScope): Possible {
  const n = args.at(0);
  return !n.unknown && typeof n.values[0] === 'string' ? scope.parameter(n.values[0]) : UNKNOWN;
}

function variables(args: CallArgs, scope: ExpressionScope): Possible {
  const n = args.at(0);
  return typeof n.values[0] === 'string' ? scope.variable(n.values[0]) : UNKNOWN;
}

function conditional(args: CallArgs): Possible {
  const c = truthy(args.at(0));
  return merge([...(c.t ? [args.at(1)] : []), ...(c.f ? [args.at(2)] : [])]);
}

const isText = (v: unknown) => typeof v === 'string' || typeof v === 'number';

function logical(op: 'and' | 'or'): ArmFunction {
  return (args) =>
    lift(args.all(), (vs) =>
      vs.every((v) => typeof v === 'boolean')
        ? op === 'and'
          ? vs.every(Boolean)
          : vs.some(Boolean)
        : UNKNOWN_VALUE,
    );
}

function emptiness(v: unknown): unknown {
  if (v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  if (typeof v === 'string') return false;
  return UNKNOWN_VALUE;
}

function formatted([f, ...rest]: unknown[]): unknown {
  if (typeof f !== 'string' || !rest.every(isText)) return UNKNOWN_VALUE;
  return f.replace(/\{(\d+)\}/g, (_, n: string) => String(rest[Number(n)]));
}

/** The provider path only (`Microsoft.X/type/name/child/name`): enough to tell what a scope names. */
function providerPath(vs: unknown[]): unknown {
  const at = vs.findIndex((v) => typeof v === 'string' && /^[A-Za-z]+\.[A-Za-z]+\//.test(v));
  if (at === -1 || !vs.every((v) => typeof v === 'string')) return UNKNOWN_VALUE;
  const [namespace, ...types] = (vs[at] as string).split('/');
  const names = vs.slice(at + 1) as string[];
  if (names.length !== types.length) return UNKNOWN_VALUE;
  return [namespace, ...types.flatMap((t, i) => [t, names[i]])].join('/');
}

/** A function of the first argument's values. */
const unary =
  (f: (v: unknown) => unknown): ArmFunction =>
  (args) =>
    lift([args.at(0)], ([v]) => f(v));

export const ARM_FUNCTIONS: ReadonlyMap<string, ArmFunction> = new Map<string, ArmFunction>([
  ['parameters', parameters],
  ['variables', variables],
  ['if', conditional],
  ['null', () => known(null)],
  ['true', () => known(true)],
  ['false', () => known(false)],
  ['bool', unary((v) => (typeof v === 'string' ? v.toLowerCase() === 'true' : v === true))],
  ['not', unary((v) => (typeof v === 'boolean' ? !v : UNKNOWN_VALUE))],
  ['and', logical('and')],
  ['or', logical('or')],
  ['equals', (args) => lift([args.at(0), args.at(1)], ([a, b]) => a === b)],
  ['empty', unary(emptiness)],
  ['tolower', unary((v) => (typeof v === 'string' ? v.toLowerCase() : UNKNOWN_VALUE))],
  ['toupper', unary((v) => (typeof v === 'string' ? v.toUpperCase() : UNKNOWN_VALUE))],
  ['concat', (args) => lift(args.all(), (vs) => (vs.every(isText) ? vs.join('') : UNKNOWN_VALUE))],
  ['format', (args) => lift(args.all(), formatted)],
  ['resourceid', (args) => lift(args.all(), providerPath)],
  ['subscriptionresourceid', (args) => lift(args.all(), providerPath)],
  ['createarray', (args) => lift(args.all(), (vs) => vs)],
]);
