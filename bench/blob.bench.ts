import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { azuriteService, DEMO_FILES_CONNECTION } from '../cli/dev/demo-files.js';
import { classificationFor } from '../shared/config/blob-connection.js';
import { parseConfig } from '../shared/config/connections.js';
import { createAzureBlobConnector } from '../shared/connectors/blob/azure-blob-connector.js';
import { rowsOf } from '../shared/connectors/blob/parse.js';
import { createMasker } from '../shared/masking/index.js';
import { ByteCounter, maskRows, StreamingDigest } from '../shared/use-cases/blob-content.js';
import { bundleChild } from './read-memory.bench.js';

const run = promisify(execFile);
const REPO_ROOT = join(import.meta.dirname, '..');

/**
 * Peak RSS while an approved bulk read streams a large CSV through parse + mask + digest
 * (the rows are released to a sink, never held). Azurite runs in a child process so the blob
 * it keeps in memory is not counted here. BLOB_BENCH_MB sets the size (default 200).
 */

async function startChild(
  script = './azurite-child.ts',
): Promise<{ child: ChildProcess; accountUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(script, import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout as Readable, 'data')) as [Buffer];
  return { child, accountUrl: chunk.toString('utf8').trim() };
}

function* csvLines(bytes: number): Generator<Buffer> {
  yield Buffer.from('id,full_name,email,phone,card_number,ssn,city,note\n');
  let written = 0;
  let batch: string[] = [];
  for (let i = 1; written < bytes; i++) {
    const line = `${i},Person ${i},person${i}@example.com,+41 79 555 01${String(i % 100).padStart(2, '0')},4111111111111111,123-45-${String(i % 10000).padStart(4, '0')},Geneva,call person${i}@example.org about 4111 1111 1111 1111\n`;
    written += line.length;
    batch.push(line);
    if (batch.length === 2000) {
      yield Buffer.from(batch.join(''));
      batch = [];
    }
  }
  if (batch.length > 0) yield Buffer.from(batch.join(''));
}

export async function benchBlob(): Promise<void> {
  const mb = Number(process.env.BLOB_BENCH_MB ?? 200);
  const { child, accountUrl } = await startChild();
  try {
    const container = azuriteService(accountUrl).getContainerClient('demo-files');
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('exports/large.csv');
    await blob.uploadStream(Readable.from(csvLines(mb * 1_000_000)), 8 * 1024 * 1024, 2, {
      blobHTTPHeaders: { blobContentType: 'text/csv' },
    });
    const conn = parseConfig({ connections: [DEMO_FILES_CONNECTION] }).blobConnections?.[0];
    if (!conn) throw new Error('no blob connection');
    const connector = createAzureBlobConnector({ accountUrl, credential: 'azurite', timeoutMs: 600_000 });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    const t0 = performance.now();
    const read = await connector.read(
      { container: 'demo-files', name: 'exports/large.csv' },
      { offset: 0 },
      null,
    );
    const counter = new ByteCounter();
    read.body.pipe(counter);
    const masker = createMasker({ tokenKey: 'bench-masking-key-0123456789abcdef' });
    let digest: StreamingDigest | undefined;
    const result = await maskRows({
      rows: rowsOf('csv', counter, { midway: false, cutEnd: false, maxDocumentBytes: 0 }),
      classes: classificationFor(conn, 'exports/large.csv'),
      masker,
      unmasked: new Set(),
      rowOffset: 0,
      maxRows: Number.MAX_SAFE_INTEGER,
      maxBytes: Number.MAX_SAFE_INTEGER,
      emit: (json, row) => {
        digest ??= new StreamingDigest(Object.keys(row).map((name) => ({ name, type: 'text' })));
        digest.row(json);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
    console.log(
      `blob: ${mib(counter.bytes)} MiB CSV, ${result.rowCount} rows, ${result.report.cellsMasked} cells masked in ${seconds.toFixed(1)} s ` +
        `(${(counter.bytes / 1e6 / seconds).toFixed(1)} MB/s); RSS baseline ${mib(baseline)} MiB, peak ${mib(peak)} MiB ` +
        `(+${mib(peak - baseline)} MiB); digest ${digest?.digest().slice(0, 12)}`,
    );
  } finally {
    child.kill('SIGTERM');
  }
}

interface ApprovedFigures {
  status: string;
  error: string | null;
  rows: number;
  truncated: boolean | null;
  bytesRead: number;
  bytesReleased: number;
  cellsMasked: number;
  digest: string | null;
  runMs: number;
  store: string;
  rssBeforeMb: number;
  peakMb: number;
}

/**
 * An approved read of a large CSV end to end (bench/blob-approved.child.ts): the agent's
 * read held for approval, approved, run by the queue consumer and streamed whole into the
 * Cosmos DB result store. Azurite, the Cosmos DB emulator and the gateway each run in a
 * process of their own; the figures are the gateway's (its VmHWM over the run, against its
 * RSS just before). Target (issue 13): a 1 GB approved CSV delivered whole within 300 MB.
 * AGENTGATE_BENCH_BLOB_MB sets the size (default 64):
 *   AGENTGATE_BENCH_BLOB_MB=1024 npm run bench -- blob-approved
 */
export async function benchBlobApproved(): Promise<void> {
  const mb = Number(process.env.AGENTGATE_BENCH_BLOB_MB ?? 64);
  console.log(`\n## Approved blob read of a ${mb} MB CSV (Azurite, Cosmos DB emulator, child processes)`);
  const azurite = await startChild();
  const cosmos = await startChild('./cosmos-child.ts');
  try {
    const container = azuriteService(azurite.accountUrl).getContainerClient('demo-files');
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('exports/large.csv');
    await blob.uploadStream(Readable.from(csvLines(mb * 1_000_000)), 8 * 1024 * 1024, 2, {
      blobHTTPHeaders: { blobContentType: 'text/csv' },
    });
    // Bundled as the Functions package is (the sources through tsx add some 80 MB of their own).
    const entry = await bundleChild('blob-approved');
    const { stdout } = await run(process.execPath, ['--expose-gc', entry], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        AGENTGATE_BENCH_AZURITE: azurite.accountUrl,
        AGENTGATE_BENCH_COSMOS: cosmos.accountUrl,
        AGENTGATE_POLICY_DIR: join(REPO_ROOT, 'policies'),
      },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 3 * 3600_000,
    });
    const f = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ApprovedFigures;
    const seconds = f.runMs / 1000;
    console.log(
      [
        `${f.status}${f.error ? ` (${f.error})` : ''}, result store ${f.store}: ${f.rows} rows, truncated ${f.truncated}, ${f.cellsMasked} cells masked`,
        `${(f.bytesRead / 1e6).toFixed(0)} MB read, ${(f.bytesReleased / 1e6).toFixed(0)} MB released in ${seconds.toFixed(1)} s (${(f.bytesRead / 1e6 / seconds).toFixed(2)} MB/s, ${(f.rows / seconds).toFixed(0)} rows/s)`,
        `RSS before ${f.rssBeforeMb.toFixed(0)} MB, peak during the run ${f.peakMb.toFixed(0)} MB (+${(f.peakMb - f.rssBeforeMb).toFixed(0)}; target <= 300: ${f.peakMb <= 300 ? 'met' : 'NOT met'})`,
        `released digest ${f.digest?.slice(0, 16)}`,
      ].join('\n  '),
    );
  } finally {
    azurite.child.kill('SIGTERM');
    cosmos.child.kill('SIGTERM');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('approved')) await benchBlobApproved();
  else await benchBlob();
}
