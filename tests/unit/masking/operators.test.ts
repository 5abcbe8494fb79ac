import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMasker, maskValue, parseOperator } from '../../../shared/masking/index.js';

const KEY = 'test-key-0123456789abcdef';

describe('operator specs', () => {
  test('every documented spec parses; anything else does not', () => {
    assert.deepEqual(parseOperator('redact'), { kind: 'redact' });
    assert.deepEqual(parseOperator('partial:4'), { kind: 'partial', keep: 4 });
    assert.deepEqual(parseOperator(' partial:0 '), { kind: 'partial', keep: 0 });
    for (const k of ['email', 'token', 'null', 'default'] as const)
      assert.deepEqual(parseOperator(k), { kind: k });
    for (const bad of ['hash', 'sha256', 'partial', 'partial:-1', 'partial:x', 'partial:65', 'REDACT', '']) {
      assert.equal(parseOperator(bad), undefined, bad);
    }
  });

  test('an unknown spec, a bad class name, or a token without key fails at construction', () => {
    assert.throws(
      () => createMasker({ operators: { 'pii.email': 'hash' } }),
      /Invalid masking operator for pii\.email/,
    );
    assert.throws(
      () => createMasker({ operators: { 'Bad Class': 'redact' } }),
      /not a lower-case dotted data class/,
    );
    assert.throws(() => createMasker({ operators: { 'pii.email': 'token' } }), /no token key/);
    assert.throws(() => createMasker({ tokenKey: 'short' }), /at least 16 bytes/);
    assert.doesNotThrow(() => createMasker({ operators: { 'pii.email': 'token' }, tokenKey: KEY }));
  });
});

describe('defaults', () => {
  const m = createMasker({ tokenKey: KEY });
  test('each built-in class gets its documented operator', () => {
    assert.equal(m.maskValue('4111 1111 1111 1111', 'pci.pan'), '************1111');
    assert.equal(m.maskValue('john.doe@contoso.com', 'pii.email'), 'j***@contoso.com');
    assert.equal(m.maskValue('+44 20 7946 0958', 'pii.phone'), '**********58');
    assert.equal(m.maskValue('123-45-6789', 'pii.ssn'), '[REDACTED]');
    assert.match(String(m.maskValue('Ana Silva', 'pii.name')), /^tok_[0-9a-f]{16}$/);
    assert.equal(m.maskValue('GB82 WEST 1234 5698 7654 32', 'pii.iban'), '******************5432');
    assert.equal(m.maskValue('10.0.0.1', 'pii.ip'), '[REDACTED]');
    assert.equal(m.maskValue('hunter2', 'secret'), '[REDACTED]');
    assert.equal(m.maskValue('internal', 'acme.project.codename'), '[REDACTED]');
  });

  test('without a key the default token class is redacted instead', () => {
    assert.equal(maskValue('Ana Silva', 'pii.name'), '[REDACTED]');
  });

  test('configured operators override the defaults', () => {
    const c = createMasker({
      operators: { 'pii.email': 'redact', 'pci.pan': 'partial:6', 'acme.x': 'null', 'pii.phone': 'default' },
    });
    assert.equal(c.maskValue('john@contoso.com', 'pii.email'), '[REDACTED]');
    assert.equal(c.maskValue('4111111111111111', 'pci.pan'), '**********111111');
    assert.equal(c.maskValue('anything', 'acme.x'), null);
    assert.equal(c.maskValue('415-555-0132', 'pii.phone'), '');
  });
});

describe('operators', () => {
  test('partial never reveals more than half of a value', () => {
    const m = createMasker({ operators: { 'acme.code': 'partial:4' } });
    assert.equal(m.maskValue('123456', 'acme.code'), '***456');
    assert.equal(m.maskValue('12', 'acme.code'), '*2');
    assert.equal(m.maskValue('1', 'acme.code'), '*');
  });

  test('email of something that is not an address is redacted', () => {
    assert.equal(maskValue('not an address', 'pii.email'), '[REDACTED]');
    assert.equal(maskValue('@contoso.com', 'pii.email'), '[REDACTED]');
  });

  test('tokens are deterministic per key and differ across keys and values', () => {
    const a = createMasker({ tokenKey: KEY });
    const b = createMasker({ tokenKey: Buffer.from(KEY) });
    const c = createMasker({ tokenKey: `${KEY}-other` });
    const t = a.maskValue('Ana Silva', 'pii.name');
    assert.equal(a.maskValue('Ana Silva', 'pii.name'), t);
    assert.equal(b.maskValue('Ana Silva', 'pii.name'), t);
    assert.notEqual(c.maskValue('Ana Silva', 'pii.name'), t);
    assert.notEqual(a.maskValue('Ana Silvb', 'pii.name'), t);
    assert.ok(!String(t).includes('Ana'));
  });

  test('non-string values are masked by type', () => {
    const m = createMasker({ tokenKey: KEY, operators: { 'acme.n': 'default', 'acme.p': 'partial:2' } });
    assert.equal(m.maskValue(4111111111111111, 'pci.pan'), '************1111');
    assert.equal(m.maskValue(12345n, 'acme.p'), '***45');
    assert.equal(m.maskValue(42, 'acme.n'), 0);
    assert.equal(m.maskValue(42n, 'acme.n'), 0n);
    assert.equal(m.maskValue(true, 'acme.n'), false);
    assert.equal(m.maskValue('x', 'acme.n'), '');
    assert.equal(m.maskValue({ a: 1 }, 'acme.n'), null);
    assert.equal(m.maskValue(Buffer.from('4111111111111111'), 'pci.pan'), '[REDACTED]');
    assert.equal(m.maskValue(new Uint8Array([1, 2]), 'pii.name'), '[REDACTED]');
    assert.equal(m.maskValue({ card: '4111111111111111' }, 'pci.pan'), '[REDACTED]');
    assert.equal(m.maskValue({ a: 1 }, 'pii.name'), m.maskValue('{"a":1}', 'pii.name'));
    assert.equal(m.maskValue(new Date('2024-05-01T00:00:00Z'), 'acme.p'), `${'*'.repeat(19)}0Z`);
    assert.equal(m.maskValue(null, 'secret'), null);
  });
});
