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
 */

export interface DemoDatabase {
  host: string;
  port: number;
  /** Milliseconds PGlite took to start, and to generate + load the data (null when reused). */
  timings: { startMs: number; seedMs: number | null };
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
}

/** Connections the gateway's pool should open to the demo server. */
export const DEMO_POOL_MAX = 1;
const SERVER_MAX_CONNECTIONS = 4;
const STOP_GRACE_MS = 5000;

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

export async function startDemoDatabase(options: DemoDatabaseOptions = {}): Promise<DemoDatabase> {
  const input: DemoWorkerInput = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    customers: options.customers ?? DEFAULT_DEMO_CUSTOMERS,
    dataDir: options.dataDir,
    maxConnections: SERVER_MAX_CONNECTIONS,
  };
  const worker = spawnWorker(input);

  const ready = await new Promise<Extract<DemoWorkerMessage, { type: 'ready' }>>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`demo database worker exited early (code ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (msg: DemoWorkerMessage) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (msg.type === 'ready') resolve(msg);
      else
        reject(new Error(`demo database failed to start: ${msg.type === 'failed' ? msg.message : msg.type}`));
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      // A statement still running in PGlite (pg_sleep) can delay a clean stop; terminate then.
      const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' });
    });
    return stopping;
  };

  return {
    host: ready.host,
    port: ready.port,
    timings: { startMs: ready.startMs, seedMs: ready.seedMs },
    stop,
  };
}
