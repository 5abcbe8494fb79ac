import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { generateDemoData } from './demo-data.js';
import { loadDemoSchema } from './demo-schema.js';

/**
 * Runs PGlite and its socket server off the main thread. PGlite executes in the thread that
 * owns it, so a slow statement (`pg_sleep`, a big join) would otherwise freeze the local
 * host's event loop, and with it the client-side timeouts that are supposed to stop it.
 *
 * PGlite cannot interrupt a running statement (no signals in WASM, so statement_timeout is
 * ignored). The worker therefore beats while it is idle; a statement that runs past its
 * deadline silences the beat, and the supervisor in demo-database.ts replaces this worker.
 */

export interface DemoWorkerInput {
  host: string;
  port: number;
  customers: number;
  dataDir: string | undefined;
  /** pglite-socket multiplexes connections onto PGlite's single session; see demo-database.ts. */
  maxConnections: number;
  /** Start from this dump of a data directory (a spare worker) instead of seeding. */
  load?: ArrayBuffer;
  /** Send a dump of the seeded database, for spares to start from. */
  dump?: boolean;
  /** How often to beat, in milliseconds. */
  beatMs: number;
}

export type DemoWorkerMessage =
  | { type: 'ready'; host: string; port: number; startMs: number; seedMs: number | null; dump?: ArrayBuffer }
  | { type: 'failed'; message: string }
  | { type: 'beat' }
  | { type: 'stopped' };

const port = parentPort;
if (port === null) throw new Error('demo-database-worker must run in a worker thread');
const input = workerData as DemoWorkerInput;

async function start(): Promise<{ db: PGlite; server: PGLiteSocketServer; ready: DemoWorkerMessage }> {
  const t0 = performance.now();
  const db =
    input.load !== undefined
      ? await PGlite.create({ loadDataDir: new Blob([input.load]) })
      : input.dataDir === undefined
        ? await PGlite.create()
        : await PGlite.create({ dataDir: input.dataDir });
  const startMs = performance.now() - t0;
  let seedMs: number | null = null;
  // A persistent data dir keeps its rows between runs; seed only an empty database.
  const existing = await db.query<{ t: string | null }>(`select to_regclass('public.customers')::text as t`);
  if (existing.rows[0]?.t == null) {
    const t1 = performance.now();
    await loadDemoSchema(db, generateDemoData({ customers: input.customers }));
    seedMs = performance.now() - t1;
  }
  const dump = input.dump ? await (await db.dumpDataDir('none')).arrayBuffer() : undefined;
  const server = new PGLiteSocketServer({
    db,
    host: input.host,
    port: input.port,
    maxConnections: input.maxConnections,
  });
  await server.start();
  // getServerConn() is `host:port`; the port is the one the OS picked when 0 was asked for.
  const bound = Number(server.getServerConn().split(':').pop());
  return {
    db,
    server,
    ready: { type: 'ready', host: input.host, port: bound, startMs, seedMs, ...(dump ? { dump } : {}) },
  };
}

try {
  const { db, server, ready } = await start();
  port.on('message', async (msg: unknown) => {
    if ((msg as { type?: unknown })?.type !== 'stop') return;
    clearInterval(beat);
    await server.stop();
    await db.close();
    port.postMessage({ type: 'stopped' } satisfies DemoWorkerMessage);
    port.close();
  });
  const beat = setInterval(
    () => port.postMessage({ type: 'beat' } satisfies DemoWorkerMessage),
    input.beatMs,
  );
  const transfer = ready.type === 'ready' && ready.dump ? [ready.dump] : [];
  port.postMessage(ready, transfer);
} catch (e) {
  port.postMessage({
    type: 'failed',
    message: e instanceof Error ? e.message : String(e),
  } satisfies DemoWorkerMessage);
  port.close();
}
