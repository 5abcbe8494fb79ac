import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_FILES_CONNECTION } from '../../../cli/dev/demo-files.js';
import { approverGroups } from '../../../functions/runtime.js';
import { parseConfig } from '../../../shared/config/connections.js';
import { loadPolicyEngine } from '../../../shared/policy/index.js';
import { POLICY_DIR } from '../../support/gateway-fixture.js';

test('every group a decision may name gets a webhook: policies, SQL and blob connections, split as decisions split them', async () => {
  const config = parseConfig({
    connections: [
      {
        id: 'crm',
        engine: 'postgres',
        environment: 'prod',
        target: 'embedded-demo',
        approvers: 'finance, dba',
      },
      { ...DEMO_FILES_CONNECTION, approvers: 'file-owners' },
    ],
  });
  const groups = approverGroups(config, await loadPolicyEngine(POLICY_DIR)).sort();
  assert.deepEqual(groups, ['data-owners', 'dba', 'file-owners', 'finance']);
});
