import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
// Generated with the demo data's Luhn, independent of the detector under test.
import { luhnCheckDigit } from '../../../cli/dev/demo-data.js';
import { type ColumnPlan, createMasker } from '../../../shared/masking/index.js';
import type { Row } from '../../../shared/types.js';

/**
 * Random rows of everyday tokens with sensitive values injected at random places: nothing
 * injected may come out, and the everyday tokens around them must come out untouched.
 * Tokens hold no spaces, so a cell keeps its token count and tokens compare by position.
 */

const masker = createMasker({ tokenKey: 'property-key-0123456789abcdef' });

// ---------- safe tokens ----------

const word = fc.stringMatching(/^[a-z]{1,12}$/);
const timestamp = fc
  .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
const orderRef = fc
  .tuple(fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([y, n]) => `ORD-${y}-${String(n).padStart(6, '0')}`);
const amount = fc.integer({ min: 0, max: 99_999_999 }).map((cents) => (cents / 100).toFixed(2));
const safe = fc.oneof(word, timestamp, fc.uuid(), orderRef, amount);

// ---------- sensitive values ----------

const ISSUERS: Array<[string, number]> = [
  ['4', 16],
  ['4', 13],
  ['51', 16],
  ['55', 16],
  ['2221', 16],
  ['2720', 16],
  ['34', 15],
  ['37', 15],
  ['6011', 16],
  ['65', 19],
  ['3530', 16],
  ['36', 14],
];

const card = fc
  .tuple(
    fc.constantFrom(...ISSUERS),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }),
  )
  .chain(([[prefix, length], digits]) => {
    const body = prefix + digits.join('').slice(0, length - prefix.length - 1);
    const number = body + luhnCheckDigit(body);
    return fc.constantFrom(number, number.replace(/(\d{4})(?=\d)/g, '$1-'));
  });

const email = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9._]{0,14}[a-z0-9]$/),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
    fc.constantFrom('com', 'org', 'co.uk', 'io', 'de'),
  )
  .filter(([local]) => !local.includes('..'))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

const ssn = fc
  .tuple(
    fc.integer({ min: 1, max: 899 }).filter((a) => a !== 666),
    fc.integer({ min: 1, max: 99 }),
    fc.integer({ min: 1, max: 9999 }),
  )
  .map(
    ([a, g, s]) =>
      `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`,
  );

const storageKey = fc
  .uint8Array({ minLength: 64, maxLength: 64 })
  .map((bytes) => Buffer.from(bytes).toString('base64'));

const sensitive = fc.oneof(card, email, ssn, storageKey);

// ---------- rows ----------

type Token = { text: string; injected: boolean };

const cell = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: safe.map((text): Token => ({ text, injected: false })) },
    { weight: 1, arbitrary: sensitive.map((text): Token => ({ text, injected: true })) },
  ),
  { minLength: 1, maxLength: 6 },
);

const COLUMNS = ['a', 'b', 'c', 'd'];
const table = fc.array(fc.tuple(cell, cell, cell, cell), { minLength: 1, maxLength: 8 });

test('injected sensitive values never come out; the safe tokens away from them come out unchanged', () => {
  const plan: ColumnPlan[] = COLUMNS.map((column) => ({ kind: 'scan', column }));
  fc.assert(
    fc.property(table, (cells) => {
      // Column d holds a JSON document, so nested strings are covered too.
      const rows: Row[] = cells.map((r) => ({
        a: r[0].map((t) => t.text).join(' '),
        b: r[1].map((t) => t.text).join(' '),
        c: r[2].map((t) => t.text).join(' '),
        d: { note: r[3].map((t) => t.text).join(' ') },
      }));
      const { rows: out } = masker.maskResult({
        columns: COLUMNS.map((name) => ({ name, type: 'text' })),
        rows,
        plan,
        unmasked: new Set(),
      });
      const serialised = JSON.stringify(out);
      cells.forEach((r, i) => {
        for (const token of r.flat()) {
          if (token.injected) assert.ok(!serialised.includes(token.text), `leaked ${token.text}`);
        }
        const outCells = [out[i].a, out[i].b, out[i].c, (out[i].d as { note: string }).note];
        r.forEach((tokens, c) => {
          const text = String(outCells[c]);
          // Two injected values side by side may be masked as one span; elsewhere tokens line up.
          const merged = tokens.some((t, k) => t.injected && tokens[k + 1]?.injected === true);
          if (!merged) assert.equal(text.split(' ').length, tokens.length, `token count in ${text}`);
          tokens.forEach((t, k) => {
            const nearInjected = tokens[k - 1]?.injected === true || tokens[k + 1]?.injected === true;
            if (t.injected || nearInjected) return;
            if (merged)
              assert.ok(` ${text} `.includes(` ${t.text} `), `safe token ${t.text} lost in ${text}`);
            else assert.equal(text.split(' ')[k], t.text, `safe token changed in ${text}`);
          });
        });
      });
    }),
    { numRuns: 300 },
  );
});

test('cases the property found: a short group before a card, an amount before a UUID', () => {
  assert.equal(
    masker.maskText('001-01-6120 4722178245622 x'),
    '[REDACTED] *********5622 x',
    'the SSN keeps its last group, the card is masked on its own',
  );
  assert.equal(masker.maskText('d1cb6375 4751395430154'), 'd1cb6375 *********0154');
  const amountThenUuid = '0.01 00000000-0000-1000-8000-000000000000';
  assert.equal(masker.maskText(amountThenUuid), amountThenUuid);
});
