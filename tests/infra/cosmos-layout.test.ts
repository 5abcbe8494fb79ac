import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COSMOS_CONTAINERS } from '../../shared/store/cosmos-layout.js';
import { asRecord, moduleCall, propsOf, single, templateOrSkip } from './arm.js';

/** Bicep provisions exactly the Cosmos DB containers the code uses, with their keys and TTLs. */

describe('Cosmos DB layout in Bicep', () => {
  it('matches COSMOS_CONTAINERS: names, partition keys and TTLs', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const expected = Object.entries(COSMOS_CONTAINERS).map(([name, c]) =>
      c.defaultTtlSeconds === null
        ? { name, partitionKey: c.partitionKey }
        : { name, partitionKey: c.partitionKey, defaultTtl: c.defaultTtlSeconds },
    );
    assert.deepEqual(template.variables.cosmosContainers, expected);
    assert.equal(moduleCall(template, 'cosmos').params.containers, "[variables('cosmosContainers')]");
  });

  it('creates every container from that list, with a hash partition key and TTL only when set', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const containers = single(template, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers');
    assert.equal(asRecord(containers.resource.copy, 'copy').count, "[length(parameters('containers'))]");
    const resource = String(propsOf(containers).resource);
    assert.match(
      resource,
      /"paths":\["\[parameters\('containers'\)\[copyIndex\(\)\]\.partitionKey\]"\]|paths/,
    );
    assert.match(resource, /if\(contains\(parameters\('containers'\)\[copyIndex\(\)\], 'defaultTtl'\)/);
  });

  it('is serverless and names the database the code defaults to', (t) => {
    const template = templateOrSkip(t);
    if (!template) return;
    const account = propsOf(single(template, 'Microsoft.DocumentDB/databaseAccounts'));
    assert.deepEqual(account.capabilities, [{ name: 'EnableServerless' }]);
    assert.equal(template.variables.cosmosDatabaseName, 'agentgate');
  });
});
