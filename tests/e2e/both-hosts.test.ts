import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCosmosEmulator } from '../../cli/dev/cosmos-emulator.js';
import { type DevHost, demoConfig, startDevHost } from '../../cli/dev/host.js';
import { createRoutes, type RouteSpec } from '../../functions/routes.js';
import { DEFAULT_POLICY_DIR } from '../../functions/runtime.js';
import { HttpRequest, InvocationContext } from '../../functions/sdk.js';
import { CosmosAuditLaneReader } from '../../shared/audit/chain/cosmos-audit-lane-reader.js';
import { CosmosCheckpointStore } from '../../shared/audit/chain/cosmos-checkpoint-store.js';
import { CosmosLaneHeadStore } from '../../shared/audit/chain/cosmos-lane-head-store.js';
import { ensureChainContainers } from '../../shared/audit/chain/cosmos-layout.js';
import { LocalEs256Signer } from '../../shared/audit/chain/signers.js';
import { CosmosBudgetStore } from '../../shared/budget/index.js';
import { composeGateway } from '../../shared/compose.js';
import { connectorRegistry } from '../../shared/connectors/registry.js';
import { createTokenVerifier } from '../../shared/identity/index.js';
import { mcpOptionsFromEnv } from '../../shared/mcp/auth.js';
import { InboxNotifier } from '../../shared/notify/inbox.js';
import { loadPolicyEngine } from '../../shared/policy/index.js';
import { InProcessQueue } from '../../shared/queue/in-process-queue.js';
import { CosmosAuditStore } from '../../shared/store/cosmos-audit-store.js';
import { createCosmosClient, ensureContainers } from '../../shared/store/cosmos-client.js';
import { CosmosRequestStore } from '../../shared/store/cosmos-request-store.js';
import { CosmosResultStore } from '../../shared/store/cosmos-result-store.js';

/**
 * One table of requests and their expected answers, run against both hosts: the local host
 * over HTTP (`startDevHost`) and the Azure Functions handlers (`createRoutes`, what
 * functions/index.ts registers) called in-process with @azure/functions HttpRequest objects.
 * The Functions side gets its own gateway, composed the way functions/runtime.ts composes it
 * but on local adapters (a second Cosmos DB emulator, the same demo database, the dev issuer,
 * the host's masking key, so tokens match). Each case must get its expected status and code
 * on both, and the two answers must be the same apart from ids and times.
 */

type Caller = 'agent' | 'steward' | 'auditor' | 'none' | 'garbage';

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path as a client sends it (REST under /api, MCP at the root). */
  path: string;
  /** The route row (shared/rest/routes.ts) that must answer it, with its route values. */
  route: string;
  params?: Record<string, string>;
  as: Caller;
  body?: unknown;
  /** Raw body text, for bodies that are not JSON. */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  status: number;
  code?: string;
  /** Why the two bodies differ by design; status, content type and headers must still match. */
  differs?: string;
}

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const query = (sql: string, extra: Record<string, unknown> = {}) => ({ sql, ...extra });

export const CASES: readonly Case[] = [
  {
    name: 'an allowed read',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query('select id, city from customers where id < 4 order by id'),
    status: 200,
  },
  {
    name: 'a masked read (email and keyed tokens)',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query('select id, email, full_name, card_number from customers where id < 3 order by id'),
    status: 200,
  },
  {
    name: 'a data steward sees what an agent may not',
    method: 'POST',
    path: '/api/v1/connections/sandbox/query',
    route: 'query',
    params: { connection: 'sandbox' },
    as: 'steward',
    body: query('select id, email from customers where id < 3 order by id'),
    status: 200,
  },
  {
    name: 'SELECT * on prod',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query('select * from customers where id = 1'),
    status: 403,
    code: 'policy_denied',
  },
  {
    name: 'a write by an agent',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query('delete from orders where id = 1'),
    status: 403,
    code: 'policy_denied',
  },
  {
    name: 'a bulk read goes to approval',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query('select id, city from customers'),
    status: 202,
    code: 'approval_required',
  },
  {
    name: 'a statement the database rejects is its error (422), for an agent too',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query("select id from customers where id = 'abc'"),
    status: 422,
    code: 'query_failed',
  },
  {
    name: 'no token',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'none',
    body: query('select 1'),
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'a forged token',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'garbage',
    body: query('select 1'),
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'an unknown connection',
    method: 'POST',
    path: '/api/v1/connections/nosuch/query',
    route: 'query',
    params: { connection: 'nosuch' },
    as: 'agent',
    body: query('select 1'),
    status: 404,
    code: 'connection_not_found',
  },
  {
    name: 'a statement that does not parse',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query('selec id fro customers'),
    status: 400,
    code: 'unparseable_statement',
  },
  {
    name: 'a body without sql',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: { statement: 'select 1' },
    status: 400,
    code: 'invalid_body',
  },
  {
    name: 'a body that is not JSON',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    text: '{"sql": ',
    status: 400,
    code: 'invalid_body',
  },
  {
    name: 'a body sent as text/plain',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    text: JSON.stringify(query('select 1')),
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a body over 256 KB',
    method: 'POST',
    path: '/api/v1/connections/demo/query',
    route: 'query',
    params: { connection: 'demo' },
    as: 'agent',
    body: query(`select 1 -- ${'x'.repeat(300 * 1024)}`),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'the connections an agent may query',
    method: 'GET',
    path: '/api/v1/connections',
    route: 'listConnections',
    as: 'agent',
    status: 200,
  },
  {
    name: 'a connection schema',
    method: 'GET',
    path: '/api/v1/connections/demo/schema',
    route: 'describeConnection',
    params: { connection: 'demo' },
    as: 'agent',
    status: 200,
  },
  {
    name: 'the schema of an unknown connection',
    method: 'GET',
    path: '/api/v1/connections/nosuch/schema',
    route: 'describeConnection',
    params: { connection: 'nosuch' },
    as: 'agent',
    status: 404,
    code: 'connection_not_found',
  },
  {
    name: 'an agent reading the audit trail',
    method: 'GET',
    path: '/api/v1/audit',
    route: 'searchAudit',
    as: 'agent',
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'an audit search with a bad limit',
    method: 'GET',
    path: '/api/v1/audit?limit=100000',
    route: 'searchAudit',
    as: 'auditor',
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'the trace of a request that never was',
    method: 'GET',
    path: `/api/v1/audit/${UNKNOWN_ID}`,
    route: 'auditTrace',
    params: { requestId: UNKNOWN_ID },
    as: 'auditor',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'the status of an unknown approval request',
    method: 'GET',
    path: `/api/v1/requests/${UNKNOWN_ID}`,
    route: 'requestStatus',
    params: { id: UNKNOWN_ID },
    as: 'agent',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'a request id that is not one (not echoed, not told apart)',
    method: 'GET',
    path: '/api/v1/requests/not-an-id',
    route: 'requestStatus',
    params: { id: 'not-an-id' },
    as: 'agent',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'an agent deciding an approval that does not exist',
    method: 'POST',
    path: `/api/v1/approvals/${UNKNOWN_ID}/decision`,
    route: 'submitDecision',
    params: { id: UNKNOWN_ID },
    as: 'agent',
    body: { decision: 'approve' },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'the result of an unknown approval request',
    method: 'GET',
    path: `/api/v1/requests/${UNKNOWN_ID}/result`,
    route: 'requestResult',
    params: { id: UNKNOWN_ID },
    as: 'agent',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'cancelling an unknown approval request',
    method: 'DELETE',
    path: `/api/v1/requests/${UNKNOWN_ID}`,
    route: 'cancelRequest',
    params: { id: UNKNOWN_ID },
    as: 'agent',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'an agent asking for the approval inbox',
    method: 'GET',
    path: '/api/v1/approvals',
    route: 'listApprovals',
    as: 'agent',
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'an approval link whose id is not a request id',
    method: 'GET',
    path: '/api/approve/-x',
    route: 'approvalPage',
    params: { id: '-x' },
    as: 'none',
    status: 404,
  },
  {
    name: 'an asset that does not exist',
    method: 'GET',
    path: '/api/assets/nosuch.js',
    route: 'approvalAsset',
    params: { file: 'nosuch.js' },
    as: 'none',
    status: 404,
  },
  {
    name: 'an approval link to a well-formed id renders the shell (the request is read after sign-in)',
    method: 'GET',
    path: `/api/approve/${UNKNOWN_ID}`,
    route: 'approvalPage',
    params: { id: UNKNOWN_ID },
    as: 'none',
    status: 200,
    differs: 'the sign-in: a dev sign-in form on the local host, Entra (or none configured) in Azure',
  },
  {
    name: 'the approval sign-in landing page without a sign-in response',
    method: 'GET',
    path: '/api/approve',
    route: 'approvalSignIn',
    as: 'none',
    status: 404,
  },
  {
    name: 'the MCP resource metadata at the root',
    method: 'GET',
    path: '/.well-known/oauth-protected-resource',
    route: 'mcpResourceMetadata',
    as: 'none',
    status: 200,
  },
  {
    name: 'the MCP resource metadata',
    method: 'GET',
    path: '/.well-known/oauth-protected-resource/mcp',
    route: 'mcpResourceMetadataForPath',
    as: 'none',
    status: 200,
  },
  {
    name: 'liveness',
    method: 'GET',
    path: '/api/health',
    route: 'health',
    as: 'none',
    status: 200,
  },
  {
    name: 'the OpenAPI document',
    method: 'GET',
    path: '/api/openapi.json',
    route: 'openapi',
    as: 'none',
    status: 200,
  },
  {
    name: 'the blobs of an unknown connection',
    method: 'GET',
    path: '/api/v1/connections/nosuch/blobs',
    route: 'listBlobs',
    params: { connection: 'nosuch' },
    as: 'agent',
    status: 404,
    code: 'connection_not_found',
  },
  {
    name: 'a blob read without a token',
    method: 'GET',
    path: '/api/v1/connections/demo-files/blobs/content?path=exports/customers.csv',
    route: 'readBlob',
    params: { connection: 'demo-files' },
    as: 'none',
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'an agent reading the audit lane heads',
    method: 'GET',
    path: '/api/v1/audit/lanes',
    route: 'auditLaneHeads',
    as: 'agent',
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'an agent reading the events of a lane',
    method: 'GET',
    path: '/api/v1/audit/lanes/0',
    route: 'auditLaneEvents',
    params: { lane: '0' },
    as: 'agent',
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'an agent reading the audit checkpoints',
    method: 'GET',
    path: '/api/v1/audit/checkpoints',
    route: 'auditCheckpoints',
    as: 'agent',
    status: 403,
    code: 'forbidden',
  },
  {
    name: "an agent replaying a principal's session",
    method: 'GET',
    path: '/api/v1/audit/sessions?principal=agent:someone',
    route: 'auditSessions',
    as: 'agent',
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'the audit signing keys (public)',
    method: 'GET',
    path: '/api/v1/audit/jwks',
    route: 'auditJwks',
    as: 'none',
    status: 200,
  },
  {
    name: 'MCP without a token',
    method: 'POST',
    path: '/mcp',
    route: 'mcp',
    as: 'none',
    body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    status: 401,
    code: 'invalid_token',
  },
];

/** What two answers must share: status, content type and body, without ids, times and timings. */
interface Answer {
  status: number;
  contentType: string | undefined;
  requestIdHeader: boolean;
  body: unknown;
}

/**
 * Ids and times differ per request; `version` is the host's label ('dev' on the local host,
 * the package's elsewhere).
 */
const VOLATILE = new Set(['requestId', 'approvalRequestId', 'statusUrl', 'expiresAt', 'time', 'version']);

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !VOLATILE.has(k))
      .map(([k, v]) => [k, stable(v)]),
  );
}

function answer(status: number, contentType: string | undefined, hasId: boolean, text: string | undefined) {
  let body: unknown = text;
  if (text !== undefined && contentType?.includes('json')) body = stable(JSON.parse(text));
  return { status, contentType: contentType?.split(';')[0], requestIdHeader: hasId, body };
}

/** The route template with its values put in, as the Functions host would match it. */
function expand(route: RouteSpec, params: Record<string, string>): string {
  const template = route.root ? `/${route.route}` : `/api/${route.route}`;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    assert.ok(name in params, `route ${route.name} needs {${name}}`);
    return params[name];
  });
}

describe('one case table, both hosts (local host over HTTP, Functions handlers in-process)', () => {
  let host: DevHost;
  let stateDir: string;
  let functionsRoutes: RouteSpec[];
  let stopFunctionsSide: () => Promise<void>;
  const tokens = new Map<Caller, string | undefined>();

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'agentgate-both-hosts-'));
    host = await startDevHost({ port: 0, stateDir, customers: 2000, env: {}, noLock: true });
    tokens.set('agent', await host.issuer.mint({ agent: 'both-hosts-agent' }));
    tokens.set('steward', await host.issuer.mint({ user: 'sam', groups: ['data-stewards'] }));
    tokens.set('auditor', await host.issuer.mint({ user: 'alice', groups: ['auditors'] }));
    tokens.set('none', undefined);
    tokens.set('garbage', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');

    const emulator = await startCosmosEmulator();
    const cosmos = createCosmosClient({
      endpoint: emulator.endpoint,
      key: emulator.key,
      allowSelfSigned: true,
    });
    const database = await ensureContainers(cosmos, 'agentgate');
    const connectors = connectorRegistry({ env: {}, ...(host.demo ? { demo: host.demo } : {}) });
    const queue = new InProcessQueue();
    const identity = { issuer: host.issuer.issuer, audience: host.issuer.audience };
    await ensureChainContainers(database);
    const gateway = composeGateway({
      // As functions/audit-chain.ts builds it when a signing key is set, with the host's local
      // key standing in for the Key Vault one (so the two JWKS answers are the same).
      auditChain: {
        heads: new CosmosLaneHeadStore(database.container('auditLanes')),
        checkpoints: new CosmosCheckpointStore(database.container('auditCheckpoints')),
        signer: await LocalEs256Signer.fromStateDir(stateDir),
        reader: new CosmosAuditLaneReader(database.container('audit')),
      },
      config: demoConfig(),
      policy: await loadPolicyEngine(DEFAULT_POLICY_DIR),
      verifier: createTokenVerifier({ dev: { ...identity, keys: host.issuer.keys } }),
      audit: new CosmosAuditStore(database.container('audit')),
      budgets: new CosmosBudgetStore(database.container('budgets')),
      connectorFor: connectors.connectorFor,
      maskingKey: (await readFile(join(stateDir, 'masking-key'), 'utf8')).trim(),
      approvals: {
        requests: new CosmosRequestStore(database.container('requests')),
        results: new CosmosResultStore(database.container('results')),
        queue,
        notifier: new InboxNotifier(),
        approveUrl: (id) => `https://functions.invalid/api/approve/${encodeURIComponent(id)}`,
      },
      mcp: mcpOptionsFromEnv({}, identity),
      log: () => {},
    });
    functionsRoutes = createRoutes(() => Promise.resolve(gateway));
    stopFunctionsSide = async () => {
      await queue.close();
      await connectors.closeAll();
      await emulator.stop();
    };
  });

  after(async () => {
    await stopFunctionsSide?.();
    await host?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  function headersFor(c: Case): Record<string, string> {
    const token = tokens.get(c.as);
    return {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(c.body !== undefined || c.text !== undefined
        ? { 'content-type': c.contentType ?? 'application/json' }
        : {}),
      ...c.headers,
    };
  }

  const bodyText = (c: Case) => c.text ?? (c.body === undefined ? undefined : JSON.stringify(c.body));

  async function overHttp(c: Case): Promise<Answer> {
    const text = bodyText(c);
    const res = await fetch(`${host.url}${c.path}`, {
      method: c.method,
      headers: headersFor(c),
      ...(text === undefined ? {} : { body: text }),
    });
    const out = await res.text();
    return answer(
      res.status,
      res.headers.get('content-type') ?? undefined,
      res.headers.has('x-request-id'),
      out === '' ? undefined : out,
    );
  }

  async function inFunctions(c: Case): Promise<Answer> {
    const route = functionsRoutes.find((r) => r.name === c.route);
    assert.ok(route, `no Functions route ${c.route}`);
    assert.ok(route.methods.includes(c.method), `${c.route} does not take ${c.method}`);
    assert.equal(expand(route, c.params ?? {}), c.path.split('?')[0], `${c.name}: path and route disagree`);
    const text = bodyText(c);
    const res = await route.handler(
      new HttpRequest({
        method: c.method,
        // The host's own origin: answers derived from the URL (MCP metadata) must match too.
        url: `${host.url}${c.path}`,
        headers: headersFor(c),
        params: c.params ?? {},
        ...(text === undefined ? {} : { body: { string: text } }),
      }),
      new InvocationContext({ functionName: route.name }),
    );
    const headers = (res.headers ?? {}) as Record<string, string>;
    return answer(
      res.status ?? 200,
      headers['content-type'],
      'x-request-id' in headers,
      typeof res.body === 'string' ? res.body : undefined,
    );
  }

  function codeOf(a: Answer): string | undefined {
    const body = a.body as { error?: { code?: unknown } } | undefined;
    return typeof body?.error?.code === 'string' ? body.error.code : undefined;
  }

  test('the case table reaches every route the Functions entry registers', () => {
    const named = new Set(CASES.map((c) => c.route));
    const untested = functionsRoutes.map((r) => r.name).filter((n) => !named.has(n));
    assert.deepEqual(untested, []);
  });

  for (const c of CASES) {
    test(`${c.name}: ${c.status}${c.code ? ` ${c.code}` : ''} on both hosts, the same answer`, async () => {
      const local = await overHttp(c);
      const functions = await inFunctions(c);
      for (const [side, a] of [
        ['local host', local],
        ['Functions', functions],
      ] as const) {
        assert.equal(a.status, c.status, `${side}: ${JSON.stringify(a.body).slice(0, 300)}`);
        if (c.code) assert.equal(codeOf(a), c.code, `${side}: ${JSON.stringify(a.body).slice(0, 300)}`);
      }
      if (c.differs) assert.deepEqual({ ...functions, body: null }, { ...local, body: null });
      else assert.deepEqual(functions, local);
    });
  }
});
