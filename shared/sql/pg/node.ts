/**
 * Typed accessors over the libpg-query parse tree. The tree is plain JSON whose node
 * wrappers look like `{ "SelectStmt": { ...fields } }`; some fields hold bare bodies
 * (`relation`, `larg`), so accessors accept both shapes and never trust the input.
 */

export type Body = { readonly [key: string]: unknown };

export function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A node wrapper has exactly one key, a node type name such as `A_Const` or `RangeVar`. */
export function asNode(value: unknown): { kind: string; body: Body } | undefined {
  if (!isBody(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const kind = keys[0];
  const body = value[kind];
  if (!/^[A-Z]/.test(kind) || !isBody(body)) return undefined;
  return { kind, body };
}

export function bodyOf(value: unknown, kind: string): Body | undefined {
  const node = asNode(value);
  return node?.kind === kind ? node.body : undefined;
}

export function child(body: Body | undefined, key: string): Body | undefined {
  const value = body?.[key];
  return isBody(value) ? value : undefined;
}

export function items(body: Body | undefined, key: string): unknown[] {
  const value = body?.[key];
  return Array.isArray(value) ? value : [];
}

export function text(body: Body | undefined, key: string): string | undefined {
  const value = body?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** `{ String: { sval } }` elements of a name list; other elements (A_Star) give undefined. */
export function stringValue(value: unknown): string | undefined {
  return text(bodyOf(value, 'String'), 'sval');
}

export function names(list: unknown[]): string[] {
  const out: string[] = [];
  for (const item of list) {
    const name = stringValue(item);
    if (name !== undefined) out.push(name);
  }
  return out;
}
