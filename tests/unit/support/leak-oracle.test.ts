import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leakedSecrets } from '../../support/leak-oracle.js';

const SSN = '480-22-7322';

describe('the leak check the end-to-end tests use', () => {
  it('finds a value through its disguises', () => {
    for (const cell of [
      'ssn 480-22-7322',
      '4 8 0 2 2 7 3 2 2',
      '2237-22-084',
      'eia-cc-hdcc',
      Buffer.from('480227322').toString('base64'),
      Buffer.from('480-22-7322').toString('hex'),
      '٤٨٠٢٢٧٣٢٢',
    ]) {
      assert.deepEqual(leakedSecrets({ rows: [{ v: cell }] }, [SSN]), [SSN], cell);
    }
  });

  it('does not read the gateway’s own request ids and masking tokens as data', () => {
    // As digits (a-f as 0-5) this id holds 480227322; it is random, not the SSN.
    const body = {
      requestId: 'e8022732-2aaa-4aaa-8aaa-aaaaaaaaaaaa',
      statusUrl: '/api/v1/requests/e8022732-2aaa-4aaa-8aaa-aaaaaaaaaaaa',
      rows: [{ name: 'tok_4802273220000000' }],
    };
    assert.deepEqual(leakedSecrets(body, [SSN]), []);
    // The same digits outside those shapes are still found.
    assert.deepEqual(leakedSecrets({ rows: [{ v: 'e8022732-2aaa' }] }, [SSN]), [SSN]);
  });
});
