/**
 * What the demo connections expose to agents, and the budget that keeps one agent from
 * paging through the customers table: every demo table (never a system catalog), and at
 * most 4,000 rows (40% of the 10,000 customers) per agent per hour.
 */
export const DEMO_EXPOSURE: Record<string, Record<string, never>> = {
  'public.customers': {},
  'public.orders': {},
  'public.payments': {},
  'public.support_tickets': {},
};

/** Text columns reviewed as harmless: values computed from them need not be redacted. */
export const DEMO_PUBLIC_COLUMNS: Record<string, string> = {
  'public.customers.city': 'public',
  'public.orders.order_ref': 'public',
  'public.orders.status': 'public',
  // One of a few fixed phrases in the demo data: filtering on it needs no approval. The
  // ticket's body stays free text, which the content scan masks and a filter may not test.
  'public.support_tickets.subject': 'public',
};

export const DEMO_BUDGET = { rows: 4000, bytes: 20_000_000, windowSeconds: 3600 } as const;

/** The customers table has its own, tighter budget: 3,000 of its rows per agent per hour. */
export const DEMO_TABLE_BUDGETS = {
  'public.customers': { rows: 3000, bytes: 10_000_000, windowSeconds: 3600 },
} as const;
