import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

/**
 * Skips a test whose tool is missing here, saying why, but fails it in CI: CI always has
 * the Bicep CLI, PostgreSQL and Chromium, so a skip there would hide a test that never ran.
 */
export function skipOutsideCi(t: TestContext, reason: string): void {
  if (process.env.CI) assert.fail(`CI must run this test, but: ${reason}`);
  t.skip(reason);
}
