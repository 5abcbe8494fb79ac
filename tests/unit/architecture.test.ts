import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Import specifiers, ignoring comments (which may name a package to explain a choice). */
function imports(path: string): string[] {
  const code = readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);
}

test('the core in shared/ knows nothing of Azure Functions, the hosts or the CLI', () => {
  for (const file of sources(join(ROOT, 'shared'))) {
    for (const spec of imports(file)) {
      const where = relative(ROOT, file);
      assert.ok(!spec.startsWith('@azure/functions'), `${where} imports ${spec}`);
      assert.ok(!/(^|\/)(functions|cli)\//.test(spec), `${where} imports ${spec}`);
    }
  }
});

test('only shared/config/settings.ts reads process.env in the core', () => {
  for (const file of sources(join(ROOT, 'shared'))) {
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    if (relative(ROOT, file) === join('shared', 'config', 'settings.ts')) continue;
    assert.doesNotMatch(code, /process\.env/, relative(ROOT, file));
  }
});

test('functions/ handlers stay thin: no SQL, policy or masking logic of their own', () => {
  for (const file of sources(join(ROOT, 'functions'))) {
    for (const spec of imports(file)) {
      assert.ok(
        !/shared\/(sql|masking|identity)\//.test(spec) ||
          file.endsWith('runtime.ts') ||
          file.endsWith('index.ts'),
        `${relative(ROOT, file)} imports ${spec}`,
      );
    }
  }
});
