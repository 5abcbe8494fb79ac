import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { luhnCheckDigit } from '../../../cli/dev/demo-data.js';
import { createMasker, detect } from '../../../shared/masking/index.js';

/**
 * Numbers written other than in digits (red-team round 10): what an agent's translate() or a
 * person's free text makes of a card, an SSN or a phone number. Each is found whole, as its
 * class, and redacted whole (a disguised finding shows nothing of itself).
 */

const masker = createMasker();
const CARD = '4012888888881881';
const SSN = '123-45-6789';
const LETTERS_0 = (s: string) => s.replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)] as string);
const LETTERS_1 = (s: string) => s.replace(/[0-9]/g, (d) => 'jabcdefghi'[Number(d)] as string);
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
// Red-team rounds 41 and 42 used the demo's first customer's card, and these number words.
const card = '5555551001146646';
const french = ['zéro', 'un', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf'];
const german = ['null', 'eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun'];
const words = (s: string, sep = ' ') =>
  [...s.replace(/\D/g, '')].map((d) => WORDS[Number(d)] as string).join(sep);

function classOf(text: string): string[] {
  return detect(text).map((s) => s.dataClass);
}

describe('numbers spelled otherwise', () => {
  const cases: Array<[string, string, string]> = [
    ['card as letters a=0', LETTERS_0(CARD), 'pci.pan'],
    ['card as letters a=1', LETTERS_1(CARD), 'pci.pan'],
    ['card as capitals', LETTERS_0(CARD).toUpperCase(), 'pci.pan'],
    ['card as letters in fours', LETTERS_0('4012-8888-8888-1881'), 'pci.pan'],
    [
      'card as letters backwards (j=0)',
      CARD.replace(/[0-9]/g, (d) => 'jihgfedcba'[Number(d)] as string),
      'pci.pan',
    ],
    ['card as words with a word of padding', words(`0${CARD}`), 'pci.pan'],
    [
      'card as words in French',
      'quatre zero un deux huit huit huit huit huit huit huit huit un huit huit un',
      'pci.pan',
    ],
    [
      'card as words in German',
      'vier null eins zwei acht acht acht acht acht acht acht acht eins acht acht eins',
      'pci.pan',
    ],
    ['card as words joined by dots', words(CARD, '. '), 'pci.pan'],
    ['card as words', words(CARD), 'pci.pan'],
    ['card as dashed words', words(CARD, '-'), 'pci.pan'],
    ['card with look-alikes', '4O12 8888 8888 I88I', 'pci.pan'],
    ['card with lower-case look-alikes', '4o12 8888 8888 l88l', 'pci.pan'],
    ['card with mixed separators', '4012-8888 8888.1881', 'pci.pan'],
    ['card with pipes', '4012|8888|8888|1881', 'pci.pan'],
    ['card with colons', '4012:8888:8888:1881', 'pci.pan'],
    ['card with tabs', '4012\t8888\t8888\t1881', 'pci.pan'],
    ['card as a JSON array of groups', '["4012","8888","8888","1881"]', 'pci.pan'],
    ['card percent-encoded', [...CARD].map((d) => `%3${d}`).join(''), 'pci.pan'],
    ['card as \\u escapes', [...CARD].map((d) => `\\u003${d}`).join(''), 'pci.pan'],
    ['card as HTML entities', [...CARD].map((d) => `&#${48 + Number(d)};`).join(''), 'pci.pan'],
    ['card as hex HTML entities', [...CARD].map((d) => `&#x3${d};`).join(''), 'pci.pan'],
    ['card as \\x escapes', [...CARD].map((d) => `\\x3${d}`).join(''), 'pci.pan'],
    ['card as a hex integer', `0x${BigInt(CARD).toString(16)}`, 'pci.pan'],
    ['card as an octal integer', `0o${BigInt(CARD).toString(8)}`, 'pci.pan'],
    ['SSN as letters', LETTERS_0(SSN), 'pii.ssn'],
    ['SSN as words', words('536-22-8714'), 'pii.ssn'],
    ['SSN as words with and', 'five three six and two two and eight seven one four', 'pii.ssn'],
    ['SSN with dots', '123.45.6789', 'pii.ssn'],
    ['SSN with pipes', '123|45|6789', 'pii.ssn'],
    ['phone as words', words('2015550199'), 'pii.phone'],
    ['phone as letters', LETTERS_0('201-555-0199'), 'pii.phone'],
  ];
  for (const [name, text, dataClass] of cases) {
    test(`${name}: ${text}`, () => {
      const inProse = `note: ${text} (ok)`;
      assert.deepEqual(classOf(inProse), [dataClass], inProse);
      const masked = masker.maskText(inProse) ?? '';
      // Redacted whole: nothing of it is left (a JSON array keeps its outer brackets and quotes).
      assert.match(masked, /^note: \W*\[REDACTED\]\W* \(ok\)$/, masked);
    });
  }

  test('addresses with a quoted local part or look-alike letters of other scripts', () => {
    for (const text of [
      '"ada.lovelace"@example.com',
      'ada.lovelace@\u0435xample.com',
      'ada.lov\u0435lace@example.com',
      '\u0430da@\u0441ontoso.\u0441om',
      'ADA@\u0415XAMPLE.COM',
      'ada@\u03bf\u03bftlook.com',
    ]) {
      const inProse = `write to ${text} today`;
      assert.deepEqual(classOf(inProse), ['pii.email'], inProse);
      assert.equal(masker.maskText(inProse), 'write to [REDACTED] today', inProse);
    }
    // Text in those scripts is left as it is.
    for (const text of [
      'Привет, это обычный текст о погоде в Москве.',
      'Καλημέρα, ο καιρός είναι καλός σήμερα.',
      'He said "hello"@ the door',
    ]) {
      assert.deepEqual(detect(text), [], text);
    }
  });

  test("spelled shapes under another disguise: other scripts' digits, fullwidth letters", () => {
    const arabic = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0x660 + Number(d)));
    const fullwidth = (s: string) =>
      s.replace(/[a-j]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    for (const text of [arabic('4012|8888|8888|1881'), fullwidth(LETTERS_0(CARD)), arabic('123.45.6789')]) {
      assert.equal(masker.maskText(`see ${text} now`), 'see [REDACTED] now', text);
    }
  });

  test('an SSN written backwards, after a word saying SSN', () => {
    assert.equal(masker.maskText(`SSN: ${[...SSN].reverse().join('')}`), 'SSN: [REDACTED]');
    assert.deepEqual(detect('PO 3104-05-117 shipped, batch 7001-02-003'), []);
  });

  test('round 33: groups joined by a bare semicolon, a short word, spaced or long dashes', () => {
    const groups = (sep: string) =>
      [CARD.slice(0, 4), CARD.slice(4, 8), CARD.slice(8, 12), CARD.slice(12)].join(sep);
    for (const sep of [';', 'x', 'o', ' and ', ' or ']) {
      const text = `paid with ${groups(sep)} today`;
      const masked = masker.maskText(text) ?? '';
      assert.ok(!masked.replace(/[^0-9]/g, '').includes(CARD.slice(0, 12)), `${text} -> ${masked}`);
      assert.ok(
        detect(text).some((f) => f.dataClass === 'pci.pan'),
        text,
      );
    }
    for (const text of [
      '123 - 45 - 6789',
      '123x45x6789',
      '123\u201345\u20136789',
      'ssn 123 \u2014 45 \u2014 6789',
    ]) {
      assert.ok(
        detect(text).some((f) => f.dataClass === 'pii.ssn'),
        text,
      );
      assert.ok(!(masker.maskText(text) ?? '').includes('6789'), text);
    }
  });

  test('round 33: an address with a bracketed or escaped @, or a spaced dot', () => {
    for (const text of [
      'write to bob@example . com',
      'write to bob(@)example.com',
      'write to bob[@]example[.]com',
      'write to bob\\u0040example.com',
      'write to bob\\x40example\\x2ecom',
    ]) {
      const masked = masker.maskText(text) ?? '';
      assert.ok(!/bob/.test(masked), `${text} -> ${masked}`);
    }
    assert.equal(masker.maskText('It was late . Then we left'), 'It was late . Then we left');
  });

  test('round 41: an address whose local part ends in a digit, before an escaped or bracketed @', () => {
    for (const text of [
      'write to bob1\\u0040example.com',
      'write to bob1\\x40example.com',
      'write to bob1<at>example.com',
      'write to bob1 <at> example.com',
      'write to jósé.bob1@example.com',
    ]) {
      const masked = masker.maskText(text) ?? '';
      assert.ok(!/bob/.test(masked), `${text} -> ${masked}`);
    }
    assert.equal(masker.maskText('if a 12<3 then C:\\dir1\\file2'), 'if a 12<3 then C:\\dir1\\file2');
  });

  test('round 36: phones with mixed or no separators, SSNs with other dashes, cards in one grouped number', () => {
    const cases: Array<[string, string]> = [
      ['call 206 555-0123', '555'],
      ['phone (206)5550123', '5550123'],
      ['phone 206-5550123', '5550123'],
      ['536\u201022\u20101234', '1234'],
      ['536\uff0d22\uff0d1234', '1234'],
      ['x 536\u221222\u22121234', '1234'],
      ['ssn 536;22;1234', '1234'],
      ['ssn 536 ; 22 ; 1234', '1234'],
      ['paid 4,012,888,888,881,881', '888,881'],
      ['paid 4 012 888 888 881 881', '888 881'],
      ["paid 4'012'888'888'881'881", "888'881"],
      ['paid 4.012888888881881e15', '888881'],
      ['card 40128888 88881881', '88881881'],
      ['card 4012 88888888 1881', '88888888'],
      ['card 40 12 88 88 88 88 18 81', '88 88 18'],
      ['4111%201111%201111%201111', '1111%20'],
      ['3782|822463|10005', '822463'],
      ['41111111|11111111', '41111111'],
      ['ssn 536\t22\t1234', '1234'],
      ['write to ana.silva\t@\tcontoso.com', 'silva'],
      ['write to ana.silva <at> contoso <dot> com', 'silva'],
      ['write to ana.silva@contoso\u3002com', 'silva'],
    ];
    for (const [text, clear] of cases) {
      const masked = masker.maskText(text) ?? '';
      assert.ok(!masked.includes(clear), `${text} -> ${masked}`);
    }
    // Ordinary numbers stay: amounts with thousands, a semicolon row without a word saying SSN.
    for (const text of [
      'total 1,234,567,890 EUR',
      'pop 7,900,000,000,000',
      '536;22;1234',
      'if a < b and c > d',
    ]) {
      assert.equal(masker.maskText(text), text);
    }
  });

  test('encoded twice, quoted-printable, and lowercase: the separators and marks read as what they encode', () => {
    const cases: Array<[string, string]> = [
      ['4111%25201111%25201111%25201111', '1111%25'],
      ['4111%252D1111%252D1111%252D1111', '1111%25'],
      ['4111%2525201111%2525201111%2525201111', '1111%25'],
      ['4111=201111=201111=201111', '1111=20'],
      ['536=2D22=2D1234 ssn', '22=2D'],
      ['write to ana.silva%2540contoso.com', 'silva'],
      ['write to ana.silva=40contoso.com', 'silva'],
      ['write to ana.silva&amp;#64;contoso.com', 'silva'],
      ['write to ana.silva&amp;amp;#64;contoso&amp;#46;com', 'silva'],
    ];
    for (const [text, clear] of cases) {
      const masked = masker.maskText(text) ?? '';
      assert.ok(!masked.includes(clear), `${text} -> ${masked}`);
    }
    // What only looks encoded stays: a limit, an exponent, a percentage, a query string.
    for (const text of [
      'limit=20 and x=2e5',
      'rate 25%2520',
      'a=20&b=40',
      'growth 20%25 in 2024',
      '?page=2&size=20',
    ]) {
      assert.equal(masker.maskText(text), text);
    }
  });

  test('round 40: a card after many short numbers is read across the cut of a long run', () => {
    for (const k of [26, 29, 30, 31, 60]) {
      const text = `${'12 '.repeat(k)}4111 1111 1111 1111`;
      assert.ok(!(masker.maskText(text) ?? '').includes('4111 1111'), `${k} numbers before it`);
    }
    const spaced = `${'12 '.repeat(40)}4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 ${'7 '.repeat(20)}`;
    assert.ok(!(masker.maskText(spaced) ?? '').includes('4 1 1 1 1 1 1 1'), 'spaced out');
  });

  test('round 40: a JSON member whose key says what it holds is masked as that, at any depth', () => {
    const out = masker.maskResult({
      columns: [{ name: 'j', type: 'json' }],
      rows: [{ j: { ssn: '536221234', customer: { phone: 2065550123, note: 'ok' }, n: 5 } }],
      plan: [],
      unmasked: new Set(),
    });
    const text = JSON.stringify(out.rows);
    assert.ok(!text.includes('536221234') && !text.includes('2065550123'), text);
    assert.match(text, /"note":"ok"/);
    assert.match(text, /"n":5/);
  });

  test('round 36: a JSON number with a fraction is scanned by its integer part', () => {
    const out = masker.maskResult({
      columns: [{ name: 'j', type: 'json' }],
      rows: [{ j: { card: 4111111111111111.5, small: 12.5 } }],
      plan: [],
      unmasked: new Set(),
    });
    const j = (out.rows[0] as { j: { card: unknown; small: unknown } }).j;
    assert.notEqual(j.card, 4111111111111111.5);
    assert.ok(!String(j.card).includes('41111111'));
    assert.equal(j.small, 12.5);
  });

  test('printed shapes keep their own masking: a card shows its last four', () => {
    assert.equal(masker.maskText(`card ${CARD}`), 'card ************1881');
    assert.equal(masker.maskText('card 4012 8888 8888 1881'), 'card ************1881');
  });

  test('round 41: number words with accents, and in Italian, Portuguese or Dutch', () => {
    const inWords = (list: string[]) => [...card].map((d) => list[Number(d)] as string).join(' ');
    const italian = ['zero', 'uno', 'due', 'tre', 'quattro', 'cinque', 'sei', 'sette', 'otto', 'nove'];
    const portuguese = ['zero', 'um', 'dois', 'três', 'quatro', 'cinco', 'seis', 'sete', 'oito', 'nove'];
    const dutch = ['nul', 'een', 'twee', 'drie', 'vier', 'vijf', 'zes', 'zeven', 'acht', 'negen'];
    for (const list of [french, german, italian, portuguese, dutch]) {
      const text = inWords(list);
      assert.equal(masker.maskText(`card ${text} end`), 'card [REDACTED] end', text);
    }
    // Decomposed accents (`e` and a combining acute) read the same.
    const decomposed = inWords(french).normalize('NFD');
    assert.equal(masker.maskText(decomposed), '[REDACTED]');
    // Accented prose is no number.
    for (const text of ['Crème brûlée à la carte, 12 €', 'Müller, Köln: drei Zimmer, zwei Bäder']) {
      assert.deepEqual(detect(text), [], text);
    }
  });

  test('round 41: digits one by one behind the same mark, markup, letter or word; groups joined by longer words', () => {
    const one = (sep: string, quote = '') => [...card].map((d) => `${quote}${d}${quote}`).join(sep);
    for (const text of [
      one('|'),
      one(':'),
      one(';'),
      one('\t'),
      one('\n'),
      one('~'),
      one('*'),
      one('#'),
      `[${one(',', '"')}]`,
      `[${one(', ', "'")}]`,
      `${one('|')} and more`,
      one('</d><d>'),
      one('q'),
      one(' then '),
      '5555 then 5510 then 0114 then 6646',
    ]) {
      assert.ok(!(masker.maskText(`x ${text} y`) ?? '').includes('5|5|5'), text);
      assert.ok(
        detect(text).some((f) => f.dataClass === 'pci.pan'),
        text,
      );
    }
    // Ten digits one by one are a survey's row as often as a phone number (round 42).
    for (const row of [
      '3|1|3|3|1|2|3|1|5|2',
      '| 5 | 0 | 4 | 3 | 8 | 7 | 0 | 1 | 5 | 8 |',
      '2|0|6|5|5|5|0|1|2|3',
    ]) {
      assert.deepEqual(detect(row), [], row);
    }
    // Not a card or phone either way, nine flags, or a longer list: nothing.
    for (const text of [
      '5|5|5|5|5|5|1|0|0|1|1|4|6|6|4|7',
      '1|0|1|1|0|1|1|0|1',
      '1|2|3|4|5|6|7|8|9|0|1|2|3|4|5|6|7|8|9|0|1|2',
      `${one('|')}|1|2|3|4|5`,
      'rooms 1 and 2 and 3 and 4 and 5 and 6 and 7 and 8 and 9 and 0',
      'scores 5 | 4 | 3 | 5 | 2 | 1 | 4 | 3 | 5 | 1 | 2 | 2',
    ]) {
      assert.deepEqual(detect(text), [], text);
    }
  });

  test('round 42: more escapes of @, number words behind any mark or joining word, phones joined by | or ~', () => {
    for (const text of [
      'mail ximena.zhang1\\u{40}example.com',
      'mail ximena.zhang1\\100example.com',
      'mail ana\\u{40}contoso\\u{2e}com',
      'mail ximena.zhang1@\nexample.com',
    ]) {
      const masked = masker.maskText(text) ?? '';
      assert.ok(!/zhang|ana/.test(masked), `${text} -> ${masked}`);
    }
    const words = (sep: string, list = WORDS) => [...card].map((d) => list[Number(d)] as string).join(sep);
    for (const text of [
      words('|'),
      words(':'),
      words(' & '),
      words(' + '),
      `["${words('","')}"]`,
      words(' then '),
      words(' et ', french),
      words(' und ', german),
    ]) {
      const masked = masker.maskText(`x ${text} y`) ?? '';
      assert.ok(masked.includes('[REDACTED]') && !/five|cinq|fünf/.test(masked), `${text} -> ${masked}`);
    }
    for (const text of [
      '586|555|0199',
      '586~555~0199',
      '1|586|555|0199',
      'call 586;555;0199',
      'tel: 586:555:0199',
    ]) {
      assert.ok(
        detect(text).some((f) => f.dataClass === 'pii.phone'),
        text,
      );
    }
    for (const text of ['748~93~8418', '748--93--8418', '748 . 93 . 8418']) {
      assert.ok(
        detect(text).some((f) => f.dataClass === 'pii.ssn'),
        text,
      );
    }
    // Times, ratios and rows of CSV numbers are no phone; nor is an escaped character in prose.
    for (const text of [
      '12:30:45',
      'ratio 300:200:1000',
      '586;555;0199',
      '100|200|3000',
      'price\\100 tag',
      'hi @\nthere',
    ]) {
      assert.deepEqual(detect(text), [], text);
    }
  });

  test('round 42: a card as character codes behind the same mark (hex bytes, decimal ASCII)', () => {
    const hex = [...card].map((d) => `3${d}`);
    const decimal = [...card].map((d) => String(48 + Number(d)));
    for (const text of [
      hex.join(' '),
      hex.join(':'),
      hex.map((c) => `0x${c}`).join(','),
      hex.map((c) => `0x${c}`).join(' '),
      decimal.join(' '),
      decimal.map((c) => `0${c}`).join(' '),
      decimal.join(','),
      [...'4222222222222'].map((d) => `3${d}`).join(' '),
    ]) {
      assert.ok(
        detect(text).some((f) => f.dataClass === 'pci.pan'),
        text,
      );
    }
    // Codes that spell no card, and ordinary lists of two-digit numbers, are nothing.
    for (const text of [
      '31 34 35 38 31 34 35 38 31 34 35 38 31 34 35 38',
      '12 34 56 78 90 12 34 56 78 90 12 34 56 78',
    ]) {
      assert.deepEqual(detect(text), [], text);
    }
  });

  test('ordinary text spells nothing', () => {
    for (const text of [
      '2024-03-05 12:34:56',
      '2024-03-05T12:34:56.789Z and 1999-12-31',
      'v1.2.3 build 2024.05.123',
      'a bad cafe faced a big deal at the head office',
      'one or two of the nine came back, seven stayed',
      'Ticket 4412, agent Jane: refund of 1,234,567.89 EUR on 2024/05/01',
      '0x7ffd5f3c2a10 0o755',
      '3f2504e0-4f89-11d3-9a0c-0305e82c3301 deadbeef-cafe-babe-face-abcdefabcdef',
      'order 2024-05-123 shipped; codes 4821, 5532, 1189, 4417',
      'abcdefghij',
      'ABCDEFGHIJ ABCD-EF-GHIJ',
      'ORD-2024-000123 ORD-2024-040393 40393',
      // Red-team round 11's false positives.
      'Count with me: one two three four five six seven eight nine ten!',
      'dad bid each',
      'bad ad face',
      'Postcodes 4051, 4052, 4053, 4058',
      'mix ratio 300:20:1000',
      's3://bucket/123/45/6789.jpg',
      '/shops/101/12/3456',
      'PO 3104-05-117 shipped',
      'batch 7001-02-003',
      // Round twelve's: amounts, dates and ids joined by pipes, dots and list separators.
      '262.71|2024-05-16',
      '3|262.71|2024-05-16 19:43:12.055+00',
      '100|05|2024',
      '335.11.2024',
      '477.05.2023',
      '4051, 4052; 4053, 4058',
      '101 46 1357.30',
      '3943,10000,1468.76,refunded,2024-05-01',
    ]) {
      assert.deepEqual(detect(text), [], text);
    }
  });

  test('fuzz: any card written as letters or words in any text is found', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{15}$/),
        fc.constantFrom('4', '5', '6'),
        fc.constantFrom<'letters0' | 'letters1' | 'words'>('letters0', 'letters1', 'words'),
        fc.constantFrom('', 'paid ', 'see: '),
        (body, issuer, how, before) => {
          const partial = `${issuer}${body.slice(0, 14)}`;
          const card = `${partial}${luhnCheckDigit(partial)}`;
          const spelled =
            how === 'words' ? words(card) : how === 'letters0' ? LETTERS_0(card) : LETTERS_1(card);
          const text = `${before}${spelled} thanks`;
          assert.deepEqual(classOf(text), ['pci.pan'], text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
