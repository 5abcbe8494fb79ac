import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createMasker } from '../../../shared/masking/index.js';

/**
 * Values side by side, as a CSV line or a log line puts them (red-team round 43): a phone
 * number took the first digits of the SSN after it as its own and masked them, so the SSN went
 * out but its first digit; a phone or a card before `,7` or `,50` was read as an amount's
 * integer part and went out in clear; the middle groups of a phone and a card read as a card
 * and left the phone's first digits in clear. Each value's leading digits must never show.
 */

const masker = createMasker();

const SENSITIVE = [
  '+1-586-555-0199',
  '586-555-0199',
  '(586) 555-0199',
  '586.555.0199',
  '586 555 0199',
  '+44 20 7946 0958',
  '+15865550199',
  '748-93-8418',
  '5555551001146646',
  '5555 5510 0114 6646',
  '5555-5510-0114-6646',
];

/** The digits a mask never shows: a value's first six (after its country code). */
function leading(value: string): string {
  const d = value.replace(/\D/g, '');
  if (d.length === 11 && d.startsWith('1')) return d.slice(1, 7);
  return d.startsWith('44') ? d.slice(2, 8) : d.slice(0, 6);
}

function assertNoLeadingDigits(line: string, values: readonly string[]): void {
  const out = masker.maskText(line) ?? '';
  const flat = out.replace(/[-\s.()+]/g, '');
  for (const v of values) {
    if (SENSITIVE.includes(v))
      assert.ok(!flat.includes(leading(v)), `${JSON.stringify(line)} -> ${JSON.stringify(out)} (${v})`);
  }
}

test('round 43: the cases found, each value masked whole', () => {
  for (const [line, values] of [
    ['+1-586-555-0199,748-93-8418', ['+1-586-555-0199', '748-93-8418']],
    ['1,Bern,+1-586-555-0199,748-93-8418,x', ['+1-586-555-0199', '748-93-8418']],
    ['+1-586-555-0199,5555551001146646', ['+1-586-555-0199', '5555551001146646']],
    ['+1-586-555-0199 5555 5510 0114 6646', ['+1-586-555-0199', '5555 5510 0114 6646']],
    ['5555 5510 0114 6646 748-93-8418', ['5555 5510 0114 6646', '748-93-8418']],
    ['586-555-0199,7', ['586-555-0199']],
    ['586.555.0199,42', ['586.555.0199']],
    ['5555 5510 0114 6646,50', ['5555 5510 0114 6646']],
    ['5555 5510 0114 6646,500', ['5555 5510 0114 6646']],
  ] as const) {
    assertNoLeadingDigits(line, values);
  }
  // Amounts keep reading as amounts.
  for (const text of ['101 46 1357.30', '3943,10000,1468.76', 'total 1 234 567,89', '12 345,67 EUR']) {
    assert.equal(masker.maskText(text), text);
  }
  assert.equal(masker.maskText('5560 3079 2642 6719 724,000.00'), '************6719 724,000.00');
});

test('fuzz: sensitive values and ordinary fields joined by any list separator', () => {
  const other = fc.oneof(
    fc.integer({ min: 0, max: 9999 }).map(String),
    fc.integer({ min: 0, max: 99999 }).map((n) => (n / 100).toFixed(2)),
    fc.integer({ min: 0, max: 99999 }).map((n) => (n / 100).toFixed(2).replace('.', ',')),
    fc.constantFrom('Bern', 'Lyon', '2024-05-16', 'x', ''),
  );
  const field = fc.oneof(fc.constantFrom(...SENSITIVE), other);
  fc.assert(
    fc.property(
      fc.array(field, { minLength: 2, maxLength: 6 }),
      fc.constantFrom(',', ';', '|', '\t', ', ', ' ', '/'),
      (fields, sep) => assertNoLeadingDigits(fields.join(sep), fields),
    ),
    { numRuns: 2000 },
  );
});
