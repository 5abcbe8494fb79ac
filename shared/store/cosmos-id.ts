/**
 * Whether Cosmos DB could hold an item with this id. It refuses `/`, `\`, `#` and `?` in ids,
 * and the SDK cannot put a lone surrogate in a URL, so a lookup by such an id fails as an
 * error: an id the gateway never issues would read as the store being down (an error-level
 * log and `store_unavailable`, red-team round 16). Such an id names nothing: not found.
 */
export function cosmosCanHoldId(id: string): boolean {
  return !/[/\\#?]|\p{Cs}/u.test(id);
}
