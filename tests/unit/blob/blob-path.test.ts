import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blobPathProblem, isExposed, splitBlobPath } from '../../../shared/connectors/blob/path.js';
import { matchesPattern, parseConfigBlob } from './blob-config-helper.js';

const allow = { 'demo-files': ['exports/', 'logs/'] };
const exposed = (p: string) => blobPathProblem(p) === undefined && isExposed(allow, splitBlobPath(p));

describe('blob path safety (attacks)', () => {
  const attacks = [
    'demo-files/exports/../private/payroll.csv',
    'demo-files/exports/./customers.csv',
    'demo-files/exports/%2e%2e/private/payroll.csv',
    'demo-files/exports/%2E%2E%2Fprivate%2Fpayroll.csv',
    'demo-files/exports/%252e%252e/private/payroll.csv',
    'demo-files/exports/..%2fprivate/payroll.csv',
    'demo-files/exports\\..\\private\\payroll.csv',
    'demo-files\\exports\\customers.csv',
    '/demo-files/exports/customers.csv',
    'demo-files//exports/customers.csv',
    'demo-files/exports//customers.csv',
    'demo-files/exports/customers.csv\u0000.png',
    'demo-files/exports/customers.csv\n',
    'demo-files/exports/\u2215..\u2215private/payroll.csv',
    'demo-files/exports/\uff0f..\uff0fprivate/payroll.csv',
    'demo-files/exports/e\u0301.csv',
    'demo-files/exports/..',
    'demo-files/exports/x.csv.',
    'DEMO-FILES/exports/customers.csv',
    'demo-files',
    '',
    `demo-files/exports/${'a'.repeat(1100)}`,
  ];
  for (const attack of attacks) {
    it(`refuses ${JSON.stringify(attack).slice(0, 70)}`, () => {
      assert.equal(exposed(attack), false);
    });
  }

  it('refuses canonical paths outside the allowed prefixes, including look-alike folders', () => {
    assert.equal(exposed('demo-files/private/payroll.csv'), false);
    assert.equal(exposed('demo-files/exports-private/a.csv'), false);
    assert.equal(exposed('demo-files/exportsx.csv'), false);
    assert.equal(exposed('other-files/exports/a.csv'), false);
    assert.equal(exposed('constructor/exports/a.csv'), false);
  });

  it('accepts canonical paths inside them', () => {
    assert.equal(exposed('demo-files/exports/customers.csv'), true);
    assert.equal(exposed('demo-files/logs/2026/12/support (1).log'), true);
    assert.equal(exposed('demo-files/exports/Zürich.csv'), true);
  });
});

describe('blob connection config', () => {
  it('refuses unknown data classes at load, as for SQL connections', () => {
    assert.throws(
      () => parseConfigBlob({ classification: { 'exports/*.csv': { card: 'pci.pann' } } }),
      /unknown data class "pci.pann"/,
    );
    assert.throws(
      () => parseConfigBlob({ classification: { 'logs/**': 'pii.emial' } }),
      /unknown data class/,
    );
    assert.doesNotThrow(() =>
      parseConfigBlob({ classification: { 'logs/**': 'text.free', 'x/*.csv': { a: 'pii.email' } } }),
    );
  });

  it('accepts the emulator key only for a loopback account', () => {
    assert.throws(
      () => parseConfigBlob({ accountUrl: 'https://prod.blob.core.windows.net', auth: 'azurite' }),
      /loopback/,
    );
    assert.doesNotThrow(() =>
      parseConfigBlob({ accountUrl: 'https://prod.blob.core.windows.net', auth: 'entra' }),
    );
  });

  it('refuses traversal in configured prefixes and patterns, and makes prefixes folders', () => {
    assert.throws(() => parseConfigBlob({ containers: { 'demo-files': { prefixes: ['../x/'] } } }), /prefix/);
    assert.throws(() => parseConfigBlob({ classification: { '../*.csv': 'pii.email' } }), /classification/);
    const c = parseConfigBlob({ containers: { 'demo-files': { prefixes: ['exports'] } } });
    assert.deepEqual(c.containers['demo-files'].prefixes, ['exports/']);
  });

  it('matches path patterns by segment', () => {
    assert.equal(matchesPattern('exports/*.csv', 'exports/a.csv'), true);
    assert.equal(matchesPattern('exports/*.csv', 'exports/2026/a.csv'), false);
    assert.equal(matchesPattern('logs/**', 'logs/2026/12/a.log'), true);
    assert.equal(matchesPattern('**/*.csv', 'a.csv'), true);
    assert.equal(matchesPattern('exports/*.csv', 'exportsXa.csv'), false);
    assert.equal(matchesPattern('a+b/(x).csv', 'a+b/(x).csv'), true);
  });
});
