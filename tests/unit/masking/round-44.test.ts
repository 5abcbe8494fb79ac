import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMasker } from '../../../shared/masking/index.js';

/**
 * Red-team round 44: punctuation of other scripts between a value's groups, hex behind its
 * `0x` or bytea `\x` prefix, addresses broken by a blank before a dot or around the `@`, and
 * IBANs written backwards. Each went out in clear.
 */

const masker = createMasker();

function assertHidden(text: string, digits: string): void {
  const out = masker.maskText(text) ?? '';
  const flat = out.replace(/[^0-9A-Za-z]/g, '');
  assert.ok(!flat.includes(digits), `${JSON.stringify(text)} -> ${JSON.stringify(out)} shows ${digits}`);
}

test('phones and SSNs joined by dashes of other scripts, the minus sign or middle dots are masked', () => {
  for (const dash of ['\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '\uFF0D', '\uFE63']) {
    assertHidden(`call 415${dash}555${dash}0132`, '4155550');
    assertHidden(`(415) 555${dash}0132`, '4155550');
    assertHidden(`+1${dash}415${dash}555${dash}0132`, '4155550');
    assertHidden(`ssn 078${dash}05${dash}1120`, '0780511');
  }
  for (const dot of ['\u00B7', '\u2027', '\u2022', '\u30FB', '\uFF65']) {
    assertHidden(`415${dot}555${dot}0132`, '4155550');
    assertHidden(`078${dot}05${dot}1120`, '0780511');
  }
});

test('fullwidth brackets and digits of a phone are read as their ASCII forms', () => {
  assertHidden('\uFF08415\uFF09555-0132', '4155550');
  assertHidden('\uFF08\uFF14\uFF11\uFF15\uFF09\uFF15\uFF15\uFF15-\uFF10\uFF11\uFF13\uFF12', '4155550');
});

test('an address whose domain is joined by a middle dot is masked', () => {
  const out = masker.maskText('mail alice@example\u00B7com') ?? '';
  assert.ok(!out.includes('alice'), out);
});

test('hex behind a 0x or a bytea \\x prefix is decoded and masked', () => {
  const hex = (s: string) => Buffer.from(s).toString('hex');
  for (const [value, shown] of [
    ['078-05-1120', '3037382d'],
    ['4111 1111 1111 1111', '34313131'],
    ['GB82WEST12345698765432', '47423832'],
    ['alice@example.com', '616c6963'],
  ] as const) {
    for (const text of [`\\x${hex(value)}`, `0x${hex(value)}`, `0X${hex(value).toUpperCase()}`]) {
      const out = masker.maskText(`v ${text}`) ?? '';
      assert.ok(!out.toLowerCase().includes(shown), `${text} -> ${out}`);
    }
  }
  // Hex that is no text stays as it is.
  assert.equal(
    masker.maskText('addr 0xdeadbeefcafebabe1234') ?? 'addr 0xdeadbeefcafebabe1234',
    'addr 0xdeadbeefcafebabe1234',
  );
});

test('addresses broken by blanks around the dot or a line break before the @ are masked', () => {
  for (const text of [
    'alice\n@example.com',
    'alice\r\n@example.com',
    'alice@example\n.com',
    'alice@example .com',
    'alice@example. com',
    'alice @ example. com',
  ]) {
    const out = masker.maskText(text) ?? '';
    assert.ok(!out.includes('alice'), `${JSON.stringify(text)} -> ${JSON.stringify(out)}`);
  }
  // A sentence after an address keeps its words.
  assert.equal(
    masker.maskText('Write to bob@contoso.com. Then call.'),
    'Write to b***@contoso.com. Then call.',
  );
});

test('IBANs written backwards are masked whole', () => {
  for (const text of [
    '00031023504400407398ED',
    '23456789654321TSEW28BG',
    '23 4567 8965 4321 TSEW 28BG',
    'iban 23456789654321tsew28bg.',
  ]) {
    const out = masker.maskText(text) ?? '';
    assert.ok(!/\d{4}/.test(out), `${text} -> ${out}`);
  }
  for (const text of ['ref 1234AB and 56CD', 'lot 2024 99XY'])
    assert.equal(masker.maskText(text) ?? text, text);
});

test('ordinary values that read as sensitive ones stay as they are', () => {
  for (const text of [
    // Doubles printed as text, as JSON and logs write them.
    '430.52875995635986',
    '631.3005983829498',
    '1430.5287599563598',
    '{"lat":37.77492948123456,"lng":-122.41941550000001}',
    // Order numbers grouped 3-7-7.
    '814-2729890-6218844',
    'order 114-2729890-6218844',
    // Versions.
    'version 5.0.100.48',
    'build: 10.0.19041.1',
  ]) {
    assert.equal(masker.maskText(text) ?? text, text);
  }
});

test('the exemptions keep what they must not let through', () => {
  assertHidden('card 4.111111111111111e15', '411111');
  assertHidden('call 415-5550132', '4155550');
  assertHidden('server 10.1.2.3 up', '10123');
  assertHidden('card 4111.1111.1111.1111', '41111111');
});

test('a card with look-alike letters behind any printed separator, or none, is masked', () => {
  for (const text of [
    '4O12.8888.8888.I88I',
    '4O12_8888_8888_I88I',
    '4O1288888888I88I',
    '4O12/8888/8888/I88I',
  ]) {
    assert.equal(masker.maskText(text), '[REDACTED]', text);
  }
  // Mostly letters is a word, not a card.
  assert.equal(masker.maskText('BOSS 2024 SIZE') ?? 'BOSS 2024 SIZE', 'BOSS 2024 SIZE');
});

test("a card's groups joined by an ellipsis are masked", () => {
  assertHidden('4111 ... 1111 ... 1111 ... 1111', '41111111');
  assertHidden('4111 1111 ... 1111 1111', '41111111');
  const years = 'years 2019 ... 2020 ... 2021 ... 2022';
  assert.equal(masker.maskText(years) ?? years, years);
});

test('number words and digits mixed in one run are read as the number they spell', () => {
  for (const text of [
    'four 0 one 2 eight 8 eight 8 eight 8 eight 8 one 8 eight 1',
    '4012 eight eight eight eight 8888 one eight eight one',
    'four zero one two 8888 8888 1881',
    '4012 8888 8888 one eight eight one',
    'ssn 0 seven 8 zero 5 one 1 two 0',
    'phone 4 one 5 five 5 five 0 one 3 two',
  ]) {
    const out = masker.maskText(text) ?? text;
    assert.ok(out.includes('[REDACTED]'), `${text} -> ${out}`);
  }
  // Counts and years between words are not a number.
  for (const text of ['one 2024 two 2025 three', 'step one 2 three 4 five 6 seven 8 nine 10 eleven']) {
    assert.equal(masker.maskText(text) ?? text, text);
  }
});

test('lists joined by middle dots, and prose after a mention, stay as they are (round 44 sampler)', () => {
  // Middle dots read as points made four small numbers an IP address, and a loose dot with any
  // `@` in the text made a sentence an address; the false-positive sampler found both.
  for (const text of [
    'primes 2·3·5·7',
    '第1・2・3・4章を読む',
    '問題１・２・３・４は必須',
    'dims 46 • 83 • 32 • 64',
    'dims 2⋅8⋅18⋅10',
    'score 0·9·9·1 · rank 741·651',
    'thanks @bob .NET 8 is out',
    'cc @carol\n.env file updated',
    '@alice I am at work. No problem.',
    'Thanks @bob! I was at lunch. In an hour',
  ]) {
    assert.equal(masker.maskText(text) ?? text, text);
  }
  assert.equal(
    masker.maskText('contact: ops@example.org\nAll staff at home. De facto holiday.'),
    'contact: o***@example.org\nAll staff at home. De facto holiday.',
  );
});

test("a UUID's hex groups are not a card's groups joined by short words (fuzz counterexample)", () => {
  const text = '1971-01-01T00:00:00.000Z 00000000-0000-6032-9744-bfa9311e3786 0.00 ORD-2024-000000 0';
  assert.equal(masker.maskText(text) ?? text, text);
  assertHidden('ref 00000000-0000-6032-9744-bfa9311e3786 card 4111x1111x1111x1111', '41111111');
});
