import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { azuriteService, DEMO_FILES_CONNECTION } from '../cli/dev/demo-files.js';
import { classificationFor } from '../shared/config/blob-connection.js';
import { parseConfig } from '../shared/config/connections.js';
import { createAzureBlobConnector } from '../shared/connectors/blob/azure-blob-connector.js';
import { rowsOf } from '../shared/connectors/blob/parse.js';
import { createMasker } from '../shared/masking/index.js';
import { ByteCounter, maskRows, StreamingDigest } from '../shared/use-cases/blob-content.js';

/**
 * Peak RSS while an approved bulk read streams a large CSV through parse + mask + digest
 * (the rows are released to a sink, never held). Azurite runs in a child process so the blob
 * it keeps in memory is not counted here. BLOB_BENCH_MB sets the size (default 200).
 */

async function startChild(): Promise<{ child: ChildProcess; accountUrl: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./azurite-child.ts', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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

if (import.meta.url === `file://${process.argv[1]}`) await benchBlob();
