/**
 * Every bound on what a caller may send, in one place, so that REST, MCP and the OpenAPI
 * document agree. Larger inputs are refused before anything is parsed or decided.
 */
export const LIMITS = {
  /** One JSON request body (REST) or tool call arguments (MCP). */
  bodyBytes: 256 * 1024,
  /** What the local host reads off the socket before the adapter looks at it. */
  hostBodyBytes: 1024 * 1024,
  statementChars: 100_000,
  params: 1000,
  paramChars: 100_000,
  maxRows: 1_000_000,
  purposeChars: 1000,
  /** Connection ids are at most 63 characters; longer route values are cut to this in audit. */
  routeValueChars: 128,
  auditFilterChars: 512,
  auditPageMax: 200,
  continuationChars: 8192,
} as const;

/** Route values are attacker-chosen: only a bounded prefix goes into the audit record. */
export function boundedRouteValue(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value.length > LIMITS.routeValueChars ? `${value.slice(0, LIMITS.routeValueChars)}…` : value;
}
