import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditQuery } from '../../../cli/commands/audit.js';

test('audit search maps table, fingerprint, approval, transport and continuation to the API', () => {
  const q = auditQuery({
    table: 'public.customers',
    fingerprint: 'abc123',
    approval: 'r-1',
    transport: 'mcp',
    continuation: 'tok_en',
  });
  assert.deepEqual(Object.fromEntries(q), {
    table: 'public.customers',
    fingerprint: 'abc123',
    approvalRequestId: 'r-1',
    transport: 'mcp',
    continuation: 'tok_en',
  });
  assert.throws(() => auditQuery({ transport: 'smtp' }), /--transport/);
});
