import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { createAzureGateway } from '../../functions/runtime.js';
import { SETTINGS } from '../../shared/config/settings.js';
import { ROOT } from './arm.js';

/**
 * The settings the Functions entry reads, the local example (local.settings.example.json),
 * the Function App's app settings in Bicep and the settings table of docs/operations.md say
 * the same thing. What the entry reads is observed, not listed: it composes the gateway from
 * an environment that records every name asked for. Bicep is read from its source, so this
 * runs without the Bicep CLI (tests/infra/app-settings.test.ts checks the compiled template).
 */

const NEEDED = ['required', 'optional', 'Azure only', 'local only', 'host'] as const;
type Needed = (typeof NEEDED)[number];
interface DocRow {
  needed: Needed;
  example: boolean;
  bicep: boolean;
}

/** Enough to compose without Azure: clients are built lazily, nothing is contacted. */
const BASE_ENV: Record<string, string> = {
  AGENTGATE_CONFIG: 'agentgate.config.example.yaml',
  AGENTGATE_AUTH_TENANTS: '00000000-0000-0000-0000-000000000000',
  AGENTGATE_AUTH_AUDIENCES: 'api://agentgate',
  COSMOS__accountEndpoint: 'https://127.0.0.1:1/',
  SERVICEBUS__fullyQualifiedNamespace: 'agentgate-test.servicebus.windows.net',
  AGENTGATE_APPROVAL_BASE_URL: 'https://agentgate.example',
};

/** Every name the entry reads while composing the gateway from `env`. */
async function namesRead(env: Record<string, string>): Promise<Set<string>> {
  const seen = new Set<string>();
  const recording = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      // Enumerating the environment would read names nobody could list here.
      seen.add('*');
      return Reflect.ownKeys(target);
    },
  });
  await createAzureGateway(recording);
  return seen;
}

function exampleSettings(): Record<string, string> {
  const file = JSON.parse(readFileSync(join(ROOT, 'local.settings.example.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  return file.Values;
}

/** The keys of the `appsettings` resource in the Bicep source (kept literal for the tests). */
function bicepAppSettings(source: string): string[] {
  const start = source.indexOf("name: 'appsettings'");
  assert.ok(start >= 0, 'no appsettings resource in function-app.bicep');
  const body = source.slice(source.indexOf('properties: {', start));
  const end = body.indexOf('\n  }');
  return [...body.slice(0, end).matchAll(/^ {4}([A-Za-z_][A-Za-z0-9_]*):/gm)].map((m) => m[1]);
}

function docRows(markdown: string): Map<string, DocRow> {
  const marker = markdown.indexOf('<!-- settings-table');
  assert.ok(marker >= 0, 'docs/operations.md has no settings table marker');
  const lines = markdown.slice(marker).split('\n').slice(1);
  const rows = new Map<string, DocRow>();
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    const [name, needed, example, bicep] = line
      .split(' | ')
      .map((c) => c.replace(/^\|/, '').trim())
      .slice(0, 4);
    const key = /^`([A-Za-z0-9_]+)`$/.exec(name)?.[1];
    assert.ok(key, `settings table: bad setting cell ${name}`);
    assert.ok((NEEDED as readonly string[]).includes(needed), `${key}: needed is ${needed}`);
    for (const cell of [example, bicep]) assert.match(cell, /^(yes|no)$/, key);
    assert.ok(!rows.has(key), `${key} twice in the settings table`);
    rows.set(key, { needed: needed as Needed, example: example === 'yes', bicep: bicep === 'yes' });
  }
  return rows;
}

describe('settings: the Functions entry, local.settings.example.json, Bicep and the docs agree', () => {
  let read: Set<string>;
  let example: Record<string, string>;
  let bicep: string[];
  let rows: Map<string, DocRow>;
  before(async () => {
    read = await namesRead({ ...BASE_ENV });
    example = exampleSettings();
    bicep = bicepAppSettings(
      readFileSync(join(ROOT, 'infra', 'bicep', 'modules', 'function-app.bicep'), 'utf8'),
    );
    rows = docRows(readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8'));
  });

  test('the entry reads named settings only, and at least the SETTINGS table', () => {
    assert.ok(!read.has('*'), 'the entry enumerates the environment');
    for (const name of Object.keys(SETTINGS)) assert.ok(read.has(name), `${name} is not read`);
  });

  test('every setting the entry reads has a row in the docs', () => {
    const missing = [...read].filter((name) => !rows.has(name));
    assert.deepEqual(missing, [], 'read by functions/runtime.ts but not in the settings table');
  });

  test('each row says truly whether the example and Bicep set it', () => {
    for (const [name, row] of rows) {
      assert.equal(name in example, row.example, `${name}: example column`);
      assert.equal(bicep.includes(name), row.bicep, `${name}: Bicep column`);
    }
    const undocumented = [...Object.keys(example), ...bicep].filter((name) => !rows.has(name));
    assert.deepEqual(undocumented, [], 'set in the example or Bicep but not in the settings table');
  });

  test('what each row needs holds: required in both, Azure only in Bicep, local only never in Azure', () => {
    for (const [name, row] of rows) {
      if (row.needed === 'host') {
        assert.ok(!read.has(name), `${name} is read by agentgate, not only by the host`);
        assert.ok(row.example || row.bicep, `${name} is set nowhere`);
        continue;
      }
      assert.ok(read.has(name), `${name} is documented but the entry never reads it`);
      if (row.needed === 'required') assert.ok(row.example && row.bicep, `${name} is required`);
      if (row.needed === 'Azure only') assert.ok(row.bicep && !row.example, `${name} is Azure only`);
      if (row.needed === 'local only') assert.ok(!row.bicep, `${name} is local only`);
    }
  });

  test('the required rows are exactly the settings without which the entry will not start', async () => {
    const required = [...rows].filter(([, r]) => r.needed === 'required').map(([n]) => n);
    for (const name of required) assert.ok(name in BASE_ENV, `${name} is required: give it in BASE_ENV`);
    for (const name of Object.keys(BASE_ENV)) {
      const env = { ...BASE_ENV };
      delete env[name];
      const starts = await createAzureGateway(env).then(
        () => true,
        () => false,
      );
      assert.equal(!starts, required.includes(name), `${name}: documented as ${rows.get(name)?.needed}`);
    }
  });

  test('the example carries no secret: the masking key is a reference to the secret Bicep names', () => {
    const main = readFileSync(join(ROOT, 'infra', 'bicep', 'main.bicep'), 'utf8');
    const secret = /^var maskingKeySecretName = '([^']+)'/m.exec(main)?.[1];
    assert.ok(secret, 'main.bicep names the masking key secret');
    assert.match(
      example.AGENTGATE_MASKING_KEY ?? '',
      new RegExp(`^@Microsoft\\.KeyVault\\(SecretUri=https://[^/]+/secrets/${secret}/\\)$`),
    );
    for (const [name, value] of Object.entries(example)) {
      assert.doesNotMatch(value, /AccountKey=|SharedAccessKey|Password=/i, name);
    }
  });
});
