// Bundles the Azure Functions entry into dist/ as a self-contained deployable folder:
// dist/functions/index.js (+ the WASM files the bundle loads next to itself), dist/policies/,
// dist/host.json and a dependency-free dist/package.json.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'functions'), { recursive: true });

await build({
  entryPoints: [join(root, 'functions/index.ts')],
  outfile: join(dist, 'functions/index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  // Provided by the Functions worker at run time; never bundle it.
  external: ['@azure/functions-core'],
  // CommonJS dependencies bundled into ESM still call require() and read __dirname
  // (Cedar and libpg-query load their WASM files from next to themselves).
  banner: {
    js: [
      "import { createRequire as __agCreateRequire } from 'node:module';",
      "import { fileURLToPath as __agFileURLToPath } from 'node:url';",
      "import { dirname as __agDirname } from 'node:path';",
      'const require = __agCreateRequire(import.meta.url);',
      'const __filename = __agFileURLToPath(import.meta.url);',
      'const __dirname = __agDirname(__filename);',
    ].join('\n'),
  },
  logLevel: 'warning',
});

const wasm = [
  'node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm_bg.wasm',
  'node_modules/libpg-query/wasm/libpg-query.wasm',
];
for (const file of wasm) await cp(join(root, file), join(dist, 'functions', file.split('/').pop()));
// The approval page serves MSAL's browser builds itself (shared/rest/assets.ts reads them from msal/).
await mkdir(join(dist, 'functions', 'msal'), { recursive: true });
for (const file of ['lib/msal-browser.min.js', 'lib/redirect-bridge/msal-redirect-bridge.min.js']) {
  await cp(
    join(root, 'node_modules/@azure/msal-browser', file),
    join(dist, 'functions', 'msal', file.split('/').pop()),
  );
}
await cp(join(root, 'policies'), join(dist, 'policies'), { recursive: true });
await cp(join(root, 'host.json'), join(dist, 'host.json'));

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
await writeFile(
  join(dist, 'package.json'),
  `${JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', main: 'functions/index.js' }, null, 2)}\n`,
);
console.log('built dist/ (functions/index.js, WASM files, policies/, host.json, package.json)');
