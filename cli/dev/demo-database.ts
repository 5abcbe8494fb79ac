import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_DEMO_CUSTOMERS } from './demo-data.js';
import type { DemoWorkerInput, DemoWorkerMessage } from './demo-database-worker.js';

export { DEMO_CLASSIFICATION } from './demo-schema.js';

/**
 * The embedded demo target: PGlite (Postgres compiled to WASM) seeded with fake customer
 * data and served over the Postgres wire protocol on 127.0.0.1, so the gateway reaches it
 * with the same `pg` connector it uses for Azure Database for PostgreSQL.
 *
 * pglite-socket multiplexes every connection onto PGlite's single session: statements from
 * different connections are queued, and an open transaction keeps the queue to its owner.
 * Session state is therefore shared between connections, so the connector talks to the demo
 * through one pooled connection (see DEMO_POOL_MAX); the server allows a few more so a
 * reconnect, or a psql session from a developer, is not turned away while the old socket closes.
 *
 * PGlite cannot stop a statement once it runs (statement_timeout needs signals WASM does not
 * have), so a cross join would hold the one session, and every later query, for minutes. The
 * supervisor here enforces the timeout instead: the worker beats while idle, and when it has
 * been silent for longer than the statement timeout plus a grace, the worker is terminated
 * and a spare, started earlier from a dump of the seeded database, takes over. Clients reach
 * the database through a small TCP relay on this thread, so the port never changes.
 */

export interface DemoDatabase {
  host: string;
  port: number;
  /** Milliseconds PGlite took to start, and to generate + load the data (null when reused). */
  timings: { startMs: number; seedMs: number | null };
  /** How many times a statement that ran past its deadline was stopped by replacing the worker. */
  recoveries(): number;
  /** Resolves once a spare worker is ready to take over (at once when none is kept). */
  spareReady(): Promise<void>;
  stop(): Promise<void>;
}

export interface DemoDatabaseOptions {
  /** 0 (the default) lets the OS pick a free port. */
  port?: number;
  /** Loopback only by default: the demo has no authentication. */
  host?: string;
  customers?: number;
  /** Persist to this folder instead of memory; an already seeded folder is not seeded again. */
  dataDir?: string;
  /**
   * The longest statement timeout of the connections that use the demo (default 5000, the
   * demo config's). A statement still running this long plus STUCK_GRACE_MS later is stopped.
   */
  statementTimeoutMs?: number;
  /**
   * Keep a spare worker ready so a stopped statement is replaced in milliseconds (default
   * true). Without one, or with `dataDir`, the worker is restarted, which takes seconds.
   */
  spare?: boolean;
  /** Told when a stuck statement was stopped, for the host's log. */
  onRecover?: (event: { stuckMs: number; recoveredInMs: number }) => void;
}

/** Connections the gateway's pool should open to the demo server. */
export const DEMO_POOL_MAX = 1;
const SERVER_MAX_CONNECTIONS = 4;
const STOP_GRACE_MS = 5000;
const BEAT_MS = 100;
const WATCH_MS = 100;
/** The connector gives up 1 s after the statement timeout; the worker is replaced just after. */
export const STUCK_GRACE_MS = 1200;
const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

/**
 * Same extension as this module: `.js` once built. Under tsx (tests, `npm start`) the worker
 * does not inherit the TypeScript loader, so a one-line bootstrap registers it first.
 */
function spawnWorker(input: DemoWorkerInput): Worker {
  const ext = extname(import.meta.url);
  const workerUrl = new URL(`./demo-database-worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(workerUrl, { workerData: input });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: input });
}

type Ready = Extract<DemoWorkerMessage, { type: 'ready' }>;

interface Running {
  worker: Worker;
  /** Where this worker's own server listens; clients reach it through the relay. */
  port: number;
  lastBeat: number;
  relayed: Set<Relayed>;
}

/** One client connection through the relay. */
interface Relayed {
  client: Socket;
  /** Set when the recovery moves the client to another worker. */
  detached?: boolean;
  upstream: Socket;
  /**
   * What the client sent while the database has not answered anything yet; null once it has.
   * Such a connection (a pool's new connection queued behind a stuck statement) is replayed
   * on the replacement worker instead of failing.
   */
  unanswered: Buffer[] | null;
}

async function startWorker(
  input: DemoWorkerInput,
  starting?: Set<Worker>,
): Promise<{ running: Running; ready: Ready }> {
  const worker = spawnWorker(input);
  starting?.add(worker);
  worker.once('exit', () => starting?.delete(worker));
  const ready = await new Promise<Ready>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`demo database worker exited early (code ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    const onMessage = (msg: DemoWorkerMessage) => {
      if (msg.type === 'beat') return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (msg.type === 'ready') resolve(msg);
      else
        reject(new Error(`demo database failed to start: ${msg.type === 'failed' ? msg.message : msg.type}`));
    };
    worker.on('message', onMessage);
  })
    .catch(async (e: unknown) => {
      await worker.terminate();
      throw e;
    })
    .finally(() => starting?.delete(worker));
  const running: Running = { worker, port: ready.port, lastBeat: Date.now(), relayed: new Set() };
  worker.on('message', (msg: DemoWorkerMessage) => {
    if (msg.type === 'beat') running.lastBeat = Date.now();
  });
  // A worker that dies on its own is noticed by the watchdog through its silence.
  worker.on('error', () => undefined);
  return { running, ready };
}

function stopWorker(running: Running, graceful: boolean): Promise<void> {
  for (const r of running.relayed) r.upstream.destroy();
  running.relayed.clear();
  if (!graceful) return running.worker.terminate().then(() => undefined);
  return new Promise<void>((resolve) => {
    // A statement still running in PGlite (pg_sleep) can delay a clean stop; terminate then.
    const timer = setTimeout(() => void running.worker.terminate(), STOP_GRACE_MS);
    running.worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    running.worker.postMessage({ type: 'stop' });
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export async function startDemoDatabase(options: DemoDatabaseOptions = {}): Promise<DemoDatabase> {
  const host = options.host ?? '127.0.0.1';
  const useSpare = (options.spare ?? true) && options.dataDir === undefined;
  const stuckAfterMs = (options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS) + STUCK_GRACE_MS;
  const base: DemoWorkerInput = {
    // Workers listen on a loopback port of their own; the relay below owns the public one.
    host: '127.0.0.1',
    port: 0,
    customers: options.customers ?? DEFAULT_DEMO_CUSTOMERS,
    dataDir: options.dataDir,
    maxConnections: SERVER_MAX_CONNECTIONS,
    beatMs: BEAT_MS,
  };
  const first = await startWorker({ ...base, dump: useSpare });
  const dump = first.ready.dump;

  let active: Running = first.running;
  let activeReady: Promise<Running> = Promise.resolve(active);
  let spare: Promise<Running> | undefined;
  let stopped = false;
  let recoveries = 0;

  /** Workers still starting (spares), so a stop need not wait for them. */
  const starting = new Set<Worker>();
  /** How the recovery points a client's relay at its new upstream. */
  const clientsOf = new WeakMap<Socket, (next: Relayed) => void>();

  const replacement = (): Promise<Running> =>
    startWorker(dump !== undefined ? { ...base, load: dump } : base, starting).then((w) => w.running);
  const prepareSpare = () => {
    if (!useSpare || stopped) return;
    spare = replacement();
    // A spare that fails to start is retried when it is needed.
    spare.catch(() => {
      spare = undefined;
    });
  };

  /** Joins a client to a worker's server; `replay` is what the client already sent. */
  const attach = (client: Socket, target: Running, replay: Buffer[]) => {
    const upstream = tcpConnect(target.port, '127.0.0.1');
    // The relay forwards small protocol messages both ways: Nagle's algorithm would hold each
    // one back waiting for an ACK (tens of ms per round trip on loopback).
    upstream.setNoDelay(true);
    const r: Relayed = { client, upstream, unanswered: [...replay] };
    target.relayed.add(r);
    for (const chunk of replay) upstream.write(chunk);
    upstream.on('data', (chunk: Buffer) => {
      r.unanswered = null;
      if (!client.write(chunk)) upstream.pause();
    });
    upstream.on('close', () => {
      target.relayed.delete(r);
      // A replaced worker's connections are taken over (or ended) by the recovery.
      if (!r.detached) client.destroy();
    });
    upstream.on('error', () => undefined);
    return r;
  };

  const relay = createServer((client) => {
    client.setNoDelay(true);
    client.pause();
    client.on('error', () => undefined);
    let current: (Relayed & { detached?: boolean }) | undefined;
    client.on('data', (chunk: Buffer) => {
      current?.unanswered?.push(chunk);
      current?.upstream.write(chunk);
    });
    client.on('drain', () => current?.upstream.resume());
    client.on('close', () => current?.upstream.destroy());
    void activeReady.then(
      (target) => {
        if (stopped || client.destroyed) {
          client.destroy();
          return;
        }
        current = attach(client, target, []);
        clientsOf.set(client, (next) => {
          current = next;
        });
        client.resume();
      },
      () => client.destroy(),
    );
  });
  let port: number;
  try {
    port = await listen(relay, options.port ?? 0, host);
  } catch (e) {
    await stopWorker(first.running, false);
    throw e;
  }

  const recover = async () => {
    const old = active;
    const stuckMs = Date.now() - old.lastBeat;
    const t0 = Date.now();
    let resolveNext!: (r: Running) => void;
    let rejectNext!: (e: unknown) => void;
    activeReady = new Promise<Running>((resolve, reject) => {
      resolveNext = resolve;
      rejectNext = reject;
    });
    activeReady.catch(() => undefined);
    // Connections the stuck worker never answered are moved to the replacement; the others
    // (the one whose statement ran past its deadline among them) are ended.
    const waiting = [...old.relayed].filter((r) => r.unanswered !== null && !r.client.destroyed);
    for (const r of waiting) r.detached = true;
    for (const r of old.relayed) if (!r.detached) r.client.destroy();
    // The stuck worker goes first: with a persistent data dir the new one opens the same files.
    await stopWorker(old, false);
    try {
      const next = await ((useSpare ? spare?.catch(() => replacement()) : undefined) ?? replacement());
      next.lastBeat = Date.now();
      active = next;
      for (const r of waiting) {
        if (r.client.destroyed) continue;
        clientsOf.get(r.client)?.(attach(r.client, next, r.unanswered ?? []));
      }
      resolveNext(next);
      recoveries++;
      options.onRecover?.({ stuckMs, recoveredInMs: Date.now() - t0 });
      prepareSpare();
    } catch (e) {
      for (const r of waiting) r.client.destroy();
      rejectNext(e);
    }
  };

  let recovering: Promise<void> | undefined;
  let lastTick = Date.now();
  const watchdog = setInterval(() => {
    const now = Date.now();
    const late = now - lastTick > WATCH_MS * 3;
    lastTick = now;
    // A late tick means this thread was busy and the worker's beats are still queued: judge
    // on the next tick, once they have been read.
    if (late || recovering !== undefined || stopped) return;
    if (now - active.lastBeat > stuckAfterMs) {
      recovering = recover().finally(() => {
        recovering = undefined;
      });
    }
  }, WATCH_MS);
  watchdog.unref();
  prepareSpare();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopped = true;
      clearInterval(watchdog);
      await recovering;
      // close() waits for open connections, so they are ended first.
      const closed = new Promise<void>((resolve) => relay.close(() => resolve()));
      for (const r of active.relayed) r.client.destroy();
      await closed;
      const pendingSpare = spare;
      spare = undefined;
      for (const w of starting) void w.terminate();
      await Promise.all([
        stopWorker(active, true),
        pendingSpare?.then((s) => stopWorker(s, false)).catch(() => undefined),
      ]);
    })();
    return stopping;
  };

  return {
    host,
    port,
    timings: { startMs: first.ready.startMs, seedMs: first.ready.seedMs },
    recoveries: () => recoveries,
    spareReady: async () => {
      await spare?.catch(() => undefined);
    },
    stop,
  };
}
