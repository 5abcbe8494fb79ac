import { z } from 'zod';
import { CUSTOM_CLASS_OPERATOR, DATA_CLASS_PATTERN, DEFAULT_OPERATORS } from './classes.js';

/**
 * Operator specs (`redact`, `partial:N`, `email`, `token`, `null`, `default`) parsed once,
 * when a masker is built, so a typo in configuration stops the gateway instead of leaking.
 */
export type Operator =
  | { kind: 'redact' }
  | { kind: 'partial'; keep: number }
  | { kind: 'email' }
  | { kind: 'token' }
  | { kind: 'null' }
  | { kind: 'default' };

const specSchema = z.union([
  z.enum(['redact', 'email', 'token', 'null', 'default']).transform((kind) => ({ kind }) as Operator),
  z
    .string()
    .regex(/^partial:(?:[0-9]|[1-5][0-9]|6[0-4])$/)
    .transform((s): Operator => ({ kind: 'partial', keep: Number(s.slice(8)) })),
]);

export function parseOperator(spec: string): Operator | undefined {
  const parsed = specSchema.safeParse(spec.trim());
  return parsed.success ? parsed.data : undefined;
}

/**
 * How much an operator reveals, lowest first. Redact, null and default reveal nothing;
 * a token reveals equality between cells; partial reveals N characters; email reveals the
 * first letter and the whole domain.
 */
export function revealRank(op: Operator): number {
  switch (op.kind) {
    case 'redact':
    case 'null':
    case 'default':
      return 0;
    case 'token':
      return 1;
    case 'partial':
      return 2 + op.keep / 100;
    case 'email':
      return 3;
  }
}

export interface OperatorTable {
  forClass(dataClass: string): Operator;
  /** True when some class (configured or defaulted) uses the token operator. */
  readonly usesToken: boolean;
}

/**
 * Merges configured specs over the defaults. A defaulted `token` without a key falls back
 * to `redact` (reveals less); a configured `token` without a key is an error.
 */
export function buildOperatorTable(overrides: Record<string, string>, hasKey: boolean): OperatorTable {
  const table = new Map<string, Operator>();
  for (const [cls, spec] of Object.entries(DEFAULT_OPERATORS)) {
    const op = parseOperator(spec)!;
    table.set(cls, op.kind === 'token' && !hasKey ? { kind: 'redact' } : op);
  }
  for (const [cls, spec] of Object.entries(overrides)) {
    if (!DATA_CLASS_PATTERN.test(cls)) {
      throw new Error(`Invalid masking configuration: "${cls}" is not a lower-case dotted data class`);
    }
    const op = parseOperator(spec);
    if (!op) {
      throw new Error(
        `Invalid masking operator for ${cls}: "${spec}" (expected redact, partial:N, email, token, null or default)`,
      );
    }
    if (op.kind === 'token' && !hasKey) {
      throw new Error(`Masking operator for ${cls} is token, but no token key was given`);
    }
    table.set(cls, op);
  }
  const fallback = parseOperator(CUSTOM_CLASS_OPERATOR)!;
  const usesToken = [...table.values()].some((op) => op.kind === 'token');
  return { forClass: (cls) => table.get(cls) ?? fallback, usesToken };
}
