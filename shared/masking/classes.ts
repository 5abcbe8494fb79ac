/**
 * Data classes known to the engine and how restrictive each is. Custom classes (any
 * lower-case dotted name) are allowed; they rank after the built-in ones.
 */

/** Built-in classes, most restrictive first: when several classes meet, the earliest wins. */
export const BUILTIN_CLASSES = [
  'secret',
  'pci.pan',
  'pii.ssn',
  'pii.iban',
  'pii.email',
  'pii.phone',
  'pii.name',
  'pii.ip',
] as const;

export type BuiltinClass = (typeof BUILTIN_CLASSES)[number];

/** Operator spec per built-in class when the configuration does not override it. */
export const DEFAULT_OPERATORS: Readonly<Record<BuiltinClass, string>> = {
  secret: 'redact',
  'pci.pan': 'partial:4',
  'pii.ssn': 'redact',
  'pii.iban': 'partial:4',
  'pii.email': 'email',
  'pii.phone': 'partial:2',
  'pii.name': 'token',
  'pii.ip': 'redact',
};

/** Classes nobody configured get the operator that reveals nothing. */
export const CUSTOM_CLASS_OPERATOR = 'redact';

/** Same rule as the connections file, so a class valid there is valid here. */
export const DATA_CLASS_PATTERN = /^[a-z][a-z0-9_.-]*$/;

const ORDER = new Map<string, number>(BUILTIN_CLASSES.map((c, i) => [c, i]));

/** Position of a built-in class in `BUILTIN_CLASSES` (lower is more restrictive), or -1. */
export function builtinIndex(dataClass: string): number {
  return ORDER.get(dataClass) ?? -1;
}

export function isBuiltinClass(dataClass: string): dataClass is BuiltinClass {
  return ORDER.has(dataClass);
}

/** Negative when `a` is more restrictive than `b`; custom classes compare by name for stable output. */
export function compareClasses(a: string, b: string): number {
  const ra = ORDER.get(a) ?? BUILTIN_CLASSES.length;
  const rb = ORDER.get(b) ?? BUILTIN_CLASSES.length;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Columns classified `public` are known to hold nothing to mask. */
export const PUBLIC_DATA_CLASS = 'public';

/**
 * Families the built-in classes live in. A name in one of them that is not built in is a
 * typo (`pii.emial`), never a custom class: accepting it would leave the column unmasked
 * under the custom-class fallback without anyone noticing.
 */
const BUILTIN_FAMILIES = ['secret', 'pci', 'pii'];

function inBuiltinFamily(dataClass: string): boolean {
  return BUILTIN_FAMILIES.some((f) => dataClass === f || dataClass.startsWith(`${f}.`));
}

/** The classes a configuration may use: built-in, `public`, and custom ones it declares. */
export function knownClasses(declaredCustom: Iterable<string> = []): string[] {
  const custom = [...declaredCustom].filter((c) => !isBuiltinClass(c) && c !== PUBLIC_DATA_CLASS);
  return [...BUILTIN_CLASSES, PUBLIC_DATA_CLASS, ...[...new Set(custom)].sort()];
}

/**
 * Why `dataClass` may not be used, or undefined when it may. A custom class must be declared
 * (given an operator under `masking.operators`) and must stay out of the built-in families.
 */
export function dataClassProblem(dataClass: string, declaredCustom: ReadonlySet<string>): string | undefined {
  if (!DATA_CLASS_PATTERN.test(dataClass)) return `"${dataClass}" is not a lower-case dotted data class`;
  if (isBuiltinClass(dataClass) || dataClass === PUBLIC_DATA_CLASS) return undefined;
  if (inBuiltinFamily(dataClass)) {
    return `unknown data class "${dataClass}" (valid: ${knownClasses(declaredCustom).join(', ')})`;
  }
  if (declaredCustom.has(dataClass)) return undefined;
  return (
    `unknown data class "${dataClass}" (valid: ${knownClasses(declaredCustom).join(', ')}; ` +
    'a custom class is declared by giving it an operator under masking.operators)'
  );
}

/** Custom classes a `masking.operators` table declares: its keys outside the built-in families. */
export function declaredCustomClasses(operatorKeys: Iterable<string>): Set<string> {
  return new Set(
    [...operatorKeys].filter(
      (c) =>
        !isBuiltinClass(c) && c !== PUBLIC_DATA_CLASS && !inBuiltinFamily(c) && DATA_CLASS_PATTERN.test(c),
    ),
  );
}
