import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chainEvent,
  eventHash,
  eventLeafInput,
  GENESIS_PREV,
  leafHash,
  merkleTreeHash,
  nodeHash,
} from '../../../shared/audit/chain/hash.js';
import { sampleEvent } from './fixtures.js';

// The inputs and roots of the RFC 6962 reference tests (certificate-transparency merkle tree tests).
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('RFC 6962 hashing', () => {
  it('hashes the empty tree as SHA-256 of nothing', () => {
    assert.equal(
      merkleTreeHash([]).toString('hex'),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('matches the reference roots for 1 to 8 leaves', () => {
    for (let n = 1; n <= 8; n++) {
      assert.equal(merkleTreeHash(LEAVES.slice(0, n)).toString('hex'), ROOTS[n - 1], `${n} leaves`);
    }
  });

  it('separates leaves from nodes', () => {
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    assert.notDeepEqual(leafHash(Buffer.concat([a, b])), nodeHash(a, b));
  });
});

describe('event leaf hash', () => {
  const event = sampleEvent('req-1', 0);
  const at = { lane: 3, index: 7, prev: GENESIS_PREV };

  it('binds the lane, the index and the predecessor', () => {
    const h = eventHash(event, at);
    assert.notEqual(eventHash(event, { ...at, lane: 4 }), h);
    assert.notEqual(eventHash(event, { ...at, index: 8 }), h);
    assert.notEqual(eventHash(event, { ...at, prev: 'a'.repeat(64) }), h);
  });

  it('ignores the chain field and key order, and notices any content change', () => {
    const chained = chainEvent(event, at);
    assert.equal(eventHash(chained, at), chained.chain?.hash);
    const reordered = Object.fromEntries(Object.entries(event).reverse()) as typeof event;
    assert.equal(eventHash(reordered, at), eventHash(event, at));
    assert.notEqual(eventHash({ ...event, action: 'other' }, at), eventHash(event, at));
  });

  it('hashes canonical JSON after a JSON round trip (undefined fields vanish as in the store)', () => {
    const withUndefined = { ...event, purpose: undefined } as unknown as typeof event;
    const { purpose: _p, ...without } = event as typeof event & { purpose?: unknown };
    assert.equal(eventHash(withUndefined, at), eventHash(without as typeof event, at));
    assert.equal(eventLeafInput(event, at).toString('utf8').startsWith('{"event":'), true);
  });
});
