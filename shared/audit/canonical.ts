import { hash } from 'node:crypto';

/**
 * RFC 8785 (JSON Canonicalization Scheme): one byte sequence per JSON value, so hashes and
 * signatures over audit events do not depend on key order or number formatting.
 *
 * Written here rather than taken from the `canonicalize` package (kept as the tests' oracle)
 * because every audit append runs it: the package builds each level with `reduce` and template
 * strings and costs about three times as much. What JCS asks beyond JSON.stringify is only
 * the key order (UTF-16 code units, which is what Array#sort compares) and refusing NaN and
 * the infinities; strings and numbers are already serialised by ECMAScript's rules, which is
 * what JCS specifies. Undefined, function and symbol members are left out of objects and
 * become null in arrays, as JSON.stringify does, so the canonical form of a value is the
 * canonical form of its JSON round trip.
 */

function number(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
  return JSON.stringify(value);
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function serialise(value: unknown, skipKey: string | undefined): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return number(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialise(toJSON.call(value), undefined);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += isOmitted(item) ? 'null' : serialise(item, undefined);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const member = record[key];
    if (key === skipKey || isOmitted(member)) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${serialise(member, undefined)}`;
  }
  return `${out}}`;
}

/**
 * Thrown by the copy at a key an object cannot simply be given: one that objects keep in
 * numeric order, or `__proto__` (assigned, it would set the copy's prototype and vanish from
 * the audit record).
 */
class UnsortableKey extends Error {}

const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

/**
 * A deep copy of a JSON value with every object's keys inserted in JCS order, so that
 * JSON.stringify (native, one call) writes it canonically. Objects list integer-like keys
 * first whatever the insertion order, so such a key (and `__proto__`) falls back to the
 * serialiser, whose text JSON.parse turns back into own data properties.
 */
function sortedCopy(value: unknown, skipKey: string | undefined): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
      // -0 is written "0": the copy must say what the text says.
      return value === 0 ? 0 : value;
    case 'object':
      break;
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return sortedCopy(toJSON.call(value), undefined);
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = isOmitted(item) ? null : sortedCopy(item, undefined);
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const member = record[key];
    if (key === skipKey || isOmitted(member)) continue;
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57 && INDEX_KEY.test(key)) || key === '__proto__') throw new UnsortableKey();
    out[key] = sortedCopy(member, undefined);
  }
  return out;
}

/**
 * An object's canonical JSON without one of its top-level members, and a deep copy of it
 * that is exactly what the text says (what the audit chain hashes and stores).
 */
export function canonicalCopyWithout<T extends object>(value: T, key: string): { text: string; copy: T } {
  try {
    const copy = sortedCopy(value, key) as T;
    return { text: JSON.stringify(copy), copy };
  } catch (e) {
    if (!(e instanceof UnsortableKey)) throw e;
    const text = serialise(value, key);
    return { text, copy: JSON.parse(text) as T };
  }
}

export function canonicalJson(value: unknown): string {
  if (isOmitted(value)) throw new TypeError('value has no JSON form');
  return serialise(value, undefined);
}

/**
 * The canonical JSON of an object without one of its own top-level members (the audit chain
 * hashes an event without its `chain` field), with no copy made to drop it.
 */
export function canonicalJsonWithout(value: object, key: string): string {
  return serialise(value, key);
}

/** Hex SHA-256 of a value's canonical JSON. */
export function canonicalSha256(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'hex');
}
