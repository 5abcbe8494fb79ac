import type { Possible } from '../types.js';

/**
 * Arithmetic over sets of possible values: what an ARM expression may evaluate to. A set is
 * never widened by a guess; whatever cannot be told is marked `unknown`.
 */

export const UNKNOWN: Possible = { values: [], unknown: true };

/** What a function gives for a combination of values it cannot evaluate. */
export const UNKNOWN_VALUE = Symbol('unknown');

export function known(value: unknown): Possible {
  return { values: [value], unknown: false };
}

/** Every value any of `parts` may take, each once. */
export function merge(parts: Possible[]): Possible {
  const values: unknown[] = [];
  let unknown = false;
  for (const p of parts) {
    unknown ||= p.unknown;
    for (const v of p.values) if (!values.some((w) => Object.is(w, v))) values.push(v);
  }
  return { values, unknown };
}

/** Applies `f` to every combination of the arguments' values (bounded; past that, unknown). */
export function lift(args: Possible[], f: (values: unknown[]) => unknown): Possible {
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

/** Whether a condition may be true (`t`) and whether it may be anything else (`f`). */
export function truthy(p: Possible): { t: boolean; f: boolean } {
  if (p.unknown) return { t: true, f: true };
  return { t: p.values.some((v) => v === true), f: p.values.some((v) => v !== true) };
}
