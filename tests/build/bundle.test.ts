import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

test('npm run build produces a bundle that Node loads, with its WASM files and policies', async () => {
  await run(process.execPath, ['scripts/build.mjs'], { cwd: root });
  for (const f of [
    'functions/index.js',
    'functions/cedar_wasm_bg.wasm',
    'functions/libpg-query.wasm',
    'host.json',
    'package.json',
    'policies/schema.cedarschema',
  ]) {
    assert.ok(existsSync(join(root, 'dist', f)), `dist/${f} exists`);
  }
  // A fresh process with no tsx and no node_modules on the path of the bundle's imports:
  // everything must come from dist/.
  const script = `const m = await import(${JSON.stringify(join(root, 'dist/functions/index.js'))});
    const check = await m.selfCheck();
    console.log(JSON.stringify({ routes: m.routes.map((r) => [r.name, r.methods.join(','), r.route]), check }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(root, 'dist'),
  });
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    routes: string[][];
    check: { policies: number; parsed: string };
  };
  assert.deepEqual(
    out.routes.map((r) => r[0]),
    ['query', 'listConnections', 'searchAudit', 'health'],
  );
  assert.ok(out.check.policies > 5, 'shipped policies load from the bundle');
  assert.equal(out.check.parsed, 'read');
});
