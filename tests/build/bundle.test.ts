import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROUTES } from '../../shared/rest/routes.js';
import { PACKAGE_LIMIT_BYTES, packageFiles, zippedSize } from '../support/deploy-package.js';

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
    check: { policies: number; parsed: string; stamped: boolean };
  };
  // The bundle registers the same table as the sources (the pinned list is in the routes test).
  assert.deepEqual(
    out.routes.map((r) => r[0]),
    ROUTES.map((r) => r.name),
  );
  assert.ok(out.check.policies > 5, 'shipped policies load from the bundle');
  assert.equal(out.check.parsed, 'read');
  // The build validated the shipped policies and stamped them: the package skips doing it again.
  assert.equal(out.check.stamped, true, 'the packaged policies carry a stamp that applies');
});

test('the package carries no source map and stays within 4 MB zipped', () => {
  // Relies on dist/ from the first test. The map is published beside the package, not in it.
  const files = packageFiles();
  assert.deepEqual(
    files.filter((f) => f.endsWith('.map') || f.includes('sourceMappingURL')),
    [],
    'no source map in dist/',
  );
  for (const f of files.filter((name) => name.endsWith('.js'))) {
    assert.doesNotMatch(readFileSync(join(root, 'dist', f), 'utf8').slice(-300), /sourceMappingURL/, f);
  }
  assert.ok(existsSync(join(root, 'dist-maps/functions/index.js.map')), 'the map is published in dist-maps/');
  const zipped = zippedSize();
  assert.ok(
    zipped <= PACKAGE_LIMIT_BYTES,
    `dist/ zips to ${(zipped / 1024 / 1024).toFixed(2)} MB, over the 4 MB limit`,
  );
  // The all-dialect parser (4 MB) must not creep back in: only T-SQL is parsed by node-sql-parser.
  const meta = JSON.parse(readFileSync(join(root, 'dist-maps/meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  const parsers = Object.keys(meta.inputs)
    .map((f) => /node_modules\/node-sql-parser\/((?:build|umd|lib)\/[^/]+|index\.js)$/.exec(f)?.[1])
    .filter((f) => f !== undefined);
  assert.deepEqual(parsers, ['build/transactsql.js']);
});

test('the bundled Azure composition root starts from app settings and answers without Azure', async () => {
  // Relies on dist/ from the test above (tests in one file run in order).
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'agentgate-bundle-'));
  const config = join(dir, 'agentgate.config.yaml');
  await writeFile(
    config,
    'connections:\n  - id: sales\n    engine: postgres\n    environment: prod\n    target: { host: db.example.com, database: sales, user: agentgate, auth: entra }\n',
  );
  // Plain objects stand in for HttpRequest/InvocationContext: the handlers only use the
  // structural ApiRequest surface. Nothing here reaches the network: health needs no store,
  // and a request without a token is refused before any key or store is touched.
  const script = `const m = await import(${JSON.stringify(join(root, 'dist/functions/index.js'))});
    const req = (method, url, params = {}) => ({ method, url, params, query: new URL(url).searchParams,
      headers: new Headers({ 'content-type': 'application/json' }), text: async () => '{"sql":"select 1"}' });
    const ctx = { error: (...a) => console.error(...a) };
    const health = await m.routes.find((r) => r.name === 'health').handler(req('GET', 'http://h/api/health'), ctx);
    const query = await m.routes.find((r) => r.name === 'query').handler(
      req('POST', 'http://h/api/v1/connections/sales/query', { connection: 'sales' }), ctx);
    console.log(JSON.stringify({ health: health.status, query: query.status, www: query.headers['www-authenticate'] }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      AGENTGATE_CONFIG: config,
      AGENTGATE_AUTH_TENANTS: '11111111-1111-1111-1111-111111111111',
      AGENTGATE_AUTH_AUDIENCES: 'api://agentgate',
      COSMOS__accountEndpoint: 'https://127.0.0.1:9/',
      AGENTGATE_MASKING_KEY: 'bundle-test-masking-key-0123456789',
      AZURE_CLIENT_ID: '22222222-2222-2222-2222-222222222222',
    },
  });
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    health: number;
    query: number;
    www: string;
  };
  assert.equal(out.health, 200, 'the gateway was built from settings, policies and config inside the bundle');
  assert.equal(out.query, 401);
  assert.match(out.www, /^Bearer realm="agentgate"/);
});
