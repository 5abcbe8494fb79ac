/**
 * Deterministic fake data for the embedded demo database. Everything comes from one seeded
 * generator so two runs produce byte-identical tables: tests and screenshots stay stable,
 * and a masking regression shows up as a diff rather than as noise.
 *
 * The values look sensitive on purpose (Luhn-valid test card numbers, well-formed SSNs,
 * emails, phones) so the masking detectors have something real to find; none belong to
 * anyone: emails use the reserved example.* domains and phones the fictional 555-01xx range.
 */

export interface DemoCustomer {
  id: number;
  full_name: string;
  email: string;
  phone: string;
  card_number: string;
  ssn: string;
  city: string;
  created_at: string;
}

export interface DemoOrder {
  id: number;
  customer_id: number;
  order_ref: string;
  amount: string;
  status: string;
  created_at: string;
}

export interface DemoPayment {
  id: number;
  order_id: number;
  card_number: string;
  amount: string;
  paid_at: string;
}

export interface DemoTicket {
  id: number;
  customer_id: number;
  subject: string;
  body: string;
  created_at: string;
}

export interface DemoData {
  customers: DemoCustomer[];
  orders: DemoOrder[];
  payments: DemoPayment[];
  support_tickets: DemoTicket[];
}

export const DEFAULT_DEMO_CUSTOMERS = 10_000;
const DEFAULT_SEED = 0x5eed_2024;

/** A small 32-bit generator (xorshift with a multiply finaliser); quality is ample for fake data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const mixed = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) >>> 0;
    return mixed / 0x1_0000_0000;
  };
}

/** Check digit that makes `body + digit` pass the Luhn test. */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  // Walking from the right, the digit next to the (future) check digit is doubled first.
  for (let i = body.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = body.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function isLuhnValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === digits.slice(-1);
}

const FIRST = [
  'Ada',
  'Bruno',
  'Chloe',
  'Dmitri',
  'Elena',
  'Farah',
  'Gustav',
  'Hana',
  'Ivan',
  'Jonas',
  'Keiko',
  'Liam',
  'Maya',
  'Nadia',
  'Omar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Victor',
  'Wen',
  'Ximena',
  'Yusuf',
  'Zoe',
];
const LAST = [
  'Andersen',
  'Baptiste',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Hoffmann',
  'Ibrahim',
  'Jensen',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quinn',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Ueda',
  'Varga',
  'Weber',
  'Yilmaz',
  'Zhang',
];
const CITIES = [
  'Amsterdam',
  'Berlin',
  'Chicago',
  'Dublin',
  'Edinburgh',
  'Frankfurt',
  'Geneva',
  'Helsinki',
  'Istanbul',
  'Johannesburg',
  'Kyoto',
  'Lisbon',
  'Madrid',
  'Nairobi',
  'Oslo',
  'Paris',
  'Quebec',
  'Rome',
  'Seattle',
  'Toronto',
  'Utrecht',
  'Vienna',
  'Warsaw',
  'Zurich',
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const PAID_STATUSES = new Set(['paid', 'shipped', 'delivered', 'refunded']);
/** Issuer prefixes of the well-known test card ranges, with the full length of each brand. */
const CARD_STYLES: ReadonlyArray<{ prefix: string; length: number }> = [
  { prefix: '411111', length: 16 },
  { prefix: '401288', length: 16 },
  { prefix: '555555', length: 16 },
  { prefix: '510510', length: 16 },
  { prefix: '378282', length: 15 },
  { prefix: '371449', length: 15 },
];
const SUBJECTS = [
  'Card declined at checkout',
  'Refund not received',
  'Update my contact details',
  'Order arrived damaged',
  'Question about an invoice',
  'Cannot log in',
];

/** Demo timeline starts 2023-01-01T00:00:00Z and spans two years. */
const EPOCH_MS = Date.UTC(2023, 0, 1);
const SPAN_MS = 2 * 365 * 24 * 3600 * 1000;

export function generateDemoData(options: { customers?: number; seed?: number } = {}): DemoData {
  const count = options.customers ?? DEFAULT_DEMO_CUSTOMERS;
  if (!Number.isInteger(count) || count < 1) throw new TypeError('customers must be a positive integer');
  const rand = seededRandom(options.seed ?? DEFAULT_SEED);
  const int = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const digits = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += String(int(0, 9));
    return s;
  };
  const card = () => {
    const style = pick(CARD_STYLES);
    const body = style.prefix + digits(style.length - style.prefix.length - 1);
    return body + luhnCheckDigit(body);
  };
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  // Area 666 and 900-999 are never issued; group and serial are never zero.
  const ssn = () => {
    let area = int(1, 899);
    if (area === 666) area = 667;
    return `${pad(area, 3)}-${pad(int(1, 99), 2)}-${pad(int(1, 9999), 4)}`;
  };
  const phone = () => `+1-${int(201, 989)}-555-01${pad(int(0, 99), 2)}`;
  const moment = (fromMs: number, spanMs: number) => new Date(fromMs + Math.floor(rand() * spanMs));
  const money = (minCents: number, maxCents: number) => {
    const cents = int(minCents, maxCents);
    return `${Math.floor(cents / 100)}.${pad(cents % 100, 2)}`;
  };

  const customers: DemoCustomer[] = [];
  const orders: DemoOrder[] = [];
  const payments: DemoPayment[] = [];
  const tickets: DemoTicket[] = [];

  for (let id = 1; id <= count; id++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const createdMs = moment(EPOCH_MS, SPAN_MS).getTime();
    const customer: DemoCustomer = {
      id,
      full_name: `${first} ${last}`,
      email: `${first}.${last}${id}@${pick(DOMAINS)}`.toLowerCase(),
      phone: phone(),
      card_number: card(),
      ssn: ssn(),
      city: pick(CITIES),
      created_at: new Date(createdMs).toISOString(),
    };
    customers.push(customer);

    const orderCount = int(0, 5);
    for (let k = 0; k < orderCount; k++) {
      const orderId = orders.length + 1;
      const placed = moment(createdMs, EPOCH_MS + SPAN_MS - createdMs + 1);
      const status = pick(STATUSES);
      const order: DemoOrder = {
        id: orderId,
        customer_id: id,
        order_ref: `ORD-${placed.getUTCFullYear()}-${pad(orderId, 6)}`,
        amount: money(500, 250_000),
        status,
        created_at: placed.toISOString(),
      };
      orders.push(order);
      if (PAID_STATUSES.has(status)) {
        payments.push({
          id: payments.length + 1,
          order_id: orderId,
          // Most customers pay with the card on file; some use another one.
          card_number: rand() < 0.8 ? customer.card_number : card(),
          amount: order.amount,
          paid_at: new Date(placed.getTime() + int(1, 3600) * 1000).toISOString(),
        });
      }
    }

    if (rand() < 0.2) {
      tickets.push({
        id: tickets.length + 1,
        customer_id: id,
        subject: pick(SUBJECTS),
        body: ticketBody(rand(), customer),
        created_at: moment(createdMs, 30 * 24 * 3600 * 1000).toISOString(),
      });
    }
  }
  return { customers, orders, payments, support_tickets: tickets };
}

/** Free text that leaks identifiers the way real tickets do, so content detection has work. */
function ticketBody(roll: number, c: DemoCustomer): string {
  if (roll < 0.25) return `Hi, my card ${c.card_number} was charged twice. Please call me on ${c.phone}.`;
  if (roll < 0.5) return `Please send the receipt to ${c.email} instead of the old address.`;
  if (roll < 0.65) {
    const spaced = c.card_number.replace(/(\d{4})(?=\d)/g, '$1 ');
    return `Checkout rejected ${spaced}, tried twice. Reach me at ${c.email} or ${c.phone}.`;
  }
  return 'The parcel arrived late and the box was damaged. No other details.';
}
