import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '@azure/cosmos';
import { createRoutes, type RouteSpec } from '../../functions/routes.js';
import { HttpRequest, InvocationContext } from '../../functions/sdk.js';
import { CosmosAuditLaneReader } from '../../shared/audit/chain/cosmos-audit-lane-reader.js';
import { CosmosCheckpointStore } from '../../shared/audit/chain/cosmos-checkpoint-store.js';
import { CosmosLaneHeadStore } from '../../shared/audit/chain/cosmos-lane-head-store.js';
import { ensureChainContainers } from '../../shared/audit/chain/cosmos-layout.js';
import { CosmosVerifierStateStore } from '../../shared/audit/chain/cosmos-verifier-state-store.js';
import { LocalEs256Signer } from '../../shared/audit/chain/signers.js';
import { CosmosBudgetStore } from '../../shared/budget/index.js';
import { createCallbackPorts } from '../../shared/callbacks/ports.js';
import { composeGateway, type Gateway } from '../../shared/compose.js';
import { type GatewayConfig, loadConfigFile, parseConfig } from '../../shared/config/connections.js';
import { readSettings, type Settings } from '../../shared/config/settings.js';
import { blobConnectorRegistry } from '../../shared/connectors/blob/registry.js';
import { connectorRegistry } from '../../shared/connectors/registry.js';
import { createTokenVerifier, type DevIssuer, loadOrCreateDevIssuer } from '../../shared/identity/index.js';
import { LIMITS } from '../../shared/limits.js';
import { mcpOptionsFromEnv } from '../../shared/mcp/auth.js';
import { InboxNotifier } from '../../shared/notify/inbox.js';
import { loadPolicyEngine } from '../../shared/policy/index.js';
import type { Consumer } from '../../shared/ports/queue.js';
import { InProcessQueue } from '../../shared/queue/in-process-queue.js';
import type { AuditStore } from '../../shared/store/audit-store.js';
import { CosmosAuditStore } from '../../shared/store/cosmos-audit-store.js';
import { createCosmosClient, ensureContainers } from '../../shared/store/cosmos-client.js';
import { CosmosRequestStore } from '../../shared/store/cosmos-request-store.js';
import { CosmosResultStore } from '../../shared/store/cosmos-result-store.js';
import type { TriggerDefinition } from '../../shared/triggers.js';
import { startAzurite } from './azurite.js';
import { devCallbackKey } from './callback-key.js';
import { localCheckpointArchive } from './checkpoint-archive.js';
import { startCosmosEmulator } from './cosmos-emulator.js';
import { DEMO_CLASSIFICATION, startDemoDatabase } from './demo-database.js';
import { DEMO_BUDGET, DEMO_EXPOSURE, DEMO_PUBLIC_COLUMNS, DEMO_TABLE_BUDGETS } from './demo-exposure.js';
import { DEMO_FILES_CONNECTION, seedDemoFiles } from './demo-files.js';
import { DEV_TOKEN_PATH, handleDevToken } from './dev-token-route.js';
import { acquireDevLock, recordDevHostAddress } from './lock.js';
import { matchRoute } from './route-match.js';

/** The issuer the dev token issuer signs as; stable so minted tokens survive restarts. */
export const DEV_ISSUER = 'http://localhost/agentgate-dev';
export const DEV_AUDIENCE = 'api://agentgate';
export const DEFAULT_STATE_DIR = '.agentgate';
const POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

export interface DevHostOptions {
  port?: number;
  /** Folder for the dev key, masking key and lock (default `.agentgate`). */
  stateDir?: string;
  /** Demo customers to generate (default 10,000). */
  customers?: number;
  env?: Record<string, string | undefined>;
  /** Skip the single-instance lock (tests run hosts side by side on port 0). */
  noLock?: boolean;
  /**
   * Start no Azurite (tests that read no blobs; about 1 s less): `embedded-demo` blob
   * connections then fail, and checkpoints are not archived.
   */
  noAzurite?: boolean;
  /** Wraps the audit store (bench: injected latency; load test: counting). */
  wrapAudit?: (store: AuditStore) => AuditStore;
  /** Timers the host does not run (tests that fire them by hand, e.g. `sealAuditCheckpoint`, `verifyAuditWindow`). */
  skipTimers?: readonly string[];
  /**
   * An emulator already running elsewhere (bench: in another process, so this process's CPU is
   * the gateway's alone, as with Cosmos DB in Azure) instead of one started in this process.
   */
  cosmos?: { endpoint: string; key: string };
  /** The connections and limits to serve instead of AGENTGATE_CONFIG or the demo's (tests). */
  config?: GatewayConfig;
}

export interface DevHost {
  url: string;
  port: number;
  issuer: DevIssuer;
  gateway: Gateway;
  routes: RouteSpec[];
  /** The in-process approval queues and the inbox where approval cards land. */
  queue: InProcessQueue;
  inbox: InboxNotifier;
  /** Where the embedded demo database listens, when a connection uses it. */
  demo: { host: string; port: number } | undefined;
  /** The emulator's database (tests tamper with the audit containers through it). */
  database: Database;
  /** The checkpoint archive container on Azurite (`audit-checkpoints`), unless `noAzurite`. */
  archiveUrl: string | undefined;
  stop(): Promise<void>;
}

export function demoConfig(): GatewayConfig {
  return parseConfig(
    {
      connections: [
        {
          id: 'demo',
          engine: 'postgres',
          environment: 'prod',
          description: 'Embedded demo database (PGlite): customers, orders, payments, support tickets.',
          tags: ['demo', 'pii'],
          target: 'embedded-demo',
          maxRows: 1000,
          statementTimeoutMs: 5000,
          classification: { ...DEMO_CLASSIFICATION, ...DEMO_PUBLIC_COLUMNS },
          exposure: DEMO_EXPOSURE,
          budget: DEMO_BUDGET,
          tableBudgets: DEMO_TABLE_BUDGETS,
        },
        {
          id: 'sandbox',
          engine: 'postgres',
          environment: 'dev',
          description: 'The same demo database presented as a dev environment.',
          tags: ['demo'],
          target: 'embedded-demo',
          maxRows: 1000,
          statementTimeoutMs: 5000,
          // Replay keeps the first 100 rows of each release here, to show the feature locally;
          // `demo` (prod) keeps none, so its benches and load tests measure reads alone.
          replay: { keepRows: 100 },
          classification: { ...DEMO_CLASSIFICATION, ...DEMO_PUBLIC_COLUMNS },
          exposure: DEMO_EXPOSURE,
          budget: DEMO_BUDGET,
          tableBudgets: DEMO_TABLE_BUDGETS,
        },
        {
          ...DEMO_FILES_CONNECTION,
          // The export holds the customers table's people: reading it spends the table's budget
          // (red-team round 16: a budget of the connection's own doubled what an agent got).
          tableBudgets: { 'exports/customers.csv': { connection: 'demo', table: 'public.customers' } },
        },
      ],
      // Callback receivers on this machine only (the local host allows http on loopback).
      approvals: { callbacks: { allowedHosts: ['localhost', '127.0.0.1', '::1'] } },
    },
    'embedded demo config',
  );
}

async function devMaskingKey(stateDir: string, settings: Settings): Promise<string> {
  if (settings.AGENTGATE_MASKING_KEY) return settings.AGENTGATE_MASKING_KEY;
  const file = join(stateDir, 'masking-key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const key = randomBytes(32).toString('hex');
    await mkdir(stateDir, { recursive: true });
    await writeFile(file, key, { mode: 0o600 });
    return key;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: string): void {
  res.writeHead(status, headers);
  res.end(body);
}

/** Errors the host answers itself (unknown route, wrong method) look like the gateway's own. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const requestId = crypto.randomUUID();
  send(
    res,
    status,
    {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-request-id': requestId,
    },
    JSON.stringify({ requestId, error: { code, message } }),
  );
}

/**
 * Runs the trigger table's timers on intervals, as the Functions host runs them on their
 * schedules. A failing run is logged and tried again at the next tick.
 */
function runTimers(triggers: readonly TriggerDefinition[], gateway: Gateway): () => Promise<void> {
  const timers = triggers.flatMap((t) => {
    if (t.kind !== 'timer') return [];
    const run = t.pick(gateway.triggerHandlers);
    const timer = setInterval(() => {
      run(new Date()).catch((e: unknown) => console.error(`agentgate: timer ${t.name} failed`, e));
    }, t.everyMs);
    timer.unref();
    return [timer];
  });
  return async () => {
    for (const timer of timers) clearInterval(timer);
  };
}

/**
 * Serves the Functions route table over node:http the way the Functions host would: the
 * same handlers receive real `HttpRequest` and `InvocationContext` objects.
 */
function createListener(routes: RouteSpec[], issuer: DevIssuer, inbox: InboxNotifier, port: () => number) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      // The Host header gives the port, as Azure's request URL does (MCP metadata names it).
      const url = new URL(
        req.url ?? '/',
        URL.canParse(`http://${req.headers.host}`) ? `http://${req.headers.host}` : 'http://localhost',
      );
      if (url.pathname === '/.well-known/jwks.json' && req.method === 'GET') {
        send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(issuer.jwks()));
        return;
      }
      if (url.pathname === '/api/inbox' && req.method === 'GET') {
        // The local stand-in for Teams: the cards approvers would get (loopback only).
        send(
          res,
          200,
          { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          JSON.stringify({ cards: inbox.list() }),
        );
        return;
      }
      // The approval page's dev sign-in: local host only, never in the Azure route table.
      if (url.pathname.toLowerCase() === DEV_TOKEN_PATH)
        return await handleDevToken(req, res, issuer, port());
      const path = url.pathname.replace(/^\/api(?=\/|$)/i, '');
      const underApi = path !== url.pathname;
      let matched: { route: RouteSpec; params: Record<string, string> } | undefined;
      let pathMatched = false;
      for (const route of routes) {
        // Root rows (MCP, its OAuth metadata) sit outside `/api`, as the Functions entry registers them.
        if (!route.root && !underApi) continue;
        const params = matchRoute(route.route, route.root ? url.pathname : path);
        if (!params) continue;
        pathMatched = true;
        if (route.methods.includes((req.method ?? 'GET').toUpperCase() as RouteSpec['methods'][number])) {
          matched = { route, params };
          break;
        }
      }
      if (!matched) {
        return pathMatched
          ? sendError(res, 405, 'method_not_allowed', 'Method not allowed on this route.')
          : sendError(res, 404, 'not_found', 'No such route.');
      }
      const body = await readBody(req, LIMITS.hostBodyBytes);
      if (body === 'too_large')
        return sendError(res, 413, 'payload_too_large', 'The request body is too large.');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string') headers[k] = v;
        else if (Array.isArray(v)) headers[k] = v.join(', ');
      }
      const httpRequest = new HttpRequest({
        method: req.method ?? 'GET',
        url: url.toString(),
        headers,
        params: matched.params,
        ...(body.length > 0 ? { body: { bytes: body } } : {}),
      });
      const context = new InvocationContext({
        functionName: matched.route.name,
        logHandler: (level, ...args) => {
          if (level === 'error' || level === 'critical') console.error(...args);
        },
      });
      const out = await matched.route.handler(httpRequest, context);
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries((out.headers as Record<string, string> | undefined) ?? {})) {
        outHeaders[k] = String(v);
      }
      send(res, out.status ?? 200, outHeaders, typeof out.body === 'string' ? out.body : undefined);
    } catch (e) {
      console.error('local host error', e);
      if (!res.headersSent) sendError(res, 500, 'internal', 'The gateway failed to process the request.');
    }
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** Runs the trigger table's queue consumers on the in-process queue, as Service Bus triggers would. */
function runConsumers(queue: InProcessQueue, gateway: Gateway): () => Promise<void> {
  const consumers: Consumer[] = gateway.triggers.flatMap((t) =>
    t.kind === 'queue'
      ? [queue.consume(t.queue, t.pick(gateway.triggerHandlers), { maxDeliveries: t.maxDeliveries })]
      : [],
  );
  return async () => {
    await Promise.allSettled(consumers.map((c) => c.close()));
  };
}

/** Starts everything the gateway needs in this one process, on embedded defaults. */
export async function startDevHost(options: DevHostOptions = {}): Promise<DevHost> {
  const env = options.env ?? process.env;
  const settings = readSettings(env);
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const requestedPort = options.port ?? 7071;
  const releaseLock = options.noLock
    ? async () => {}
    : await acquireDevLock(stateDir, `http://localhost:${requestedPort}`);

  const cleanups: Array<() => Promise<void>> = [releaseLock];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    // Policies and config first: a mistake in either stops the start before databases spin up.
    const policy = await loadPolicyEngine(settings.AGENTGATE_POLICY_DIR ?? POLICY_DIR);
    const config =
      options.config ??
      (settings.AGENTGATE_CONFIG ? await loadConfigFile(settings.AGENTGATE_CONFIG) : demoConfig());
    const issuer = await loadOrCreateDevIssuer({
      dir: stateDir,
      issuer: settings.AGENTGATE_DEV_ISSUER ?? DEV_ISSUER,
      audience: DEV_AUDIENCE,
    });

    const needsDemo = config.connections.some((c) => c.target === 'embedded-demo');
    const demoTimeoutMs = Math.max(
      0,
      ...config.connections.filter((c) => c.target === 'embedded-demo').map((c) => c.statementTimeoutMs),
    );
    const demo = needsDemo
      ? await startDemoDatabase({
          customers: options.customers ?? 10_000,
          ...(demoTimeoutMs > 0 ? { statementTimeoutMs: demoTimeoutMs } : {}),
          onRecover: ({ stuckMs, recoveredInMs }) =>
            console.warn(
              JSON.stringify({
                source: 'agentgate',
                level: 'warn',
                message: `the embedded demo database was stuck for ${stuckMs} ms and was replaced in ${recoveredInMs} ms`,
              }),
            ),
        })
      : undefined;
    if (demo) cleanups.push(() => demo.stop());

    let emulator: { endpoint: string; key: string } | undefined = options.cosmos;
    if (!emulator) {
      const started = await startCosmosEmulator();
      cleanups.push(() => started.stop());
      emulator = started;
    }
    const cosmos = createCosmosClient({
      endpoint: emulator.endpoint,
      key: emulator.key,
      allowSelfSigned: true,
    });
    const database = await ensureContainers(cosmos, settings.COSMOS_DATABASE);

    // Azurite in memory: the checkpoint archive, as in Azure, and `embedded-demo` blob
    // connections, seeded with the demo files.
    const needsDemoFiles = (config.blobConnections ?? []).some((c) => c.accountUrl === 'embedded-demo');
    const azurite = options.noAzurite ? undefined : await startAzurite();
    if (azurite) {
      cleanups.push(() => azurite.stop());
      if (needsDemoFiles) await seedDemoFiles(azurite.accountUrl);
    }
    const archived = azurite ? await localCheckpointArchive(azurite.accountUrl) : undefined;
    const blobConnectors = blobConnectorRegistry(azurite ? { demoAccountUrl: azurite.accountUrl } : {});
    cleanups.push(() => blobConnectors.closeAll());

    const connectors = connectorRegistry({
      env,
      ...(demo ? { demo: { host: demo.host, port: demo.port } } : {}),
    });
    cleanups.push(() => connectors.closeAll());

    const entra =
      settings.AGENTGATE_AUTH_TENANTS.length > 0 && settings.AGENTGATE_AUTH_AUDIENCES.length > 0
        ? { tenants: settings.AGENTGATE_AUTH_TENANTS, audiences: settings.AGENTGATE_AUTH_AUDIENCES }
        : undefined;
    const queue = new InProcessQueue();
    cleanups.push(() => queue.close());
    const inbox = new InboxNotifier();
    // The approval link names the port really bound, known once the server listens.
    let baseUrl = `http://localhost:${requestedPort}`;
    await ensureChainContainers(database);
    const gateway = composeGateway({
      auditChain: {
        heads: new CosmosLaneHeadStore(database.container('auditLanes')),
        checkpoints: new CosmosCheckpointStore(database.container('auditCheckpoints')),
        signer: await LocalEs256Signer.fromStateDir(stateDir),
        reader: new CosmosAuditLaneReader(database.container('audit')),
        verifierState: new CosmosVerifierStateStore(database.container('auditLanes')),
        verifyEveryMs: settings.AGENTGATE_AUDIT_VERIFY_MINUTES * 60_000,
        lanes: settings.AGENTGATE_AUDIT_LANES,
        ...(archived ? { archive: archived.archive } : {}),
      },
      approvals: {
        requests: new CosmosRequestStore(database.container('requests')),
        results: new CosmosResultStore(database.container('results')),
        queue,
        notifier: inbox,
        approveUrl: (id) => `${baseUrl}/api/approve/${encodeURIComponent(id)}`,
        callbacks: createCallbackPorts({
          config: config.approvals?.callbacks,
          key: await devCallbackKey(stateDir, settings.AGENTGATE_CALLBACK_KEY),
          allowLoopback: true,
          publicUrl: (path) => `${baseUrl}${path}`,
        }),
      },
      config,
      policy,
      verifier: createTokenVerifier({
        dev: { issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys },
        ...(entra ? { entra } : {}),
      }),
      audit: (options.wrapAudit ?? ((s) => s))(new CosmosAuditStore(database.container('audit'))),
      budgets: new CosmosBudgetStore(database.container('budgets')),
      connectorFor: connectors.connectorFor,
      blobConnectorFor: blobConnectors.connectorFor,
      maskingKey: await devMaskingKey(stateDir, settings),
      version: 'dev',
      mcp: mcpOptionsFromEnv(env, { issuer: issuer.issuer, audience: issuer.audience }),
      approvalPage: { devSignIn: true },
      replay: { ttlMs: settings.AGENTGATE_REPLAY_TTL_DAYS * 24 * 3600 * 1000 },
    });
    // Reversed on stop: kept replay results still being written land before the store stops.
    cleanups.push(async () => gateway.replay?.drain());
    // Before the emulator stops: leased lanes settle their appends and hand their heads back.
    cleanups.push(async () => gateway.auditChain?.close());

    const skipped = new Set(options.skipTimers ?? []);
    cleanups.push(
      runTimers(
        gateway.triggers.filter((t) => !skipped.has(t.name)),
        gateway,
      ),
    );
    cleanups.push(runConsumers(queue, gateway));
    const routes = createRoutes(() => Promise.resolve(gateway));
    let port = 0;
    const server = createServer(createListener(routes, issuer, inbox, () => port));
    // Node closes an idle keep-alive socket after 5 s; a client that sends on it as it closes
    // gets a reset ('fetch failed'). An agent that pauses between calls (or a test whose
    // checks hold this process's CPU for seconds) hit that race, so idle sockets stay open
    // longer than such pauses, as load balancers do; stop() still closes them all.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    try {
      port = await listen(server, requestedPort);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(
          `Port ${requestedPort} is already in use. Set PORT to another port, or stop what uses it.`,
        );
      }
      throw e;
    }
    baseUrl = `http://localhost:${port}`;
    if (!options.noLock)
      await recordDevHostAddress(stateDir, baseUrl, archived ? { archiveUrl: archived.url } : {});
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return {
      url: `http://localhost:${port}`,
      port,
      issuer,
      gateway,
      routes,
      queue,
      inbox,
      demo: demo ? { host: demo.host, port: demo.port } : undefined,
      database,
      archiveUrl: archived?.url,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
