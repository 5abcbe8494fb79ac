import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tableNameWarnings } from '../../../shared/policy/index.js';
import { SHIPPED_POLICY_DIR } from './fixtures.js';

test('names that are not lower-case and schema-qualified are warned about, with the line', () => {
  const text = [
    '@id("a") @message("m")',
    'forbid (principal, action, resource)',
    'when { context.tables.contains("payments") ||',
    '  context.tables.containsAny(["public.orders", "Public.Cards"]) ||',
    '  context.tables == ["public.ok"] };',
    '// context.tables.contains("commented")',
  ].join('\n');
  const warnings = tableNameWarnings([{ name: 'p.cedar', text }]);
  assert.deepEqual(
    warnings.map((w) => [w.line, w.name]),
    [
      [3, 'payments'],
      [4, 'Public.Cards'],
    ],
  );
  assert.match(warnings[0].message, /did you mean "public\.payments"/);
  assert.match(warnings[1].message, /did you mean "public\.cards"/);
});

test('the shipped policies raise no warning', async () => {
  const names = (await readdir(SHIPPED_POLICY_DIR)).filter((n) => n.endsWith('.cedar'));
  const files = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(SHIPPED_POLICY_DIR, name), 'utf8') })),
  );
  assert.deepEqual(tableNameWarnings(files), []);
});
