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

const BODY_JSON = Symbol('agentgate.bodyJson');

/** Rows JSON below this is put together in microseconds: not worth a turn of the event loop. */
const PREPARE_MIN_CHARS = 16_384;

/** Whether the value carries released rows large enough to make its JSON ahead. */
export function worthPreparing(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const rowsJson = (value as { [ROWS_JSON]?: unknown })[ROWS_JSON];
  return typeof rowsJson === 'string' && rowsJson.length >= PREPARE_MIN_CHARS;
}

/** The value's JSON with its rows as released; undefined when it carries no released rows. */
export function releasedJson(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const made = (value as { [BODY_JSON]?: unknown })[BODY_JSON];
  if (typeof made === 'string') return made;
  const rowsJson = (value as { [ROWS_JSON]?: unknown })[ROWS_JSON];
  if (typeof rowsJson !== 'string' || !Array.isArray((value as { rows?: unknown }).rows)) return undefined;
  const { rows: _rows, ...rest } = value as { rows: unknown[] };
  const head = JSON.stringify(rest);
  return head === '{}' ? `{"rows":${rowsJson}}` : `${head.slice(0, -1)},"rows":${rowsJson}}`;
}

/**
 * Makes the value's JSON ahead, while its audit event is being written (must-have 4 of
 * issue 12: the write is a round trip, the JSON is work that does not depend on it), so the
 * transport only hands it over once the event is durable. The value is frozen, so the text
 * made now is the value it is sent as; nothing is released by making it.
 */
export function prepareReleasedJson(value: unknown): void {
  if (!worthPreparing(value) || Object.isFrozen(value)) return;
  const text = releasedJson(value);
  if (text === undefined) return;
  Object.defineProperty(value, BODY_JSON, { value: text, enumerable: false });
  Object.freeze(value);
}
