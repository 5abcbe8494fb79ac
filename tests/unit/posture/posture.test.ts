import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { runPostureCommand } from '../../../cli/commands/posture.js';
import { evaluate } from '../../../shared/posture/arm/expression.js';
import {
  fetchLiveInputs,
  findBicep,
  type LiveOptions,
  loadInputs,
  RULES,
  SECRET_MARK,
  scanPosture,
  toSarif,
} from '../../../shared/posture/index.js';
import { skipOutsideCi } from '../../support/ci-skip.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'posture');
const RED = join(FIXTURES, 'red');
const CLEAN = join(FIXTURES, 'clean');
const GATEWAY = ['11111111-1111-4111-8111-111111111111', 'agentgate-gateway'];
const AGENT = 'aaaaaaaa-0000-4000-8000-000000000001';

/** The fake secrets planted in red/repo: none may ever be printed. */
const PLANTED = [
  'fake'.repeat(22).slice(0, 86),
  'fakefakefakefakefakefakefakefake0123456789A',
  'fakefakefakeSignature0123456789',
  'FakePassw0rd-Sales!',
  'FakePassw0rd123',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCfakefakefakefake',
  'ghp_fakefakefakefakefakefakefakefakefake',
];

function scan(dir: string, gatewayPrincipals: string[] = []) {
  const loaded = loadInputs(dir);
  return scanPosture(loaded.inputs, { gatewayPrincipals }, loaded.skipped);
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += String(c);
  });
  stderr.on('data', (c) => {
    err += String(c);
  });
  const code = await runPostureCommand(argv, {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env: {},
    cwd: ROOT,
  });
  return { code, stdout: out, stderr: err };
}

describe('posture fixtures', () => {
  const red = scan(RED);
  const clean = scan(CLEAN, GATEWAY);

  it('reads every fixture input', () => {
    assert.deepEqual(red.skipped, []);
    assert.ok(red.scanned.templates >= 1 && red.scanned.resources >= 10 && red.scanned.roleAssignments >= 5);
    assert.deepEqual(clean.skipped, []);
  });

  for (const id of RULES.keys()) {
    it(`${id}: produced by the red fixtures, absent from the clean ones`, () => {
      assert.ok(
        red.findings.some((f) => f.id === id),
        `no ${id} in red`,
      );
      assert.ok(!clean.findings.some((f) => f.id === id), `${id} in clean`);
    });
  }

  it('the clean counterparts have no finding at all', () => {
    assert.deepEqual(
      clean.findings.map((f) => `${f.id} ${f.resource}`),
      [],
    );
  });

  it('every finding carries evidence, why and fix', () => {
    for (const f of red.findings) {
      assert.ok(f.evidence.file, `${f.id} without a file`);
      assert.ok(
        f.evidence.line !== undefined || f.evidence.resourceId !== undefined,
        `${f.id} without line or id`,
      );
      assert.ok(f.why.length > 40 && f.fix.length > 20);
    }
  });

  it('template findings point at the line of the property', () => {
    const text = readFileSync(join(RED, 'templates', 'data-stores.json'), 'utf8').split('\n');
    const f = red.findings.find(
      (x) =>
        x.id === 'local-auth.storage' &&
        x.evidence.file?.endsWith('.json') &&
        x.evidence.line !== undefined &&
        x.evidence.file.includes('templates'),
    );
    assert.ok(f?.evidence.line);
    assert.match(text[f.evidence.line - 1], /"allowSharedKeyAccess": true/);
  });

  it("a data role is expected for agentgate's own identity, and only for it", () => {
    const asGateway = scan(RED, [AGENT, 'agent-orders']);
    assert.ok(!asGateway.findings.some((f) => f.id.startsWith('identity.') && f.id !== 'identity.sql-role'));
    assert.ok(red.findings.some((f) => f.id === 'identity.data-role' && f.message.includes(AGENT)));
  });

  it('a parameter default decides a property: keysOff false leaves Cosmos keys on', () => {
    const cosmos = red.findings.find((f) => f.id === 'local-auth.cosmos');
    assert.match(cosmos?.message ?? '', /disableLocalAuth is false/);
  });
});

describe('posture outputs mask secrets', () => {
  for (const format of [[], ['--json'], ['--sarif']]) {
    it(`${format[0] ?? 'table'}: no planted secret in the output, the mark instead`, async () => {
      const r = await run([join(RED, 'repo'), ...format]);
      assert.equal(r.code, 0);
      for (const s of PLANTED) assert.ok(!r.stdout.includes(s), `${s} printed`);
      // The table shows no excerpts; JSON and SARIF quote the masked line.
      if (format.length > 0) assert.ok(r.stdout.includes(`AccountKey=${SECRET_MARK}`));
      else assert.match(r.stdout, /secret\.storage-key/);
      assert.ok(!r.stderr.includes('fake'));
    });
  }
});

describe('posture SARIF', () => {
  const schema = JSON.parse(readFileSync(join(FIXTURES, 'schema', 'sarif-schema-2.1.0-rtm.5.json'), 'utf8'));
  // Draft-04 patterns are plain ECMA-262 regular expressions; one in this schema is not valid with the u flag.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);

  for (const [name, dir, gw] of [
    ['red', RED, []],
    ['clean', CLEAN, GATEWAY],
  ] as const) {
    it(`validates against the SARIF 2.1.0 schema (${name})`, () => {
      const sarif = toSarif(scan(dir, [...gw]), '0.1.0');
      const ok = validate(sarif);
      assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 5)));
    });
  }

  it('the schema check is real: a broken log fails it', () => {
    const sarif = toSarif(scan(RED), '0.1.0') as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    sarif.runs[0].results[0].level = 'fatal';
    assert.equal(validate(sarif), false);
  });

  it('maps severities to levels and security-severity, rules to results', () => {
    const sarif = toSarif(scan(RED), '0.1.0') as {
      runs: Array<{
        tool: { driver: { rules: Array<{ id: string }> } };
        results: Array<{
          ruleId: string;
          ruleIndex: number;
          level: string;
          properties: Record<string, string>;
        }>;
      }>;
    };
    const run0 = sarif.runs[0];
    for (const r of run0.results) assert.equal(run0.tool.driver.rules[r.ruleIndex].id, r.ruleId);
    const critical = run0.results.find((r) => r.ruleId === 'secret.storage-key');
    assert.equal(critical?.level, 'error');
    assert.equal(critical?.properties['security-severity'], '9.5');
    assert.equal(run0.results.find((r) => r.ruleId === 'logging.no-request-logs')?.level, 'warning');
  });
});

describe('posture exit codes', () => {
  it('--fail-on high fails on red, passes on clean', async () => {
    assert.equal((await run([RED, '--fail-on', 'high'])).code, 1);
    const gw = GATEWAY.flatMap((g) => ['--gateway-principal', g]);
    const clean = await run([CLEAN, '--fail-on', 'low', ...gw]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /No findings/);
  });

  it('--fail-on counts only findings at or above the threshold', async () => {
    // red/inventory holds high and medium findings, nothing critical.
    assert.equal((await run([join(RED, 'inventory'), '--fail-on', 'critical'])).code, 0);
    assert.equal((await run([join(RED, 'inventory'), '--fail-on', 'high'])).code, 1);
  });

  it('usage errors exit 2', async () => {
    assert.equal((await run([RED, '--fail-on', 'severe'])).code, 2);
    assert.equal((await run([])).code, 2);
    assert.equal((await run([RED, '--json', '--sarif'])).code, 2);
  });

  it('an input that cannot be analysed makes the scan incomplete: exit 2 unless allowed', async () => {
    const r = await run([join(ROOT, 'infra', 'bicep'), '--bicep', '/nonexistent/bicep']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not analysed: .*main\.bicep/);
    const allowed = await run([
      join(ROOT, 'infra', 'bicep'),
      '--bicep',
      '/nonexistent/bicep',
      '--allow-incomplete',
    ]);
    assert.equal(allowed.code, 0);
  });
});

describe('ARM expressions', () => {
  const scope = {
    parameter: (n: string) =>
      n === 'private' ? { values: [false], unknown: false } : { values: [], unknown: true },
    variable: () => ({ values: [], unknown: true }),
  };
  it('if() over a known parameter takes one branch, over an unknown one both', () => {
    assert.deepEqual(evaluate("[if(parameters('private'), 'Disabled', 'Enabled')]", scope), {
      values: ['Enabled'],
      unknown: false,
    });
    assert.deepEqual(evaluate("[if(parameters('other'), 'Disabled', 'Enabled')]", scope).values.sort(), [
      'Disabled',
      'Enabled',
    ]);
  });
  it('what it cannot evaluate is unknown, never a guess', () => {
    assert.equal(evaluate("[reference('x').outputs.y.value]", scope).unknown, true);
    assert.equal(evaluate('[not a valid expression', scope).unknown, false);
    assert.equal(evaluate("[concat('a', 'b']", scope).unknown, true);
  });
});

describe('dogfood: agentgate posture infra/bicep', () => {
  it('reports no high or critical finding on agentgate’s own templates', (t) => {
    const bicep = findBicep(undefined, process.env, ROOT);
    if (!bicep) {
      skipOutsideCi(t, 'no Bicep CLI (BICEP_BIN, .bicep/ or PATH): run `bash scripts/bicep.sh --fetch`');
      return;
    }
    const loaded = loadInputs(join(ROOT, 'infra', 'bicep'), { bicep });
    const report = scanPosture(loaded.inputs, {}, loaded.skipped);
    assert.deepEqual(report.skipped, []);
    assert.ok(report.scanned.resources > 10, 'the compiled templates were read');
    const severe = report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    assert.deepEqual(
      severe.map((f) => `${f.id} ${f.evidence.file}:${f.evidence.line} ${f.message}`),
      [],
    );
    // The modules are read with the parameters main.bicep passes, and findings point into them.
    const storage = report.findings.find(
      (f) => f.id === 'network.public-data-store' && f.evidence.file?.endsWith('modules/storage.bicep'),
    );
    assert.ok(storage?.evidence.line);
    const line = readFileSync(join(ROOT, 'infra', 'bicep', 'modules', 'storage.bicep'), 'utf8').split('\n')[
      storage.evidence.line - 1
    ];
    assert.match(line, /publicNetworkAccess/);
  });
});

describe('NSG egress, tried the ways around it', () => {
  const nsg = (rules: Array<Record<string, unknown>>) => [
    {
      id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n',
      name: 'n',
      type: 'Microsoft.Network/networkSecurityGroups',
      securityRules: rules.map((r, i) => ({
        name: `r${i}`,
        direction: 'Outbound',
        protocol: '*',
        destinationPortRange: '*',
        ...r,
      })),
    },
  ];
  const egress = (rules: Array<Record<string, unknown>>) =>
    scanPosture([{ kind: 'inventory', file: 'nsgs.json', json: nsg(rules) }]).findings.filter(
      (f) => f.id === 'network.nsg-egress-open',
    );
  const denyAll = { access: 'Deny', priority: 4000, destinationAddressPrefix: 'Internet' };

  it('the whole internet split in two halves is still the internet', () => {
    const f = egress([
      { access: 'Allow', priority: 100, destinationAddressPrefixes: ['0.0.0.0/1', '128.0.0.0/1'] },
      denyAll,
    ]);
    assert.equal(f[0]?.severity, 'high');
  });

  it("a service tag such as Storage reaches every tenant's accounts", () => {
    assert.equal(
      egress([{ access: 'Allow', priority: 100, destinationAddressPrefix: 'Storage' }, denyAll]).length,
      1,
    );
  });

  it('denying one port leaves the others open through the default rule', () => {
    const f = egress([
      { access: 'Deny', priority: 100, destinationAddressPrefix: 'Internet', destinationPortRange: '443' },
    ]);
    assert.equal(f[0]?.severity, 'medium');
  });

  it('an allow placed after the deny of everything is shadowed; private destinations stay inside', () => {
    assert.deepEqual(
      egress([
        { access: 'Allow', priority: 100, destinationAddressPrefix: '10.1.0.0/16' },
        denyAll,
        { access: 'Allow', priority: 4001, destinationAddressPrefix: 'Internet' },
      ]),
      [],
    );
  });
});

describe('database grants in scripts', () => {
  const grants = (sql: string, gateway: string[] = []) =>
    scanPosture([{ kind: 'text', file: 'grants.sql', text: sql }], {
      gatewayPrincipals: gateway,
    }).findings.filter((f) => f.id === 'identity.sql-role');

  it('finds role memberships, server roles, direct grants and PostgreSQL roles', () => {
    const sql = [
      "EXEC sp_addrolemember @rolename = 'db_owner', @membername = 'agents';",
      'ALTER SERVER ROLE sysadmin ADD MEMBER [agent-ops];',
      'GRANT SELECT ON SCHEMA::sales TO [agents-sales];',
      'GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO agent_pg;',
      'GRANT pg_read_all_data TO "agent-reader";',
      'ALTER ROLE agent_admin WITH SUPERUSER;',
    ].join('\n');
    const found = grants(sql);
    assert.deepEqual(found.map((f) => f.evidence.line).sort(), [1, 2, 3, 4, 5, 6]);
    assert.equal(found.length, 6, found.map((f) => f.message).join('\n'));
  });

  it("grants to agentgate's own identity are expected", () => {
    assert.deepEqual(
      grants('GRANT SELECT ON SCHEMA::sales TO [agentgate-gateway];', ['agentgate-gateway']),
      [],
    );
  });
});

describe('live mode against recorded responses', () => {
  const responses = JSON.parse(readFileSync(join(FIXTURES, 'live', 'responses.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const SUB = '0b1c2d3e-0000-4000-8000-000000000042';

  function recorded() {
    const calls: Array<{ url: string; auth: string | undefined; body?: string }> = [];
    const fetchFn: LiveOptions['fetch'] = async (url, init) => {
      calls.push({ url, auth: init.headers.authorization, body: init.body });
      const u = new URL(url);
      if (u.host !== 'management.azure.com') throw new Error(`unexpected host ${u.host}`);
      let key = u.pathname;
      if (u.pathname === '/providers/Microsoft.ResourceGraph/resources') {
        const body = JSON.parse(init.body ?? '{}') as { query: string; options: { $skipToken?: string } };
        key = `graph:${body.query.startsWith('authorizationresources') ? 'roles' : 'resources'}#${body.options.$skipToken === 'page-2' ? 2 : 1}`;
      }
      const status = responses[`status:${key}`];
      if (typeof status === 'number') return { ok: false, status, json: async () => ({}) };
      const body = responses[key];
      if (body === undefined) return { ok: false, status: 404, json: async () => ({}) };
      return { ok: true, status: 200, json: async () => body };
    };
    return { calls, fetchFn };
  }

  it('reads Resource Graph (with paging) and ARM, and reports what it finds', async () => {
    const { calls, fetchFn } = recorded();
    const live = await fetchLiveInputs({
      subscriptionId: SUB,
      getToken: async () => 'recorded-token',
      fetch: fetchFn,
    });
    const report = scanPosture(
      live.inputs,
      { gatewayPrincipals: ['11111111-1111-4111-8111-111111111111'] },
      live.skipped,
    );
    const ids = report.findings.map((f) => `${f.id} ${f.resource.split('/').pop()}`).sort();
    assert.deepEqual(ids, [
      'identity.data-role a1',
      'identity.data-role r1',
      'local-auth.cosmos cosmos-live',
      'logging.no-request-logs cosmos-live',
      'logging.no-request-logs sql-live',
      'network.public-data-store AllowAllWindowsAzureIps',
    ]);
    assert.ok(calls.every((c) => c.auth === 'Bearer recorded-token'));
    assert.ok(
      calls.some((c) => c.body?.includes('"$skipToken":"page-2"')),
      'second page read',
    );
    // The SQL auditing listing answered 403: the scan says it is incomplete instead of calling it clean.
    assert.deepEqual(
      report.skipped.map((s) => s.reason),
      [
        'HTTP 403 from /subscriptions/0b1c2d3e-0000-4000-8000-000000000042/resourceGroups/rg-live/providers/Microsoft.Sql/servers/sql-live/auditingSettings?api-version=2021-11-01',
      ],
    );
  });

  it('never follows a nextLink to another host with the token', async () => {
    const { calls, fetchFn } = recorded();
    await fetchLiveInputs({ subscriptionId: SUB, getToken: async () => 'recorded-token', fetch: fetchFn });
    assert.ok(!calls.some((c) => c.url.includes('attacker.example')));
  });

  it('refuses a subscription id that is not a GUID', async () => {
    const { fetchFn } = recorded();
    await assert.rejects(
      fetchLiveInputs({ subscriptionId: '../x', getToken: async () => 't', fetch: fetchFn }),
      TypeError,
    );
  });
});

describe('secrets in source code: what is not a credential', () => {
  const secrets = (file: string, text: string) =>
    scanPosture([{ kind: 'text', file, text }]).findings.filter((f) => f.id.startsWith('secret.'));

  it('type annotations, calls, member reads, substitutions and placeholders are not findings', () => {
    const code = [
      'export function signingInput(token: string): string {',
      'const token = tokens[i];',
      'const token = readToken();',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is the code under test
      "const token = `tok_${createHmac('sha256', key)}`;",
      '  TOKEN=$(npx agentgate token --agent demo-agent)',
      ' * `scheme://user:password@host`: only the password is masked',
      ' * `-----BEGIN ... PRIVATE KEY-----` through its END line',
      'password: process.env.PG_PASSWORD,',
    ].join('\n');
    assert.deepEqual(
      secrets('code.ts', code).map((f) => f.evidence.line),
      [],
    );
  });

  it("the emulators' published keys open nothing and are not findings; any other key is", () => {
    const emulator =
      'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';
    assert.deepEqual(secrets('emulator.ts', `const KEY = '${emulator}';`), []);
    const other = `${emulator.slice(0, 40)}x${emulator.slice(41)}`;
    assert.equal(secrets('app.ts', `const KEY = '${other}';`)[0]?.id, 'secret.storage-key');
  });

  it('a literal secret assigned in code is still found', () => {
    assert.equal(secrets('app.ts', "const password = 'Sw0rdfish-2024!';")[0]?.id, 'secret.token');
  });
});

describe('roles known by name only', () => {
  it('classifies Reader, management and data roles from roleDefinitionName when the id is not a built-in one', () => {
    const sub = '/subscriptions/00000000-0000-4000-8000-00000000abcd';
    const st = `${sub}/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/s`;
    const rows = [
      { principalId: AGENT, principalType: 'ServicePrincipal', roleDefinitionName: 'Reader', scope: sub },
      {
        principalId: AGENT,
        principalType: 'ServicePrincipal',
        roleDefinitionName: 'Storage Queue Data Reader',
        scope: st,
      },
      {
        principalId: AGENT,
        principalType: 'ServicePrincipal',
        roleDefinitionName: 'Tag Contributor',
        scope: st,
      },
    ];
    const found = scanPosture([{ kind: 'inventory', file: 'roles.json', json: rows }]).findings;
    assert.deepEqual(found.map((f) => `${f.id} ${f.severity}`).sort(), [
      'identity.broad-role medium',
      'identity.data-role high',
    ]);
  });
});
