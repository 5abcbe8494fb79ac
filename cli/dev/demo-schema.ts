import type { PGlite } from '@electric-sql/pglite';
import type { DemoData } from './demo-data.js';

/**
 * Schema and bulk load of the demo database. Indexes and ANALYZE are part of the load
 * because the gateway's policies read planner estimates (`EXPLAIN` Plan Rows): without
 * statistics the planner guesses and approval thresholds would fire at random.
 */

/** How the demo's sensitive columns are classified for masking (`schema.table.column` -> class). */
export const DEMO_CLASSIFICATION: Record<string, string> = {
  'public.customers.card_number': 'pci.pan',
  'public.customers.email': 'pii.email',
  'public.customers.phone': 'pii.phone',
  'public.customers.ssn': 'pii.ssn',
  'public.customers.full_name': 'pii.name',
  'public.payments.card_number': 'pci.pan',
};

const SCHEMA = `
create table public.customers (
  id integer primary key,
  full_name text not null,
  email text not null,
  phone text not null,
  card_number varchar(19) not null,
  ssn char(11) not null,
  city text not null,
  created_at timestamptz not null
);
create table public.orders (
  id integer primary key,
  customer_id integer not null references public.customers(id),
  order_ref varchar(20) not null unique,
  amount numeric(10,2) not null,
  status text not null,
  created_at timestamptz not null
);
create table public.payments (
  id integer primary key,
  order_id integer not null references public.orders(id),
  card_number varchar(19) not null,
  amount numeric(10,2) not null,
  paid_at timestamptz not null
);
create table public.support_tickets (
  id integer primary key,
  customer_id integer not null references public.customers(id),
  subject text not null,
  body text not null,
  created_at timestamptz not null
);
`;

// Created after the load: building an index once is cheaper than maintaining it per row.
const INDEXES = `
create index customers_city_idx on public.customers (city);
create index customers_email_idx on public.customers (email);
create index orders_customer_idx on public.orders (customer_id);
create index orders_created_idx on public.orders (created_at);
create index payments_order_idx on public.payments (order_id);
create index support_tickets_customer_idx on public.support_tickets (customer_id);
`;

/** Column order of each table in the COPY stream. */
const COLUMNS = {
  customers: ['id', 'full_name', 'email', 'phone', 'card_number', 'ssn', 'city', 'created_at'],
  orders: ['id', 'customer_id', 'order_ref', 'amount', 'status', 'created_at'],
  payments: ['id', 'order_id', 'card_number', 'amount', 'paid_at'],
  support_tickets: ['id', 'customer_id', 'subject', 'body', 'created_at'],
} as const satisfies Record<keyof DemoData, readonly string[]>;

function csvField(value: unknown): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(rows: ReadonlyArray<object>, columns: readonly string[]): string {
  const lines = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Record<string, unknown>;
    lines[i] = columns.map((c) => csvField(row[c])).join(',');
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Creates the tables, loads them with COPY (one round trip per table), indexes and analyses. */
export async function loadDemoSchema(db: PGlite, data: DemoData): Promise<void> {
  await db.exec(SCHEMA);
  // Parents before children so the foreign keys hold during the load.
  for (const table of ['customers', 'orders', 'payments', 'support_tickets'] as const) {
    const columns = COLUMNS[table];
    const csv = toCsv(data[table], columns);
    await db.query(`copy public.${table} (${columns.join(', ')}) from '/dev/blob' with (format csv)`, [], {
      blob: new Blob([csv]),
    });
  }
  await db.exec(INDEXES);
  await db.exec('analyze');
}

/** The same DDL for loaders that reach a real server through `pg` (cli/dev/demo-load-pg.ts). */
export { INDEXES as DEMO_INDEXES_SQL, SCHEMA as DEMO_SCHEMA_SQL };
