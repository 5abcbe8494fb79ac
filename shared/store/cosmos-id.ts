/**
 * Whether Cosmos DB could hold an item with this id, and a lookup by it would reach that item.
 * The SDK puts the id into the request path as it is, and the URL parser then reads it: `.` and
 * `..` (and `%2e%2e`, or dots split by a tab or newline, which the parser drops) are dot
 * segments, so `docs/..` read the container itself and `docs/.` every item in it (red-team round
 * 24, through MCP's request_status). Cosmos DB refuses `/`, `\`, `#` and `?` in ids, and the
 * SDK cannot put a lone surrogate in a URL. An id the gateway never issues would otherwise read
 * as the store being down (an error-level log and `store_unavailable`, red-team round 16) or
 * as something else entirely. Such an id names nothing: not found.
 */
export function cosmosCanHoldId(id: string): boolean {
  return id.length > 0 && !/[/\\#?%]|\p{Cs}|\p{Cc}/u.test(id) && !/^\.+$/.test(id);
}

/**
 * Whether what a point read answered is the item asked for: a second guard against any path
 * trick the first misses (the container's own definition has its own id).
 */
export function isItemFor(resource: unknown, id: string): boolean {
  return typeof resource === 'object' && resource !== null && (resource as { id?: unknown }).id === id;
}
