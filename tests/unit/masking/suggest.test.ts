import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggestClasses } from '../../../shared/masking/index.js';

const col = (column: string, samples: unknown[] = []) => ({ table: 'public.customers', column, samples });

test('column names suggest classes', () => {
  const names: Array<[string, string]> = [
    ['email', 'pii.email'],
    ['e_mail', 'pii.email'],
    ['contactEmail', 'pii.email'],
    ['phone', 'pii.phone'],
    ['mobile_number', 'pii.phone'],
    ['card_number', 'pci.pan'],
    ['pan', 'pci.pan'],
    ['cc_num', 'pci.pan'],
    ['ssn', 'pii.ssn'],
    ['iban', 'pii.iban'],
    ['full_name', 'pii.name'],
    ['first_name', 'pii.name'],
    ['last_name', 'pii.name'],
    ['ip_address', 'pii.ip'],
    ['password_hash', 'secret'],
    ['client_secret', 'secret'],
    ['api_key', 'secret'],
  ];
  for (const [column, dataClass] of names) {
    const [s] = suggestClasses({ columns: [col(column)] });
    assert.deepEqual(
      s,
      { column: `public.customers.${column}`, suggested: dataClass, reason: 'name', confidence: 0.8 },
      column,
    );
  }
});

test('unremarkable names and content get no suggestion', () => {
  assert.deepEqual(
    suggestClasses({
      columns: [col('status', ['new', 'paid']), col('zip', ['12345']), col('company_name', ['Contoso'])],
    }),
    [],
  );
});

test('content suggests a class when detectors fire on at least half the samples', () => {
  const [s] = suggestClasses({
    columns: [col('contact', ['ana@contoso.com', 'ben@fabrikam.com', null, 'unknown'])],
  });
  assert.equal(s.suggested, 'pii.email');
  assert.equal(s.reason, 'content');
  assert.equal(s.confidence, 0.67);
  assert.deepEqual(suggestClasses({ columns: [col('contact', ['ana@contoso.com', 'x', 'y'])] }), []);
});

test('content that contradicts the name wins only when it is strong', () => {
  const strong = suggestClasses({ columns: [col('phone', ['4111 1111 1111 1111', '5555555555554444'])] });
  assert.deepEqual(
    strong.map((s) => [s.suggested, s.reason]),
    [['pci.pan', 'content']],
  );
  const weak = suggestClasses({ columns: [col('phone', ['4111 1111 1111 1111', 'n/a', 'n/a', '?'])] });
  assert.deepEqual(
    weak.map((s) => [s.suggested, s.reason]),
    [['pii.phone', 'name']],
  );
});
