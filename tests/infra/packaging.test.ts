import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { z } from 'zod';
import { skipOutsideCi } from '../support/ci-skip.js';
import { asRecord, loadCompiledTemplate, ROOT, single } from './arm.js';

/** azure.yaml deploys dist/ to the Function App; .funcignore keeps tests, settings and sources out. */

const azureYaml = z
  .looseObject({
    name: z.string(),
    infra: z.looseObject({ provider: z.string(), path: z.string(), module: z.string() }),
    services: z.record(z.string(), z.looseObject({})),
  })
  .parse(parse(readFileSync(join(ROOT, 'azure.yaml'), 'utf8')));

const ignored = readFileSync(join(ROOT, '.funcignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('azure.yaml', () => {
  it('provisions infra/bicep/main.bicep', () => {
    assert.deepEqual(azureYaml.infra, { provider: 'bicep', path: 'infra/bicep', module: 'main' });
  });

  it('deploys the api service from dist/ as built, to a Function App', () => {
    const api = azureYaml.services.api;
    assert.ok(api, 'service api');
    assert.equal(api.project, '.');
    assert.equal(api.language, 'ts');
    assert.equal(api.host, 'function');
    assert.equal(api.dist, 'dist');
    assert.equal(api.remoteBuild, false);
  });

  it('matches the Function App azd finds by its azd-service-name tag', (t) => {
    const loaded = loadCompiledTemplate();
    if ('skip' in loaded) {
      skipOutsideCi(t, loaded.skip);
      return;
    }
    const site = single(loaded.template, 'Microsoft.Web/sites');
    assert.match(String(site.resource.tags), /'azd-service-name', 'api'/);
    assert.ok(asRecord(loaded.template.parameters, 'parameters').environmentName, 'azd environmentName');
  });
});

describe('.funcignore', () => {
  it('keeps tests, local settings, sources and tooling out', () => {
    for (const entry of [
      'tests/',
      'local.settings.json',
      'shared/',
      'cli/',
      'infra/',
      'node_modules/',
      '*.ts',
    ]) {
      assert.ok(ignored.includes(entry), `${entry} is ignored`);
    }
  });

  it('never drops what the package needs', () => {
    for (const entry of ignored) {
      assert.doesNotMatch(
        entry,
        /^\/?(host\.json|package\.json|functions\/?|policies\/?|dist\/?|agentgate\.config\.yaml)$/,
      );
      assert.doesNotMatch(entry, /^\*\.(js|wasm|json|yaml)$/);
    }
  });
});
