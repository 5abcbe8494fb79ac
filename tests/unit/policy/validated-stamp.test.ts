import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadPolicyEngine, loadPolicyEngineFromText, PolicyLoadError } from '../../../shared/policy/index.js';
import { stampPolicyFiles } from '../../../shared/policy/load-text.js';
import type { PolicyFile } from '../../../shared/policy/parse-file.js';
import { STAMP_FILE } from '../../../shared/policy/validated-stamp.js';
import { agent, human, queryRequest, SHIPPED_POLICY_DIR, shippedSchemaText } from './fixtures.js';

async function shippedFiles(): Promise<PolicyFile[]> {
  const names = (await readdir(SHIPPED_POLICY_DIR)).filter((n) => n.endsWith('.cedar'));
  return Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(SHIPPED_POLICY_DIR, name), 'utf8') })),
  );
}

/** Loads with a stamp and says whether it applied. */
function loadStamped(files: PolicyFile[], schema: string, stamp: string) {
  let applied: boolean | undefined;
  const engine = loadPolicyEngineFromText(files, schema, undefined, {
    text: stamp,
    applied: (a) => {
      applied = a;
    },
  });
  return { engine, applied };
}

/**
 * The build-time stamp lets the packaged gateway skip Cedar's parse and strict validation of
 * the shipped policies; it must never let anything through that the full load would refuse.
 */
describe('validated policy stamp', () => {
  let files: PolicyFile[];
  let schema: string;
  let stamp: string;

  before(async () => {
    files = await shippedFiles();
    schema = await shippedSchemaText();
    stamp = JSON.stringify(stampPolicyFiles(files, schema));
  });

  it('applies to the bytes it was made from and loads the same engine as the full load', () => {
    const full = loadPolicyEngineFromText(files, schema);
    const { engine, applied } = loadStamped(files, schema, stamp);
    assert.equal(applied, true);
    assert.deepEqual(engine.policyIds(), full.policyIds());
    assert.equal(engine.digest(), full.digest());
    for (const id of full.policyIds()) assert.deepEqual(engine.annotations(id), full.annotations(id));
  });

  it('preparses the schema from its JSON form and decides as the full load does', () => {
    const parsed = JSON.parse(stamp) as { schemaJson: Record<string, unknown> };
    assert.ok(Object.keys(parsed.schemaJson).length > 0, 'the stamp carries the schema as JSON');
    const full = loadPolicyEngineFromText(files, schema);
    const { engine } = loadStamped(files, schema, stamp);
    const requests = [
      queryRequest(agent()),
      queryRequest(agent(), { facts: { selectStar: true } }),
      queryRequest(agent(), { facts: { effect: 'write' } }),
      queryRequest(agent(), { estimatedRows: 1_000_000 }),
      queryRequest(agent(), { predicateOnMasked: true }),
      queryRequest(agent(), { facts: { functions: ['pg_read_file'], dangerousFunctions: ['pg_read_file'] } }),
      queryRequest(human(), { environment: 'dev' }),
    ];
    const outcomes = new Set<string>();
    for (const request of requests) {
      const a = engine.decide(request);
      const b = full.decide(request);
      assert.deepEqual(
        { outcome: a.outcome, policyIds: a.policyIds },
        { outcome: b.outcome, policyIds: b.policyIds },
      );
      assert.notDeepEqual(a.policyIds, ['error'], 'the stamped schema evaluates without error');
      outcomes.add(a.outcome);
    }
    assert.ok(outcomes.size >= 2, `the requests reach more than one outcome: ${[...outcomes]}`);
  });

  it('does not apply to an edited file: the full load runs and refuses what strict validation refuses', () => {
    const target = files.find((f) => f.text.includes('permit')) as PolicyFile;
    // Parses, but names an attribute the schema does not have: only validation catches it.
    const edited = files.map((f) =>
      f === target
        ? {
            ...f,
            text: `${f.text}\n@id("stamp-test-bad")\n@message("x")\npermit (principal, action, resource) when { principal.noSuchAttribute == 1 };\n`,
          }
        : f,
    );
    let applied: boolean | undefined;
    assert.throws(
      () =>
        loadPolicyEngineFromText(edited, schema, undefined, {
          text: stamp,
          applied: (a) => {
            applied = a;
          },
        }),
      (e: unknown) => e instanceof PolicyLoadError && /does not validate/.test(e.message),
    );
    assert.equal(applied, false);
  });

  it('does not apply to another schema, a file added or removed, or a changed or malformed stamp', () => {
    const cases: Array<[string, PolicyFile[], string, string]> = [
      ['schema', files, `${schema}\n`, stamp],
      ['file removed', files.slice(1), schema, stamp],
      ['file added', [...files, { name: 'extra.cedar', text: '' }], schema, stamp],
      ['malformed', files, schema, stamp.slice(0, -5)],
      ['not JSON of a stamp', files, schema, '{"version":2}'],
      ['an earlier stamp format', files, schema, JSON.stringify({ ...JSON.parse(stamp), version: 1 })],
    ];
    // The schema's JSON altered (an attribute dropped), the digest left as it was.
    const schemaAltered = JSON.parse(stamp) as { schemaJson: Record<string, unknown> };
    const namespace = Object.values(schemaAltered.schemaJson)[0] as { entityTypes: Record<string, unknown> };
    const [entity] = Object.keys(namespace.entityTypes);
    delete namespace.entityTypes[entity];
    cases.push(['schema JSON altered', files, schema, JSON.stringify(schemaAltered)]);
    const parsed = JSON.parse(stamp) as {
      files: Array<{ policies: Array<{ annotations: Record<string, string> }> }>;
    };
    // A stamp whose digest no longer covers what it says: an approval's @outcome dropped.
    const withApproval = parsed.files
      .flatMap((f) => f.policies)
      .find((p) => p.annotations.outcome === 'approval');
    assert.ok(withApproval, 'a shipped policy asks for approval');
    delete withApproval.annotations.outcome;
    cases.push(['annotations altered', files, schema, JSON.stringify(parsed)]);
    for (const [name, f, s, st] of cases) {
      let applied: boolean | undefined;
      try {
        loadPolicyEngineFromText(f, s, undefined, {
          text: st,
          applied: (a) => {
            applied = a;
          },
        });
      } catch {
        // A full load may refuse the case's files: what matters is that the stamp did not apply.
      }
      assert.equal(applied, false, name);
    }
  });

  describe('in a directory', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'agentgate-stamp-'));
      await cp(SHIPPED_POLICY_DIR, dir, { recursive: true });
      await writeFile(join(dir, STAMP_FILE), stamp);
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('is used only when the caller trusts the directory (the packaged one)', async () => {
      const seen: boolean[] = [];
      await loadPolicyEngine(dir, undefined, { trustStamp: true, applied: (a) => seen.push(a) });
      await loadPolicyEngine(dir, undefined, { applied: (a) => seen.push(a) });
      assert.deepEqual(seen, [true, false]);
    });

    it('is written by the build script, and a directory without one loads in full', async () => {
      const fresh = await mkdtemp(join(tmpdir(), 'agentgate-stamp-script-'));
      try {
        await cp(SHIPPED_POLICY_DIR, fresh, { recursive: true });
        const seen: boolean[] = [];
        await loadPolicyEngine(fresh, undefined, { trustStamp: true, applied: (a) => seen.push(a) });
        await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/stamp-policies.ts', fresh]);
        await loadPolicyEngine(fresh, undefined, { trustStamp: true, applied: (a) => seen.push(a) });
        assert.deepEqual(seen, [false, true]);
      } finally {
        await rm(fresh, { recursive: true, force: true });
      }
    });
  });
});
