import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_DEMO_CUSTOMERS,
  generateDemoData,
  isLuhnValid,
  luhnCheckDigit,
  seededRandom,
} from '../../../cli/dev/demo-data.js';
import { DEMO_CLASSIFICATION } from '../../../cli/dev/demo-database.js';

describe('demo data', () => {
  it('computes Luhn check digits of the published test card numbers', () => {
    assert.equal(luhnCheckDigit('411111111111111'), '1');
    assert.equal(luhnCheckDigit('555555555555444'), '4');
    assert.equal(luhnCheckDigit('37828224631000'), '5');
    assert.equal(isLuhnValid('4111111111111111'), true);
    assert.equal(isLuhnValid('4111111111111112'), false);
    assert.equal(isLuhnValid('4111-1111'), false);
  });

  it('is deterministic: two generations give the same rows', () => {
    const a = generateDemoData({ customers: 300 });
    const b = generateDemoData({ customers: 300 });
    assert.deepEqual(a.customers.slice(0, 20), b.customers.slice(0, 20));
    assert.deepEqual(a, b);
    const other = generateDemoData({ customers: 300, seed: 7 });
    assert.notDeepEqual(other.customers[0], a.customers[0]);
  });

  it('draws from a seeded generator in [0, 1)', () => {
    const r = seededRandom(42);
    const values = Array.from({ length: 1000 }, r);
    assert.ok(values.every((v) => v >= 0 && v < 1));
    assert.ok(new Set(values).size > 990, 'no short cycle');
    assert.deepEqual(Array.from({ length: 5 }, seededRandom(42)), values.slice(0, 5));
  });

  it('generates 10,000 customers by default with well-formed sensitive values', () => {
    const data = generateDemoData();
    assert.equal(DEFAULT_DEMO_CUSTOMERS, 10_000);
    assert.equal(data.customers.length, 10_000);
    for (const c of data.customers) {
      assert.ok(isLuhnValid(c.card_number), `card ${c.card_number}`);
      assert.match(c.card_number, /^(4\d{15}|5[1-5]\d{14}|3[47]\d{13})$/);
      assert.match(c.ssn, /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/);
      assert.match(c.email, /^[a-z.]+\d+@example\.(com|org|net)$/);
      assert.match(c.phone, /^\+1-\d{3}-555-01\d{2}$/);
    }
    assert.equal(new Set(data.customers.map((c) => c.email)).size, data.customers.length, 'emails unique');
    for (const p of data.payments) assert.ok(isLuhnValid(p.card_number));
  });

  it('keeps references consistent and formats orders', () => {
    const data = generateDemoData({ customers: 500 });
    const customerIds = new Set(data.customers.map((c) => c.id));
    const orderIds = new Set(data.orders.map((o) => o.id));
    assert.ok(data.orders.length > 500);
    for (const o of data.orders) {
      assert.ok(customerIds.has(o.customer_id));
      assert.match(o.order_ref, /^ORD-20\d\d-\d{6}$/);
      assert.match(o.amount, /^\d{1,8}\.\d{2}$/);
    }
    for (const p of data.payments) assert.ok(orderIds.has(p.order_id));
    for (const t of data.support_tickets) assert.ok(customerIds.has(t.customer_id));
  });

  it('leaks identifiers into some ticket bodies, as real tickets do', () => {
    const { support_tickets } = generateDemoData({ customers: 2000 });
    const bodies = support_tickets.map((t) => t.body);
    assert.ok(
      bodies.some((b) => /@example\.(com|org|net)/.test(b)),
      'an email',
    );
    assert.ok(
      bodies.some((b) => /555-01\d\d/.test(b)),
      'a phone',
    );
    assert.ok(
      bodies.some((b) => /\b\d{15,16}\b/.test(b)),
      'a card number',
    );
    assert.ok(
      bodies.some((b) => /\d{4} \d{4} \d{4}/.test(b)),
      'a spaced card number',
    );
    assert.ok(
      bodies.some((b) => !/\d/.test(b)),
      'a ticket with nothing sensitive',
    );
  });

  it('classifies the sensitive demo columns', () => {
    assert.equal(DEMO_CLASSIFICATION['public.customers.card_number'], 'pci.pan');
    assert.equal(DEMO_CLASSIFICATION['public.payments.card_number'], 'pci.pan');
    assert.equal(DEMO_CLASSIFICATION['public.customers.email'], 'pii.email');
    assert.equal(DEMO_CLASSIFICATION['public.customers.phone'], 'pii.phone');
    assert.equal(DEMO_CLASSIFICATION['public.customers.ssn'], 'pii.ssn');
    assert.equal(DEMO_CLASSIFICATION['public.customers.full_name'], 'pii.name');
  });
});
