import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAuthorized, policySetTextToParts, policyToJson } from '@cedar-policy/cedar-wasm/nodejs';
import { loadPolicyEngine, queryContext } from '../shared/policy/index.js';
import type { DecisionRequest, Principal, StatementFacts } from '../shared/types.js';
import { measure, printStats } from './harness.js';

const POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

const agent: Principal = {
  kind: 'agent',
  id: 'bench-agent',
  tenantId: 'tenant',
  appId: 'app',
  name: 'bench agent',
  groups: ['analysts'],
  roles: ['Reader'],
  scopes: [],
  onBehalfOf: undefined,
  issuer: 'https://issuer.bench/',
  tokenId: undefined,
};

const read: StatementFacts = {
  engine: 'postgres',
  statementCount: 1,
  effect: 'read',
  statementKinds: ['SelectStmt'],
  tables: ['public.orders'],
  columns: { 'public.orders': ['id', 'total'] },
  functions: ['sum'],
  dangerousFunctions: [],
  selectStar: false,
  starTables: [],
  hasWhere: true,
  whereTriviallyTrue: false,
  limit: 50,
  into: false,
  predicateColumns: ['public.orders.id'],
  outputs: [],
  fingerprint: '0'.repeat(64),
};

function request(facts: StatementFacts, estimatedRows: number): DecisionRequest {
  return {
    principal: agent,
    action: 'query',
    resource: { type: 'Connection', id: 'shop', engine: 'postgres', environment: 'prod', tags: ['shop'] },
    context: queryContext(facts, {
      estimatedRows,
      requestedMaxRows: 100,
      now: new Date('2025-01-15T09:00:00Z'),
      predicateOnMasked: false,
      maskedColumnsInPredicates: [],
      onBehalfOf: false,
    }),
  };
}

/** Preparsed decisions against the baseline that re-parses policies and schema on every call. */
export async function benchPolicy(): Promise<void> {
  // Without the decision memo: what a request Cedar has not seen costs.
  const engine = await loadPolicyEngine(POLICY_DIR, { memoEntries: 0 });
  const memoized = await loadPolicyEngine(POLICY_DIR);
  const allow = request(read, 10);
  const deny = request({ ...read, selectStar: true, starTables: ['public.orders'] }, 10);
  const approval = request(read, 50_000);
  for (const [name, r, expected] of [
    ['allow', allow, 'allow'],
    ['deny', deny, 'deny'],
    ['approval', approval, 'approval'],
  ] as const) {
    const got = engine.decide(r).outcome;
    if (got !== expected) throw new Error(`bench case ${name} decided ${got}, expected ${expected}`);
  }

  const { policies, schema } = await statelessInputs();
  const baseline = await measure(
    'stateless isAuthorized, re-parsed each call (allow)',
    () => {
      const answer = isAuthorized({
        principal: { type: 'AgentGate::Agent', id: agent.id },
        action: { type: 'AgentGate::Action', id: 'query' },
        resource: { type: 'AgentGate::Connection', id: 'shop' },
        context: allow.context,
        schema,
        validateRequest: true,
        policies: { staticPolicies: policies },
        entities: [
          {
            uid: { type: 'AgentGate::Agent', id: agent.id },
            attrs: { name: 'bench agent', appId: 'app', tenantId: 'tenant', kind: 'agent' },
            parents: [
              { type: 'AgentGate::Group', id: 'analysts' },
              { type: 'AgentGate::Role', id: 'Reader' },
            ],
          },
          { uid: { type: 'AgentGate::Group', id: 'analysts' }, attrs: {}, parents: [] },
          { uid: { type: 'AgentGate::Role', id: 'Reader' }, attrs: {}, parents: [] },
          {
            uid: { type: 'AgentGate::Connection', id: 'shop' },
            attrs: { engine: 'postgres', environment: 'prod', tags: ['shop'] },
            parents: [],
          },
        ],
      });
      if (answer.type !== 'success' || answer.response.decision !== 'allow')
        throw new Error('baseline did not allow');
    },
    { iterations: 2000 },
  );
  const options = { iterations: 20_000 };
  const rows = [
    await measure('decide (preparsed): allow', () => engine.decide(allow), options),
    await measure('decide (preparsed): deny', () => engine.decide(deny), options),
    await measure('decide (preparsed): approval', () => engine.decide(approval), options),
  ];
  printStats('policy: Cedar decisions (ratio vs. stateless re-parse)', [baseline, ...rows], baseline);
  // The hot path repeats itself (one agent, one statement shape, the same estimate): the
  // memo answers a request identical to one Cedar already decided.
  const fresh = rows[0] as (typeof rows)[number];
  const hits = [
    await measure('decide (memo hit): allow', () => memoized.decide(allow), options),
    await measure('decide (memo hit): approval', () => memoized.decide(approval), options),
  ];
  printStats('policy: decision memo (ratio vs. a Cedar evaluation, allow)', [fresh, ...hits], fresh);
}

/** The shipped policies keyed by @id, as the engine hands them to Cedar. */
async function statelessInputs(): Promise<{ policies: Record<string, string>; schema: string }> {
  const names = (await readdir(POLICY_DIR)).filter((n) => n.endsWith('.cedar')).sort();
  const policies: Record<string, string> = {};
  for (const name of names) {
    const parts = policySetTextToParts(await readFile(join(POLICY_DIR, name), 'utf8'));
    if (parts.type !== 'success') throw new Error(`cannot split ${name}`);
    for (const text of parts.policies) {
      const json = policyToJson(text);
      const id = json.type === 'success' ? json.json.annotations?.id : undefined;
      if (id === undefined) throw new Error(`policy without @id in ${name}`);
      policies[id] = text;
    }
  }
  return { policies, schema: await readFile(join(POLICY_DIR, 'schema.cedarschema'), 'utf8') };
}
