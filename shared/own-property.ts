/**
 * Sets an own, enumerable data property. Keys here come from data (result columns an agent
 * can alias, stored items, request bodies): a `__proto__` key, which JSON.parse makes an own
 * key, must be defined as data, not assigned, or it changes the prototype and the value is
 * lost (or, in a masked copy, the clear value stays).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}
