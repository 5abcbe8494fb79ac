import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mergeReport } from '../../../shared/pipeline/stream-mask.js';

it('a report over batches adds counts and keeps the most restrictive class of a column', () => {
  const into = { columns: { note: 'pii.phone' }, cellsMasked: 2, byClass: { 'pii.phone': 2 } };
  mergeReport(into, {
    columns: { note: 'pii.email', city: 'pii.ip' },
    cellsMasked: 3,
    byClass: { 'pii.email': 3 },
  });
  mergeReport(into, { columns: { note: 'pii.name' }, cellsMasked: 1, byClass: { 'pii.name': 1 } });
  assert.deepEqual(into, {
    columns: { note: 'pii.email', city: 'pii.ip' },
    cellsMasked: 6,
    byClass: { 'pii.phone': 2, 'pii.email': 3, 'pii.name': 1 },
  });
});
