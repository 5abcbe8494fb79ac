import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRecord } from '../../../shared/audit/record.js';
import { newTrace } from '../../../shared/pipeline/trace.js';
import type { AuditStore } from '../../../shared/store/audit-store.js';
import { conclude } from '../../../shared/use-cases/conclude.js';
import { releasedJson, withRowsJson } from '../../../shared/use-cases/released-json.js';

/** An audit store whose appends wait until the test lets them land (or fail). */
function heldAudit() {
  const appended: AuditRecord[] = [];
  let land: (() => void) | undefined;
  let fail: ((e: Error) => void) | undefined;
  const store: AuditStore = {
    append: (record) =>
      new Promise<void>((resolve, reject) => {
        appended.push(record);
        land = resolve;
        fail = reject;
      }),
    search: async () => ({ records: [] }),
  };
  return { store, appended, land: () => land?.(), fail: (e: Error) => fail?.(e) };
}

function bigValue() {
  const rows = Array.from({ length: 400 }, (_, i) => ({
    id: i,
    city: `City number ${i}`,
    note: 'x'.repeat(40),
  }));
  return withRowsJson(
    { requestId: 'r-1', rows, rowCount: rows.length, truncated: false },
    JSON.stringify(rows),
  );
}

const trace = () =>
  newTrace({ requestId: 'r-1', time: new Date(0), transport: 'rest', action: 'query', connection: 'demo' });

describe('conclude: the value JSON is made while the audit event is written (issue 12, must-have 4)', () => {
  it('has the JSON ready before the append lands, and hands the value over only after', async () => {
    const audit = heldAudit();
    const value = bigValue();
    let settled = false;
    const outcome = conclude({ audit: audit.store, log: () => undefined }, trace(), async () => ({
      value,
      end: { rowsReturned: value.rowCount, truncated: false },
    })).then((o) => {
      settled = true;
      return o;
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(audit.appended.length, 1, 'the event was sent');
    assert.equal(settled, false, 'nothing is handed over before the event is durable');
    assert.ok(Object.isFrozen(value), 'the JSON was made meanwhile, over a value that cannot change after');
    const made = releasedJson(value);
    assert.deepEqual(JSON.parse(made ?? 'null'), JSON.parse(JSON.stringify(value)));
    audit.land();
    const o = await outcome;
    assert.equal(o.kind, 'allowed');
  });

  it('an append that fails while the JSON is made is audit_unavailable, and no rejection goes unhandled', async () => {
    const audit = heldAudit();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const value = bigValue();
      const outcome = conclude({ audit: audit.store, log: () => undefined }, trace(), async () => ({
        value,
        end: { rowsReturned: value.rowCount, truncated: false },
      }));
      await Promise.resolve();
      await Promise.resolve();
      audit.fail(new Error('store down'));
      const o = await outcome;
      assert.equal(o.kind, 'failed');
      assert.equal(o.kind === 'failed' ? o.failure.code : '', 'audit_unavailable');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a small value is not held back a turn of the loop, nor frozen', async () => {
    const audit: AuditStore = { append: async () => undefined, search: async () => ({ records: [] }) };
    const value = withRowsJson(
      { requestId: 'r-1', rows: [{ id: 1 }], rowCount: 1, truncated: false },
      '[{"id":1}]',
    );
    const o = await conclude({ audit, log: () => undefined }, trace(), async () => ({
      value,
      end: { rowsReturned: 1, truncated: false },
    }));
    assert.equal(o.kind, 'allowed');
    assert.equal(Object.isFrozen(value), false);
  });
});
