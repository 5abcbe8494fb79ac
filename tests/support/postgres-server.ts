import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A throwaway PostgreSQL server for tests and benchmarks: initdb in a temp dir, the server
 * listening on 127.0.0.1 only (a free port, its unix socket inside the temp dir), password
 * (SCRAM) authentication, and durability switched off for speed. Uses the binaries of the
 * Debian `postgresql` package (`/usr/lib/postgresql/<version>/bin`), or AGENTGATE_PG_BIN.
 *
 * PostgreSQL refuses to run as root. When the tests run as root, the server runs as a
 * system user (SERVICE_USER, created on first use) through `setpriv`, which execs the
 * server in place: the child process is the postmaster itself, and `--pdeathsig` stops it
 * should this process die without running its exit handlers.
 */

export interface PostgresServer {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  host: string;
  port: number;
  /** The bootstrap superuser. */
  user: string;
  password: string;
  database: string;
  /** Milliseconds spent in initdb and in starting the server until it accepted connections. */
  timings: { initdbMs: number; startMs: number };
  /** Stops the server and removes its temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export type RealPostgresAvailability = { ok: true; binDir: string } | { ok: false; reason: string };

export const SERVICE_USER = 'agentgate-pg';
const SUPERUSER = 'agentgate';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;
const LOG_TAIL_CHARS = 4000;
const TEMP_PREFIX = 'agentgate-pg-';
/** A temp dir this old with no live server is left over from a killed run. */
const STALE_AFTER_MS = 60 * 60 * 1000;

const execFileAsync = promisify(execFile);

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const dir of [...dirs, '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function hasServerBinaries(dir: string): boolean {
  return isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'));
}

/** AGENTGATE_PG_BIN, then Debian's versioned dirs (newest first), then common install dirs. */
export function findPostgresBinDir(): string | null {
  const fromEnv = process.env.AGENTGATE_PG_BIN;
  if (fromEnv) return hasServerBinaries(fromEnv) ? fromEnv : null;
  const candidates: string[] = [];
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join('/usr/lib/postgresql', v, 'bin'));
  } catch {
    // No Debian layout.
  }
  candidates.push('/usr/local/pgsql/bin', '/usr/local/bin', '/usr/bin');
  return candidates.find(hasServerBinaries) ?? null;
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** What a real server needs here, checked without starting anything. */
export function realPostgresAvailable(): RealPostgresAvailability {
  const binDir = findPostgresBinDir();
  if (binDir === null) {
    return {
      ok: false,
      reason: process.env.AGENTGATE_PG_BIN
        ? `AGENTGATE_PG_BIN=${process.env.AGENTGATE_PG_BIN} holds no initdb and postgres`
        : 'no PostgreSQL server binaries (initdb, postgres) found',
    };
  }
  if (runningAsRoot()) {
    if (onPath('setpriv') === null)
      return { ok: false, reason: 'running as root and setpriv (util-linux) is missing' };
    if (onPath('useradd') === null && onPath('getent') === null)
      return { ok: false, reason: `running as root and cannot create the ${SERVICE_USER} user` };
  }
  return { ok: true, binDir };
}

/**
 * For `describe(name, { skip: skipUnlessRealPostgres() }, ...)`: false when a real server can
 * be started, else the reason to skip. With CI=true a missing server is an error, not a skip.
 */
export function skipUnlessRealPostgres(): false | string {
  const availability = realPostgresAvailable();
  if (availability.ok) return false;
  const why =
    `no real PostgreSQL for these tests: ${availability.reason}. ` +
    'Install the Debian "postgresql" package (scripts/ensure-postgres.sh) or set AGENTGATE_PG_BIN.';
  if (process.env.CI === 'true')
    throw new Error(`${why} With CI=true this fails the run instead of skipping.`);
  return `${why} Skipped (outside CI).`;
}

// ---------------------------------------------------------------------------------------
// The service user (root only)

interface Ids {
  uid: number;
  gid: number;
}

async function lookupUser(name: string): Promise<Ids | null> {
  try {
    const { stdout } = await execFileAsync('getent', ['passwd', name]);
    const fields = stdout.trim().split(':');
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

/** Creates the system user once; tolerates another test process creating it at the same time. */
async function ensureServiceUser(): Promise<Ids> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = await lookupUser(SERVICE_USER);
    if (found) return found;
    try {
      await execFileAsync('useradd', [
        '--system',
        '--no-create-home',
        '--user-group',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        SERVICE_USER,
      ]);
    } catch (e) {
      // "already exists" (a concurrent useradd won) or /etc/passwd locked: look again.
      lastError = e;
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  }
  throw new Error(`could not create the ${SERVICE_USER} user: ${String(lastError)}`);
}

// ---------------------------------------------------------------------------------------
// Processes

/** Everything still to clean up should this process exit without calling stop(). */
const live = new Map<string, ChildProcess | null>();
let exitHooksInstalled = false;

function cleanupSync(): void {
  for (const [dir, child] of live) {
    try {
      // Immediate shutdown: the server must not outlive us, and its data is throwaway.
      if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGQUIT');
    } catch {
      // Already gone.
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A server still writing its last files; the temp dir is reaped by the OS eventually.
    }
  }
  live.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanupSync();
      // Re-raise with the default action now that our listener is gone.
      process.kill(process.pid, signal);
    });
  }
}

function serverAlive(dataDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A SIGKILLed test process takes its server with it (pdeathsig) but leaves the temp dir;
 * remove such leftovers, never a dir that is recent or whose server still runs.
 */
function reapStaleDirs(): void {
  const root = tmpdir();
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(root, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < STALE_AFTER_MS) continue;
      if (serverAlive(join(dir, 'data'))) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Someone else's, or already gone.
    }
  }
}

/** Runs a PostgreSQL binary as the service user when root, else as ourselves. */
function commandFor(binary: string, args: string[], owner: Ids | null): { file: string; args: string[] } {
  const setpriv = onPath('setpriv');
  if (owner !== null) {
    if (setpriv === null) throw new Error('setpriv is required to run PostgreSQL as root');
    return {
      file: setpriv,
      args: [
        `--reuid=${owner.uid}`,
        `--regid=${owner.gid}`,
        '--clear-groups',
        '--pdeathsig=SIGQUIT',
        '--',
        binary,
        ...args,
      ],
    };
  }
  if (setpriv !== null) return { file: setpriv, args: ['--pdeathsig=SIGQUIT', '--', binary, ...args] };
  return { file: binary, args };
}

/** The child sees no secrets and no PG* variables of ours; messages in English for the log checks. */
function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
}

function tail(text: string): string {
  return text.length > LOG_TAIL_CHARS ? `...${text.slice(-LOG_TAIL_CHARS)}` : text;
}

async function runToCompletion(file: string, args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync(file, args, { cwd, env: childEnv(), maxBuffer: 4 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message?: string };
    throw new Error(
      `${args.join(' ')} failed: ${tail(`${err.stderr ?? ''}${err.stdout ?? ''}`) || err.message}`,
    );
  }
}

/** A port that was free a moment ago (the server may still lose a race for it: we retry). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

type StartOutcome = { ok: true; child: ChildProcess } | { ok: false; portTaken: boolean; log: string };

function startServer(command: { file: string; args: string[] }, cwd: string): Promise<StartOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, {
      cwd,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    let done = false;
    const finish = (outcome: StartOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, portTaken: false, log: `${log}\n(not ready within ${START_TIMEOUT_MS} ms)` });
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      log = tail(log + chunk.toString('utf8'));
      if (log.includes('database system is ready to accept connections')) finish({ ok: true, child });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (e) => finish({ ok: false, portTaken: false, log: `${log}\n${e.message}` }));
    child.once('exit', (code, signal) =>
      finish({
        ok: false,
        portTaken: /could not bind|Address already in use/.test(log),
        log: `${log}\n(exited with ${signal ?? code})`,
      }),
    );
  });
}

/** Starts a fresh server. Throws when PostgreSQL is not available (see realPostgresAvailable). */
export async function startPostgresServer(): Promise<PostgresServer> {
  const availability = realPostgresAvailable();
  if (!availability.ok) throw new Error(`cannot start PostgreSQL: ${availability.reason}`);
  const { binDir } = availability;
  const owner = runningAsRoot() ? await ensureServiceUser() : null;

  installExitHooks();
  reapStaleDirs();
  const dir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  live.set(dir, null);
  let child: ChildProcess | undefined;
  try {
    const dataDir = join(dir, 'data');
    const socketDir = join(dir, 'socket');
    const pwFile = join(dir, 'pwfile');
    const password = randomBytes(18).toString('hex');
    await mkdir(socketDir);
    await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) for (const p of [dir, socketDir, pwFile]) await chown(p, owner.uid, owner.gid);

    const t0 = performance.now();
    const initdb = commandFor(
      join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth-local=scram-sha-256',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
      ],
      owner,
    );
    await runToCompletion(initdb.file, initdb.args, dir);
    await rm(pwFile);
    const initdbMs = performance.now() - t0;

    let lastLog = '';
    for (let attempt = 0; attempt < PORT_ATTEMPTS && child === undefined; attempt++) {
      const port = await freePort();
      const t1 = performance.now();
      const server = commandFor(
        join(binDir, 'postgres'),
        [
          '-D',
          dataDir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `port=${port}`,
          '-c',
          `unix_socket_directories=${socketDir}`,
          '-c',
          'fsync=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'shared_buffers=32MB',
          '-c',
          'max_connections=30',
          // Statistics come from the explicit ANALYZE of the loaders: estimates stay deterministic.
          '-c',
          'autovacuum=off',
          '-c',
          'logging_collector=off',
        ],
        owner,
      );
      const outcome = await startServer(server, dir);
      if (outcome.ok) {
        child = outcome.child;
        live.set(dir, child);
        const startMs = performance.now() - t1;
        const running = child;
        // After start-up the log only matters on failure; keep draining it so the pipe never fills.
        running.stdout?.resume();
        running.stderr?.resume();
        let stopping: Promise<void> | undefined;
        const stop = () => {
          stopping ??= (async () => {
            // SIGINT is PostgreSQL's fast shutdown: sessions are cut, nothing waits for clients.
            running.kill('SIGINT');
            if (!(await waitForExit(running, STOP_TIMEOUT_MS))) {
              running.kill('SIGKILL');
              await waitForExit(running, STOP_TIMEOUT_MS);
            }
            await rm(dir, { recursive: true, force: true, maxRetries: 3 });
            live.delete(dir);
          })();
          return stopping;
        };
        const host = '127.0.0.1';
        return {
          url: `postgres://${SUPERUSER}:${password}@${host}:${port}/postgres`,
          host,
          port,
          user: SUPERUSER,
          password,
          database: 'postgres',
          timings: { initdbMs, startMs },
          stop,
        };
      }
      lastLog = outcome.log;
      if (!outcome.portTaken) break;
    }
    throw new Error(`PostgreSQL did not start:\n${lastLog}`);
  } catch (e) {
    if (child !== undefined) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    live.delete(dir);
    throw e;
  }
}
