/**
 * The JSON text of a read's released rows, made once when the read is released (its digest and
 * byte count are over exactly this text) and carried beside the value so that a transport
 * sends those same bytes instead of serialising the rows a second time. Non-enumerable and
 * symbol-keyed: a copy of the value (spread, structuredClone) drops it, and then the copy is
 * serialised in full, which is slower but says the same.
 */
const ROWS_JSON = Symbol('agentgate.rowsJson');

export function withRowsJson<T extends { rows: unknown[] }>(value: T, rowsJson: string): T {
  Object.defineProperty(value, ROWS_JSON, { value: rowsJson, enumerable: false });
  return value;
}

/** The value's JSON with its rows as released; undefined when it carries no released rows. */
export function releasedJson(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const rowsJson = (value as { [ROWS_JSON]?: unknown })[ROWS_JSON];
  if (typeof rowsJson !== 'string' || !Array.isArray((value as { rows?: unknown }).rows)) return undefined;
  const { rows: _rows, ...rest } = value as { rows: unknown[] };
  const head = JSON.stringify(rest);
  return head === '{}' ? `{"rows":${rowsJson}}` : `${head.slice(0, -1)},"rows":${rowsJson}}`;
}
