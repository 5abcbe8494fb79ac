import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InboxNotifier } from '../../../shared/notify/inbox.js';
import { notice } from './fixtures.js';

describe('InboxNotifier', () => {
  it('keeps the same card Teams would get, newest first', async () => {
    let now = Date.UTC(2026, 11, 1, 21, 0, 0);
    const inbox = new InboxNotifier({ now: () => now });
    assert.deepEqual(await inbox.notify(notice({ requestId: 'a' })), { ok: true });
    now += 1_000;
    await inbox.notify(notice({ requestId: 'b' }));
    const list = inbox.list();
    assert.deepEqual(
      list.map((e) => [e.requestId, e.receivedAt]),
      [
        ['b', '2026-12-01T21:00:01.000Z'],
        ['a', '2026-12-01T21:00:00.000Z'],
      ],
    );
    assert.equal(list[0].card.attachments[0].content.version, '1.5');
    assert.equal(list[0].card.attachments[0].content.actions[0].url, notice().approveUrl);
  });

  it('shows a redelivered notice once, and drops the oldest beyond its capacity', async () => {
    const inbox = new InboxNotifier({ capacity: 3 });
    for (const id of ['a', 'b', 'a', 'c', 'd']) await inbox.notify(notice({ requestId: id }));
    assert.deepEqual(
      inbox.list().map((e) => e.requestId),
      ['d', 'c', 'a'],
    );
    assert.equal(inbox.get('b'), undefined);
  });

  it('hands out copies, so a caller cannot change what the inbox holds', async () => {
    const inbox = new InboxNotifier();
    await inbox.notify(notice());
    const first = inbox.list()[0];
    first.notice.statement = 'DROP TABLE customers';
    assert.equal(inbox.get('req-42')?.notice.statement, notice().statement);
  });

  it('refuses, not retryable, a notice whose card cannot be built', async () => {
    const inbox = new InboxNotifier();
    const outcome = await inbox.notify(notice({ expiresAt: 'never' }));
    assert.deepEqual(outcome, {
      ok: false,
      retryable: false,
      reason: 'the card could not be built (TypeError)',
    });
    assert.deepEqual(inbox.list(), []);
  });
});
