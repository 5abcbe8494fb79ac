import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../../shared/errors.js';
import { auditRecord } from '../../contract/audit-store.contract.js';
import { MemoryAuditStore } from '../../support/memory-audit-store.js';

const unavailable = (e: unknown) => isGatewayError(e) && e.code === 'audit_unavailable';

describe('MemoryAuditStore outage switches', () => {
  it('failNext fails exactly one operation, with the given cause, and stores nothing', async () => {
    const store = new MemoryAuditStore();
    const cause = new Error('disk on fire');
    store.failNext(cause);
    await assert.rejects(
      store.append(auditRecord(1)),
      (e: unknown) => unavailable(e) && (e as Error).cause === cause,
    );
    assert.deepEqual(store.all(), []);
    await store.append(auditRecord(1));
    assert.equal(store.all().length, 1);
  });

  it('setAvailable(false) fails appends and searches until switched back', async () => {
    const store = new MemoryAuditStore();
    store.setAvailable(false);
    await assert.rejects(store.append(auditRecord(1)), unavailable);
    await assert.rejects(store.search({}, { limit: 1 }), unavailable);
    store.setAvailable(true);
    await store.append(auditRecord(1));
    assert.deepEqual((await store.search({}, { limit: 1 })).records, [auditRecord(1)]);
  });

  it('keeps its own copy, so later changes by the caller do not alter the record', async () => {
    const store = new MemoryAuditStore();
    const record = auditRecord(1);
    await store.append(record);
    record.decision.reasons.push('edited afterwards');
    assert.deepEqual(store.all(), [auditRecord(1)]);
  });
});
