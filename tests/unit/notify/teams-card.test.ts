import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeMarkdown } from '../../../shared/notify/markdown.js';
import {
  buildApprovalCard,
  MAX_CARD_BYTES,
  type TeamsCardMessage,
} from '../../../shared/notify/teams-card.js';
import { notice } from './fixtures.js';

/** Every text a client renders: TextBlock texts and FactSet titles and values. */
function texts(message: TeamsCardMessage): string[] {
  const out: string[] = [];
  for (const block of message.attachments[0].content.body) {
    if (typeof block.text === 'string') out.push(block.text);
    if (Array.isArray(block.facts)) {
      for (const f of block.facts as Array<{ title: string; value: string }>) out.push(f.title, f.value);
    }
  }
  return out;
}

/** What a reader sees once Markdown escapes are undone. */
function shown(message: TeamsCardMessage): string {
  return texts(message)
    .join('\n')
    .replace(/\\([\s\S])/g, '$1');
}

/** The text with escaped characters removed: whatever Markdown is left here would be live. */
function live(s: string): string {
  return s.replace(/\\[\s\S]/g, '');
}

function bytes(message: TeamsCardMessage): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}

describe('buildApprovalCard', () => {
  it('is an Adaptive Card 1.5 in the webhook envelope with one OpenUrl button to the approval page', () => {
    const message = buildApprovalCard(notice());
    assert.equal(message.type, 'message');
    assert.equal(message.attachments.length, 1);
    assert.equal(message.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
    const card = message.attachments[0].content;
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.5');
    assert.deepEqual(card.actions, [
      {
        type: 'Action.OpenUrl',
        title: 'Review and decide',
        url: 'https://agentgate.example.com/api/approve/req-42',
      },
    ]);
    assert.doesNotMatch(JSON.stringify(message), /Action\.(Submit|Execute)/);
  });

  it('lists the bound parameters under the statement, at most ten, each cut to 100 characters', () => {
    assert.match(shown(buildApprovalCard(notice())), /Parameters\n\$1 = "emea"/);
    const many = Array.from({ length: 12 }, (_, i) => (i === 0 ? `"${'x'.repeat(300)}"` : String(i)));
    const text = shown(buildApprovalCard(notice({ params: many })));
    assert.match(text, /\$1 = "x{99}…/);
    assert.match(text, /\$10 = 9\n/);
    assert.doesNotMatch(text, /\$11 = /);
    assert.match(text, /and 2 more\n/);
    assert.match(text, /Parameters cut for the card: open the approval page/);
    // Whole parameters, ten or fewer: nothing to warn about.
    assert.doesNotMatch(shown(buildApprovalCard(notice())), /cut for the card/);
    // A long one alone is cut, and the card says so (red-team round 16: 520 spaces hid the rest).
    assert.match(
      shown(buildApprovalCard(notice({ params: [`"1${' '.repeat(520)},2,3"`] }))),
      /cut for the card/,
    );
    // No parameters, no heading.
    assert.doesNotMatch(shown(buildApprovalCard(notice({ params: [] }))), /Parameters/);
  });

  it('tells who asks, what, where, how much, why, for what and until when', () => {
    const text = shown(buildApprovalCard(notice({ quorum: 2 })));
    for (const expected of [
      'Agent Report bot (agent-7)',
      'app id 11111111-2222-3333-4444-555555555555',
      'on behalf of Alice Example (u-1)',
      'sales',
      'prod',
      '120000',
      'public.customers',
      'estimated rows 120000 exceed 10000',
      'bulk-read-needs-approval',
      'Quarterly churn report',
      'sales-approvers, 2 needed',
      'SELECT id, email FROM customers WHERE region = $1',
      '2026-12-01T22:00:00Z',
      'req-42',
    ]) {
      assert.ok(text.includes(expected), `card lacks ${expected}`);
    }
  });

  it('says so when rows are unknown, no purpose was given, and the requester is a human', () => {
    const text = shown(
      buildApprovalCard(
        notice({ estimatedRows: null, purpose: null, requester: { kind: 'human', id: 'u-9', name: 'Bob' } }),
      ),
    );
    assert.match(text, /Estimated rows\nunknown/);
    assert.match(text, /Purpose\nnone given/);
    assert.match(text, /Human Bob \(u-9\)/);
    assert.doesNotMatch(text, /on behalf of/);
  });

  it('leaves no live Markdown link, emphasis, mention or autolink in values anyone could write', () => {
    const evil = '[Approve now](https://evil.example/steal) **URGENT** _x_ <at>Bob</at> `code` # h | t';
    const message = buildApprovalCard(
      notice({
        statement: `SELECT 1 -- ${evil}`,
        purpose: evil,
        connection: evil,
        tables: [evil],
        reasons: [evil],
        policyIds: [evil],
        requester: { kind: 'agent', id: evil, name: evil, appId: evil, onBehalfOf: { id: evil, name: evil } },
      }),
    );
    for (const t of texts(message)) {
      if (t.startsWith('Expires {{DATE(')) continue;
      const rest = live(t);
      assert.doesNotMatch(
        rest,
        /\[|\]|\(|\)|\*|_|<|>|`|#|\||https:\/\//,
        `live markup in ${JSON.stringify(t)}`,
      );
    }
    // ...and the reader still sees exactly what was written.
    assert.ok(shown(message).includes(evil));
  });

  it('shows characters that reorder or hide text as visible codes', () => {
    const message = buildApprovalCard(
      notice({ statement: 'SELECT 1 /*\u202E*/ \u200B\u0007; DROP \u{E0041}', purpose: 'tab\tkept' }),
    );
    const text = shown(message);
    for (const code of ['[U+202E]', '[U+200B]', '[U+0007]', '[U+E0041]'])
      assert.ok(text.includes(code), code);
    assert.ok(text.includes('tab\tkept'));
    const raw = texts(message).join('');
    for (const c of ['\u202E', '\u200B', '\u0007', '\u{E0041}'])
      assert.ok(!raw.includes(c), 'raw invisible left');
  });

  it('keeps a huge statement within 28 KB, cut on a character boundary, with a note', () => {
    const statement = `SELECT ${'a_very_long_column, '.repeat(60_000)}1`;
    const message = buildApprovalCard(notice({ statement }));
    assert.ok(bytes(message) <= MAX_CARD_BYTES, `${bytes(message)} bytes`);
    assert.ok(bytes(message) > MAX_CARD_BYTES - 1024, 'cut far more than needed');
    const text = shown(message);
    assert.match(text, new RegExp(`of ${Array.from(statement).length} characters shown`));
    assert.ok(text.includes('SELECT a_very_long_column, a_very_long_column'));
    assert.equal(message.attachments[0].content.actions.length, 1);
  });

  it('counts bytes, not characters, and never splits a surrogate pair or an escape', () => {
    for (const statement of ['😀'.repeat(50_000), '*'.repeat(50_000), `${'é'.repeat(30_000)}\n`.repeat(3)]) {
      const message = buildApprovalCard(notice({ statement }));
      assert.ok(bytes(message) <= MAX_CARD_BYTES, `${bytes(message)} bytes`);
      const block = texts(message).find((t) => t.endsWith(' …'))!;
      assert.ok(block, 'no cut statement');
      assert.doesNotMatch(block, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      // An odd run of backslashes before the ellipsis would be a cut escape.
      assert.doesNotMatch(block, /(^|[^\\])(\\\\)*\\ …$/);
    }
  });

  it('leaves a statement that fits untouched', () => {
    const message = buildApprovalCard(notice());
    assert.doesNotMatch(shown(message), /cut for the card/);
  });

  it('refuses an approval link that is not https (http only for loopback) and a bad expiry', () => {
    assert.throws(() => buildApprovalCard(notice({ approveUrl: 'javascript:alert(1)' })), TypeError);
    assert.throws(
      () => buildApprovalCard(notice({ approveUrl: 'http://agentgate.example.com/a' })),
      TypeError,
    );
    assert.throws(
      () => buildApprovalCard(notice({ approveUrl: 'https://user:pw@agentgate.example.com/a' })),
      TypeError,
    );
    assert.throws(() => buildApprovalCard(notice({ expiresAt: 'tomorrow' })), TypeError);
    const local = buildApprovalCard(notice({ approveUrl: 'http://127.0.0.1:7071/api/approve/req-42' }));
    assert.equal(local.attachments[0].content.actions[0].url, 'http://127.0.0.1:7071/api/approve/req-42');
  });
});

describe('escapeMarkdown', () => {
  it('escapes each significant character once and turns line breaks into Markdown breaks', () => {
    assert.equal(escapeMarkdown('a*b'), 'a\\*b');
    assert.equal(escapeMarkdown('\\'), '\\\\');
    assert.equal(escapeMarkdown('x\ny'), 'x\n\ny');
    assert.equal(escapeMarkdown('x\r\ny'), 'x\n\ny');
    assert.equal(escapeMarkdown('plain words 42'), 'plain words 42');
  });
});
