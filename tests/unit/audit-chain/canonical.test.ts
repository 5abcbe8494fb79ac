import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalizeModule from 'canonicalize';
import {
  canonicalCopyWithout,
  canonicalJson,
  canonicalJsonWithout,
} from '../../../shared/audit/canonical.js';
import {
  chainEvent,
  eventHash,
  eventLeafInput,
  GENESIS_PREV,
  leafHash,
} from '../../../shared/audit/chain/hash.js';
import type { AuditEvent } from '../../../shared/audit/event.js';
import { sampleEvent } from './fixtures.js';

// The `canonicalize` package (RFC 8785, by one of its authors) is the oracle: the gateway's
// own serialiser must give the same bytes, or chains written before it stop verifying.
const oracle = canonicalizeModule as unknown as (value: unknown) => string;

/** A small deterministic generator, so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  'a',
  'Z',
  '0',
  '9',
  ' ',
  '"',
  '\\',
  '\n',
  '\u0001',
  '\u007f',
  'é',
  '€',
  '\ud83d\ude00',
  '\ufb33',
  '_',
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e21,
  1e-7,
  Number('333333333.33333329'),
  4.5,
  2e-3,
  1e-6,
  2 ** 53,
  -(2 ** 31),
  123.456e10,
];

function randomValue(next: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const text = () => Array.from({ length: Math.floor(next() * 6) }, () => pick(ALPHABET)).join('');
  const kind = Math.floor(next() * (depth > 3 ? 4 : 7));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return next() < 0.5 ? pick(NUMBERS) : (next() - 0.5) * 10 ** Math.floor(next() * 30 - 10);
    case 3:
      return text();
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) {
        // Integer-like keys too: objects list those first whatever the insertion order.
        const key = next() < 0.2 ? String(Math.floor(next() * 20)) : text();
        out[key] = randomValue(next, depth + 1);
      }
      return out;
    }
  }
}

describe('RFC 8785 canonical JSON', () => {
  it('orders keys by UTF-16 code units (the RFC 8785 section 3.2.3 example)', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const text = canonicalJson(value);
    assert.equal(
      text,
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    assert.equal(canonicalCopyWithout(value, 'none').text, text);
  });

  it('writes numbers as ECMAScript does (the RFC 8785 appendix values)', () => {
    assert.equal(
      canonicalJson([
        Number('333333333.33333329'),
        1e30,
        4.5,
        2e-3,
        0.000001,
        1e-7,
        -0,
        1e21,
        9007199254740992,
      ]),
      '[333333333.3333333,1e+30,4.5,0.002,0.000001,1e-7,0,1e+21,9007199254740992]',
    );
  });

  it('refuses NaN and the infinities, as JCS does (JSON.stringify would write null)', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.throws(() => canonicalJson({ a: [bad] }), TypeError);
      assert.throws(() => canonicalCopyWithout({ a: bad }, 'chain'), TypeError);
    }
    assert.throws(() => canonicalJson(10n), TypeError);
    assert.throws(() => canonicalJson(undefined), TypeError);
  });

  it('agrees with the JSON round trip: undefined members vanish, toJSON applies, arrays keep null', () => {
    const value = { b: undefined, a: [undefined, () => 1], when: new Date(Date.UTC(2026, 0, 2)), f: () => 1 };
    assert.equal(canonicalJson(value), '{"a":[null,null],"when":"2026-01-02T00:00:00.000Z"}');
    assert.equal(canonicalJson(value), oracle(JSON.parse(JSON.stringify(value))));
  });

  it('gives the same bytes as the reference package on 3,000 random values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const value = randomValue(rng(seed), 0);
      const expected = oracle(value);
      assert.equal(canonicalJson(value), expected, `seed ${seed}`);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const { text, copy } = canonicalCopyWithout(value, '\u0000none');
        assert.equal(text, expected, `copy text, seed ${seed}`);
        assert.deepEqual(copy, JSON.parse(expected), `copy, seed ${seed}`);
      }
    }
  });

  it('leaves out one top-level member only, and the copy shares nothing with the input', () => {
    const value = { chain: { hash: 'x' }, inner: { chain: 1, list: [{ a: 1 }] } };
    assert.equal(canonicalJsonWithout(value, 'chain'), '{"inner":{"chain":1,"list":[{"a":1}]}}');
    const { text, copy } = canonicalCopyWithout(value, 'chain');
    assert.equal(text, canonicalJsonWithout(value, 'chain'));
    assert.equal('chain' in copy, false);
    assert.notEqual(copy.inner, value.inner);
    assert.notEqual(copy.inner.list[0], value.inner.list[0]);
    value.inner.list[0] = { a: 2 };
    assert.equal(JSON.stringify(copy), text);
  });
});

describe('a __proto__ key in an event (JSON.parse makes it an own key of a request body)', () => {
  it('is kept in the stored copy and the hash, as data, and the copy keeps its prototype', () => {
    const params = JSON.parse('[{"__proto__":{"polluted":1},"a":2}]') as unknown[];
    const event = { ...sampleEvent('req-proto', 0), params } as unknown as AuditEvent;
    const at = { lane: 2, index: 5, prev: GENESIS_PREV };
    const chained = chainEvent(event, at);
    const first = (chained as unknown as { params: Array<Record<string, unknown>> }).params[0] as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.getOwnPropertyDescriptor(first, '__proto__')?.value, { polluted: 1 });
    assert.equal(Object.getPrototypeOf(first), Object.prototype);
    assert.equal((first as { polluted?: unknown }).polluted, undefined);
    assert.ok(JSON.stringify(chained).includes('"__proto__":{"polluted":1}'));
    const { chain: _c, ...stored } = JSON.parse(JSON.stringify(event)) as AuditEvent;
    const reference = oracle({ v: 1, lane: 2, index: 5, prev: GENESIS_PREV, event: stored });
    assert.equal(chained.chain?.hash, leafHash(Buffer.from(reference, 'utf8')).toString('hex'));
  });
});

describe('event leaf hashes against the reference form', () => {
  /** The leaf hash as first written: the package's canonical form over the JSON round trip. */
  function referenceHash(event: AuditEvent, at: { lane: number; index: number; prev: string }): string {
    const { chain: _c, ...stored } = JSON.parse(JSON.stringify(event)) as AuditEvent;
    const input = oracle({ v: 1, lane: at.lane, index: at.index, prev: at.prev, event: stored });
    return leafHash(Buffer.from(input, 'utf8')).toString('hex');
  }

  it('hash, leaf input and chained copy match it on varied events', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = rng(seed);
      const event = {
        ...sampleEvent(`req-${seed}`, seed % 3),
        params: [randomValue(next, 1), randomValue(next, 1)],
        facts: randomValue(next, 1),
        purpose: next() < 0.5 ? undefined : 'ticket 7',
      } as unknown as AuditEvent;
      const at = { lane: seed % 16, index: seed * 7, prev: seed % 2 ? GENESIS_PREV : 'ab'.repeat(32) };
      const expected = referenceHash(event, at);
      assert.equal(eventHash(event, at), expected, `seed ${seed}`);
      assert.equal(leafHash(eventLeafInput(event, at)).toString('hex'), expected, `seed ${seed}`);
      const chained = chainEvent(event, at);
      assert.equal(chained.chain?.hash, expected, `seed ${seed}`);
      // What is stored is what was hashed: rehashing the stored copy gives the same leaf.
      assert.equal(referenceHash(JSON.parse(JSON.stringify(chained)) as AuditEvent, at), expected);
    }
  });

  it('refuses a position that is not two integers', () => {
    const event = sampleEvent('req-x', 0);
    assert.throws(() => eventHash(event, { lane: 1.5, index: 0, prev: GENESIS_PREV }), TypeError);
    assert.throws(() => chainEvent(event, { lane: 0, index: Number.NaN, prev: GENESIS_PREV }), TypeError);
  });
});
