import { type Catalog, type CatalogTable, catalogOf } from '../../shared/sql/catalog.js';

/** The embedded demo's four tables as the target's catalog describes them (attnum order). */
export const DEMO_TABLES: CatalogTable[] = [
  {
    name: 'public.customers',
    columns: [
      ['id', 'int4'],
      ['full_name', 'text'],
      ['email', 'text'],
      ['phone', 'text'],
      ['card_number', 'varchar'],
      ['ssn', 'bpchar'],
      ['city', 'text'],
      ['created_at', 'timestamptz'],
    ].map(([name, type]) => ({ name, type, exposed: true })),
  },
  {
    name: 'public.orders',
    columns: [
      ['id', 'int4'],
      ['customer_id', 'int4'],
      ['order_ref', 'varchar'],
      ['amount', 'numeric'],
      ['status', 'text'],
      ['created_at', 'timestamptz'],
    ].map(([name, type]) => ({ name, type, exposed: true })),
  },
  {
    name: 'public.payments',
    columns: [
      ['id', 'int4'],
      ['order_id', 'int4'],
      ['card_number', 'varchar'],
      ['amount', 'numeric'],
      ['paid_at', 'timestamptz'],
    ].map(([name, type]) => ({ name, type, exposed: true })),
  },
  {
    name: 'public.support_tickets',
    columns: [
      ['id', 'int4'],
      ['customer_id', 'int4'],
      ['subject', 'text'],
      ['body', 'text'],
      ['created_at', 'timestamptz'],
    ].map(([name, type]) => ({ name, type, exposed: true })),
  },
];

export const DEMO_CATALOG: Catalog = catalogOf(DEMO_TABLES);
