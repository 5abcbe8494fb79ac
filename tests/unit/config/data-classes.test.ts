import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoConfig } from '../../../cli/dev/host.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { BUILTIN_CLASSES } from '../../../shared/masking/classes.js';

function config(classification: Record<string, string>, operators: Record<string, string> = {}) {
  return {
    connections: [
      {
        id: 'sales',
        engine: 'postgres',
        environment: 'prod',
        target: 'embedded-demo',
        classification,
      },
    ],
    masking: { operators },
  };
}

test('a typo in a built-in family is refused at start, with the list of valid classes', () => {
  assert.throws(
    () => parseConfig(config({ 'public.customers.email': 'pii.emial' })),
    (e: Error) => {
      assert.match(e.message, /unknown data class "pii\.emial"/);
      assert.match(e.message, /connections\.0\.classification\.public\.customers\.email/);
      for (const c of BUILTIN_CLASSES) assert.ok(e.message.includes(c), c);
      return true;
    },
  );
});

test('an undeclared custom class is refused; declared under masking.operators it is accepted', () => {
  assert.throws(
    () => parseConfig(config({ 'public.staff.salary': 'hr.salary' })),
    /unknown data class "hr\.salary"/,
  );
  const ok = parseConfig(config({ 'public.staff.salary': 'hr.salary' }, { 'hr.salary': 'redact' }));
  assert.equal(ok.connections[0].classification['public.staff.salary'], 'hr.salary');
});

test('an operator key in a built-in family that is not built in is refused', () => {
  assert.throws(() => parseConfig(config({}, { 'pci.nope': 'redact' })), /unknown data class "pci\.nope"/);
});

test('an unknown operator is refused with the list of valid ones', () => {
  assert.throws(
    () => parseConfig(config({}, { 'pii.phone': 'partial:200' })),
    /unknown masking operator "partial:200" \(valid: redact, partial:N/,
  );
  assert.throws(() => parseConfig(config({}, { 'pii.phone': 'hash' })), /unknown masking operator "hash"/);
});

test('built-in classes, public, and the demo config stay valid', () => {
  const all = Object.fromEntries(BUILTIN_CLASSES.map((c, i) => [`public.t.c${i}`, c]));
  assert.doesNotThrow(() =>
    parseConfig(config({ ...all, 'public.t.city': 'public' }, { 'pii.phone': 'partial:2' })),
  );
  assert.doesNotThrow(() => demoConfig());
});
