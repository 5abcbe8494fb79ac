// Bundles the Azure Functions entry into dist/ as a self-contained deployable folder:
// dist/functions/index.js (+ the WASM files the bundle loads next to itself), dist/policies/,
// dist/host.json and a dependency-free dist/package.json. The source map goes to
// dist-maps/functions/index.js.map, beside the package and never in it: it is several times the
// size of the bundle and would be deployed (and loaded by nothing) otherwise.
// dist-maps/meta.json is esbuild's metafile: what each input adds to the bundle (see
// https://esbuild.github.io/analyze/), and what tests/build/bundle.test.ts checks.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const maps = join(root, 'dist-maps');
await rm(dist, { recursive: true, force: true });
await rm(maps, { recursive: true, force: true });
await mkdir(join(dist, 'functions'), { recursive: true });
await mkdir(join(maps, 'functions'), { recursive: true });

const result = await build({
  entryPoints: [join(root, 'functions/index.ts')],
  outdir: join(dist, 'functions'),
  // Dynamic imports become chunks loaded on first use (the composition root with the Cosmos DB,
  // identity and Service Bus SDKs), so the worker parses less before it registers its functions.
  // Chunks sit next to index.js: the WASM files and ../policies/ are found relative to them.
  splitting: true,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Minified: the bundle's parse and compile time is most of the cold start's import cost.
  minify: true,
  // Names stay readable in stack traces (errors are logged by class name).
  keepNames: true,
  // 'external' writes the map without a sourceMappingURL comment: the package does not carry it.
  sourcemap: 'external',
  metafile: true,
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
for (const file of await readdir(join(dist, 'functions'))) {
  if (file.endsWith('.map')) await rename(join(dist, 'functions', file), join(maps, 'functions', file));
}
await writeFile(join(maps, 'meta.json'), JSON.stringify(result.metafile));

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
// The shipped policies are validated in full now, once, and stamped: the packaged gateway then
// skips Cedar's parse and strict validation of them at each cold start (validated-stamp.ts).
await promisify(execFile)(
  process.execPath,
  ['--import', 'tsx', join(root, 'scripts/stamp-policies.ts'), join(dist, 'policies')],
  { cwd: root },
);
await cp(join(root, 'host.json'), join(dist, 'host.json'));

const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
await writeFile(
  join(dist, 'package.json'),
  `${JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', main: 'functions/index.js' }, null, 2)}\n`,
);
console.log(
  'built dist/ (functions/index.js, WASM files, policies/, host.json, package.json) and dist-maps/',
);
