import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadPolicyEngine, loadPolicyEngineFromText, PolicyLoadError } from '../../../shared/policy/index.js';
import { SHIPPED_POLICY_DIR, shippedSchemaText } from './fixtures.js';

const SHIPPED_IDS = [
  'agent-allowlist',
  'agent-blob-bulk-read-approval',
  'agent-blob-list',
  'agent-blob-no-binary',
  'agent-blob-read',
  'agent-bulk-read-approval',
  'agent-no-dangerous-functions',
  'agent-no-select-star-prod',
  'agent-no-stacked',
  'agent-no-write',
  'agent-predicate-on-masked-approval',
  'agent-read',
  'agent-unknown-estimate-approval',
  'agents-never-approve',
  'agents-never-unmask',
  'approvers-approve',
  'auditors-read-audit',
  'human-blob-list',
  'human-blob-read',
  'human-exposure',
  'human-no-admin-exec',
  'human-predicate-on-masked-approval',
  'human-read',
  'human-write-approval',
  'secrets-never-unmask',
  'unmask-data-stewards',
];

const GOOD = '@id("ok") @message("fine") permit (principal, action, resource);';

function loadFailure(files: Array<{ name: string; text: string }>, schema: string): PolicyLoadError {
  try {
    loadPolicyEngineFromText(files, schema);
  } catch (e) {
    assert.ok(e instanceof PolicyLoadError, `expected PolicyLoadError, got ${String(e)}`);
    return e;
  }
  assert.fail('the policy set loaded although it should not');
}

describe('loading policies', () => {
  it('loads and validates the shipped policies', async () => {
    const engine = await loadPolicyEngine(SHIPPED_POLICY_DIR);
    assert.deepEqual(engine.policyIds(), SHIPPED_IDS);
  });

  it('names the file and position of a syntax error', async () => {
    const schema = await shippedSchemaText();
    const error = loadFailure(
      [
        { name: 'a.cedar', text: GOOD },
        { name: 'broken.cedar', text: '@id("x") @message("m")\npermit (principal, action resource);' },
      ],
      schema,
    );
    assert.equal(error.file, 'broken.cedar');
    assert.match(error.message, /^broken\.cedar: /);
    assert.match(error.message, /line 2, column \d+/);
  });

  it('names the file of a policy that uses an unknown attribute', async () => {
    const schema = await shippedSchemaText();
    const bad = [
      '// a comment first, so the reported line is not 1',
      '@id("bad-attr") @message("m")',
      'permit (principal, action == AgentGate::Action::"query", resource is AgentGate::Connection)',
      'when { resource.owner == "x" };',
    ].join('\n');
    const error = loadFailure(
      [
        { name: 'a.cedar', text: GOOD },
        { name: 'z.cedar', text: bad },
      ],
      schema,
    );
    assert.equal(error.file, 'z.cedar');
    assert.match(error.message, /bad-attr/);
    assert.match(error.message, /owner/);
    assert.match(error.message, /line 4/);
  });

  it('refuses a policy whose types do not match the schema (strict mode)', async () => {
    const schema = await shippedSchemaText();
    const text =
      '@id("typed") @message("m") permit (principal, action == AgentGate::Action::"query", resource) when { context.hour == "nine" };';
    const error = loadFailure([{ name: 'types.cedar', text }], schema);
    assert.equal(error.file, 'types.cedar');
  });

  it('refuses duplicate ids across files, naming both files', async () => {
    const schema = await shippedSchemaText();
    const error = loadFailure(
      [
        { name: 'b.cedar', text: GOOD },
        { name: 'a.cedar', text: GOOD },
      ],
      schema,
    );
    // Files are read in sorted order, so the second occurrence is in b.cedar.
    assert.equal(error.file, 'b.cedar');
    assert.match(error.message, /duplicate policy @id\("ok"\).*a\.cedar/);
  });

  it('refuses a policy without @id, naming its file', async () => {
    const schema = await shippedSchemaText();
    const error = loadFailure(
      [{ name: 'anon.cedar', text: '@message("m") permit (principal, action, resource);' }],
      schema,
    );
    assert.equal(error.file, 'anon.cedar');
    assert.match(error.message, /no @id/);
  });

  it('refuses a policy without @message', async () => {
    const schema = await shippedSchemaText();
    const error = loadFailure(
      [{ name: 'm.cedar', text: '@id("quiet") permit (principal, action, resource);' }],
      schema,
    );
    assert.match(error.message, /quiet has no @message/);
  });

  it('refuses the reserved id "error"', async () => {
    const schema = await shippedSchemaText();
    const error = loadFailure(
      [{ name: 'e.cedar', text: '@id("error") @message("m") permit (principal, action, resource);' }],
      schema,
    );
    assert.equal(error.file, 'e.cedar');
  });

  for (const [label, annotations, pattern] of [
    ['a misspelt outcome', '@outcome("aproval") @approvers("g")', /@outcome\("aproval"\)/],
    ['an approval without approvers', '@outcome("approval")', /names no @approvers/],
    ['a non-numeric maxRows', '@maxRows("lots")', /@maxRows\("lots"\)/],
    ['a zero maxRows', '@maxRows("0")', /@maxRows\("0"\)/],
  ] as const) {
    it(`refuses ${label}`, async () => {
      const schema = await shippedSchemaText();
      const text = `@id("p") @message("m") ${annotations} permit (principal, action, resource);`;
      const error = loadFailure([{ name: 'ann.cedar', text }], schema);
      assert.equal(error.file, 'ann.cedar');
      assert.match(error.message, pattern);
    });
  }

  it('refuses obligations on a forbid', async () => {
    const schema = await shippedSchemaText();
    const text = '@id("f") @message("m") @maxRows("5") forbid (principal, action, resource);';
    const error = loadFailure([{ name: 'f.cedar', text }], schema);
    assert.match(error.message, /forbid/);
  });

  it('refuses templates', async () => {
    const schema = await shippedSchemaText();
    const text = '@id("t") @message("m") permit (principal == ?principal, action, resource);';
    const error = loadFailure([{ name: 't.cedar', text }], schema);
    assert.match(error.message, /template/);
  });

  it('names the schema file when the schema does not parse', () => {
    const error = loadFailure([{ name: 'a.cedar', text: GOOD }], 'namespace AgentGate { entity Group');
    assert.equal(error.file, 'schema.cedarschema');
  });

  it('reads a directory, ignoring files that are not .cedar', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentgate-policy-'));
    try {
      await writeFile(join(dir, 'schema.cedarschema'), await shippedSchemaText());
      await writeFile(join(dir, 'one.cedar'), GOOD);
      await writeFile(join(dir, 'notes.txt'), 'not a policy');
      const engine = await loadPolicyEngine(dir);
      assert.deepEqual(engine.policyIds(), ['ok']);
      await writeFile(join(dir, 'two.cedar'), 'permit (');
      await assert.rejects(
        loadPolicyEngine(dir),
        (e: unknown) => e instanceof PolicyLoadError && e.file === 'two.cedar',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the schema file when the directory has none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentgate-policy-'));
    try {
      await assert.rejects(
        loadPolicyEngine(dir),
        (e: unknown) => e instanceof PolicyLoadError && e.file === 'schema.cedarschema',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
